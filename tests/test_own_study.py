"""A new user's journey on a study whose columns differ from the demo's: `deidflow init` -> dry run -> run -> the
gate passes, with no hand edit but the key's path; and each mistake of issue 15 stopped at parse time, in seconds,
with its config key and file named."""

from __future__ import annotations

import csv
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, SNAKEMAKE

sys.path.insert(0, str(ROOT / "scripts"))
from deidflow import checks  # noqa: E402
from deidflow.init import build_config, suggest  # noqa: E402

PLACEHOLDER_KEY = "/secure/place/study.key"
VALIDATOR = ROOT / ".venv-peers" / "bin" / "bids-validator-deno"
COLUMNS = ["participant_id", "given_name", "surname", "mail", "mobile", "home_address", "town", "zip_code",
           "birth_date", "mrn", "gender", "age_years", "marital_status", "condition", "medication", "clinician_notes"]


def make_own_study(root: Path, n: int = 5, seed: int = 3, empty_age: bool = False) -> list[dict[str, str]]:
    """A study of n fake people with columns the demo does not have, a phenotype table and two transcripts."""
    from faker import Faker

    fake = Faker("en_US")
    Faker.seed(seed)
    rng = random.Random(seed)
    root.mkdir(parents=True)
    (root / "dataset_description.json").write_text('{"Name": "Riverside sleep cohort", "BIDSVersion": "1.10.0"}\n')
    people = []
    for i in range(n):
        first, last = fake.first_name(), fake.last_name()
        people.append({
            "participant_id": f"sub-{fake.bothify('??####').upper()}{i}",
            "given_name": first, "surname": last,
            "mail": f"{first}.{last}{rng.randint(1, 99)}@example.org".lower(),
            "mobile": fake.numerify("(###) ###-####"),
            "home_address": fake.street_address(), "town": fake.city(), "zip_code": fake.zipcode(),
            "birth_date": fake.date_of_birth(minimum_age=30, maximum_age=80).isoformat(),
            "mrn": fake.bothify("MRN-########"),
            "gender": rng.choice(["female", "male"]),
            "age_years": "" if empty_age and i == 1 else str(rng.randint(30, 80)),
            "marital_status": rng.choice(["single", "married", "widowed"]),
            "condition": ["insomnia", "sleep apnea", "narcolepsy"][i % 3],
            "medication": rng.choice(["melatonin", "zolpidem", "none"]),
            "clinician_notes": f"Seen by Dr. {fake.last_name()} at {fake.company()}; lives with {fake.first_name()}.",
        })
    with open(root / "participants.tsv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, COLUMNS, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(people)
    (root / "phenotype").mkdir()
    with open(root / "phenotype" / "sleep_lab.tsv", "w") as fh:
        fh.write("participant_id\tnight_date\tahi\ttotal_sleep_min\n")
        for p in people:
            fh.write(f"{p['participant_id']}\t{fake.date_between('-2y', '-1y').isoformat()}\t"
                     f"{rng.randint(1, 40)}\t{rng.randint(200, 480)}\n")
    for p in people[:2]:
        beh = root / p["participant_id"] / "beh"
        beh.mkdir(parents=True)
        (beh / f"{p['participant_id']}_task-intake_transcript.txt").write_text(
            f"Interviewer: Good morning {p['given_name']}, please state your full name.\n"
            f"Participant: {p['given_name']} {p['surname']}.\n"
            f"Interviewer: How can we reach you?\n"
            f"Participant: Call {p['mobile']} or write to {p['mail']}.\n"
            f"Interviewer: And how have you been sleeping?\n"
            f"Participant: Badly, I wake up three or four times a night.\n")
    return people


def init_config(study: Path, run: Path, key: Path) -> Path:
    """`python -m deidflow init`, then the one hand edit: the key's path."""
    config = run / "config.yaml"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "scripts")}
    proc = subprocess.run([sys.executable, "-m", "deidflow", "init", str(study), "-o", str(config),
                           "--out-dir", str(run / "out")], capture_output=True, text=True, env=env, cwd=run)
    assert proc.returncode == 0, proc.stderr
    text = config.read_text()
    assert PLACEHOLDER_KEY in text
    config.write_text(text.replace(PLACEHOLDER_KEY, str(key)))
    return config


def snakemake(run: Path, config: Path, *args: str, timeout: int = 1500) -> tuple[subprocess.CompletedProcess, float]:
    cmd = [*SNAKEMAKE, "-s", str(ROOT / "Snakefile"), "--configfile", str(config), "--directory", str(run),
           "--cores", "2", *args]
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          env={**os.environ, "PYTHONHASHSEED": "0"}, timeout=timeout)
    return proc, time.perf_counter() - started


def make_key(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90\n")
    path.chmod(0o600)
    return path


@pytest.fixture(scope="module")
def own(tmp_path_factory):
    root = tmp_path_factory.mktemp("own")
    people = make_own_study(root / "study")
    run = root / "run"
    run.mkdir()
    config = init_config(root / "study", run, make_key(root / "keys" / "study.key"))
    return {"root": root, "study": root / "study", "run": run, "config": config, "people": people}


# --- init: the suggestions ------------------------------------------------------------------------------------

def test_init_gives_every_column_a_role_with_its_reason(own):
    cfg = yaml.safe_load(own["config"].read_text())
    roles = cfg["tables"]["participants"]
    assert list(roles) == COLUMNS  # every column, in order
    role = {c: (v if isinstance(v, str) else v["role"]) for c, v in roles.items()}
    assert role["participant_id"] == "pseudonym"
    for direct in ("given_name", "surname", "mail", "mobile", "home_address", "town", "birth_date", "mrn",
                   "clinician_notes"):
        assert role[direct] == "drop", direct
    assert role["gender"] == role["age_years"] == role["marital_status"] == role["zip_code"] == "quasi"
    assert roles["age_years"]["hierarchy"]["type"] == "intervals"
    assert role["condition"] == role["medication"] == "sensitive"
    assert cfg["tables"]["phenotype"]["sleep_lab"]["night_date"] == {"role": "date", "shift": True}
    assert cfg["identifiers"]["columns"] == {"given_name": "name", "surname": "name", "mail": "email",
                                             "mobile": "phone", "home_address": "address", "town": "place",
                                             "birth_date": "date", "mrn": "id"}
    text = own["config"].read_text()
    assert "clinician_notes: drop   # free text" in text and "mail: drop   # an e-mail address" in text
    # only the modalities the study has: transcripts, no DICOM, MRI or media sections
    assert "text" in cfg and not {"dicom", "mri", "media"} & set(cfg)
    assert cfg["steps"]["transcript"] is True and cfg["steps"]["synth"] is False
    assert "dicom" not in cfg["steps"] and "photo" not in cfg["steps"]


def test_init_reads_values_when_names_say_nothing():
    import pandas as pd

    assert suggest("contact1", pd.Series(["a.b@x.org", "c@d.com"]), "t").kind == "email"
    assert suggest("when", pd.Series(["2020-01-02", "2021-03-04"]), "t").role == {"role": "date", "shift": True}
    assert suggest("misc", pd.Series([f"value {i}" for i in range(6)]), "t").role == "drop"
    odd = suggest("q7", pd.Series(["a", "b", "a"]), "t")
    assert odd.role == "drop" and odd.check  # not recognised: dropped, flagged for the user


# --- the journey ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def journey(own):
    dry, dry_s = snakemake(own["run"], own["config"], "-n", "--quiet", "rules")
    assert dry.returncode == 0, dry.stdout[-4000:]
    proc, run_s = snakemake(own["run"], own["config"])
    print(f"\njourney: dry run {dry_s:.1f} s, run {run_s:.1f} s")
    return {"dry": dry, "proc": proc, "seconds": run_s, "release": own["run"] / "out" / "release"}


@pytest.mark.workflow
def test_journey_runs_and_the_gate_passes(own, journey):
    proc = journey["proc"]
    assert proc.returncode == 0, proc.stdout[-6000:]
    assert "risk gate PASSED" in proc.stdout
    # the closing summary: gate, released and withheld counts, where things are
    assert "deidflow finished" in proc.stdout and "released:" in proc.stdout and "withheld:" in proc.stdout
    assert str(own["run"] / "out" / "reports" / "risk.html") in proc.stdout
    released = (journey["release"] / "participants.tsv").read_text()
    for person in own["people"]:
        for column in ("given_name", "surname", "mail", "mobile", "mrn", "home_address"):
            assert person[column] not in released
    transcripts = sorted(journey["release"].rglob("*_transcript.txt"))
    assert len(transcripts) == 2
    text = "".join(p.read_text() for p in transcripts)
    for person in own["people"][:2]:
        assert person["surname"] not in text and person["mail"] not in text


@pytest.mark.workflow
def test_release_is_a_bids_dataset(journey):
    release = journey["release"]
    assert journey["proc"].returncode == 0
    assert (release / "README.md").is_file() and (release / "CHANGES").is_file()
    assert "ro-crate-metadata.json" in (release / ".bidsignore").read_text()
    assert not list(release.rglob(".snakemake_timestamp"))
    if not VALIDATOR.exists():
        pytest.skip("bids-validator-deno is not installed (.venv-peers, envs/peers.txt)")
    out = subprocess.run([str(VALIDATOR), "--json", str(release)], capture_output=True, text=True, timeout=300)
    import json

    issues = json.loads(out.stdout)["issues"]["issues"]
    errors = [i for i in issues if i.get("severity") == "error"]
    assert not errors, [(e["code"], e.get("location")) for e in errors][:20]


# --- mistakes, each caught at parse time with its key named ---------------------------------------------------

def _variant(own, name: str, edit) -> Path:
    cfg = yaml.safe_load(own["config"].read_text())
    edit(cfg)
    path = own["root"] / f"{name}.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


@pytest.mark.parametrize("name, edit, expected", [
    ("demo_column", lambda c: c["tables"]["participants"].update(emergency_contact="drop"),
     ["tables.participants.emergency_contact", "participants.tsv"]),
    ("no_role", lambda c: c["tables"]["participants"].pop("clinician_notes"),
     ["tables.participants.clinician_notes", "participants.tsv"]),
    ("k_too_large", lambda c: c["tables"]["privacy"].update(k=50), ["tables.privacy.k", "participants.tsv"]),
    ("two_at_once", lambda c: (c["tables"]["participants"].update(emergency_contact="drop"),
                               c["tables"]["privacy"].update(k=50)),
     ["tables.participants.emergency_contact", "tables.privacy.k", "2 problem(s)"]),
    ("synth_without_env", lambda c: c.update(steps={**c["steps"], "synth": True}, synth={"python": "nowhere/python"}),
     ["synth.python", "steps.synth: false"]),
])
def test_mistakes_stop_the_dry_run_naming_the_key(own, name, edit, expected):
    proc, seconds = snakemake(own["run"], _variant(own, name, edit), "-n", "--quiet", "rules", timeout=120)
    assert proc.returncode != 0
    for text in expected:
        assert text in proc.stdout, proc.stdout[-3000:]
    print(f"{name}: stopped in {seconds:.1f} s")


def _problems(cfg: dict, study: Path) -> list[str]:
    checks.resolve_k(cfg)
    tables = [str(p) for p in [study / "participants.tsv", *sorted((study / "phenotype").glob("*.tsv"))]]
    return checks.check_paths(cfg) + checks.check_tables(cfg, tables, ROOT)


def test_library_checks_name_key_and_file(own, tmp_path):
    base = yaml.safe_load(own["config"].read_text())
    assert _problems(yaml.safe_load(own["config"].read_text()), own["study"]) == []
    # an empty quasi-identifier cell
    make_own_study(tmp_path / "gappy", empty_age=True)
    cfg = {**yaml.safe_load(own["config"].read_text()), "bids_dir": str(tmp_path / "gappy")}
    found = _problems(cfg, tmp_path / "gappy")
    assert any("tables.participants.age_years" in p and "participants.tsv" in p and "line 3" in p for p in found)
    # a hierarchy that does not fit the values
    cfg = yaml.safe_load(own["config"].read_text())
    cfg["tables"]["participants"]["marital_status"] = {"role": "quasi", "hierarchy": {"type": "intervals",
                                                                                      "widths": [5]}}
    assert any(p.startswith("tables.participants.marital_status.hierarchy: participants.tsv")
               for p in _problems(cfg, own["study"]))
    # l larger than the sensitive column's distinct values
    cfg = yaml.safe_load(own["config"].read_text())
    cfg["tables"]["privacy"]["l"] = 9
    assert any(p.startswith("tables.privacy.l:") for p in _problems(cfg, own["study"]))
    # the release inside the study
    cfg = {**base, "release_dir": str(own["study"] / "release")}
    assert any(p.startswith("release_dir") and "bids_dir" in p for p in checks.check_paths(cfg))
    # a phenotype table without its section
    cfg = yaml.safe_load(own["config"].read_text())
    del cfg["tables"]["phenotype"]
    assert any(p.startswith("tables.phenotype.sleep_lab: missing") for p in _problems(cfg, own["study"]))


def test_one_k_defaults_from_the_other():
    cfg = {"tables": {"privacy": {}}, "risk": {"reidentification": {"preset": "public"}}}
    checks.resolve_k(cfg)
    assert cfg["tables"]["privacy"]["k"] == cfg["risk"]["reidentification"]["k"] == 11
    cfg = {"tables": {"privacy": {"k": 7}}, "risk": {}}
    checks.resolve_k(cfg)
    assert cfg["risk"]["reidentification"]["k"] == 7
    cfg = {"tables": {"privacy": {}}, "risk": {"reidentification": {"k": 3}}}
    checks.resolve_k(cfg)
    assert cfg["tables"]["privacy"]["k"] == 3


def test_init_config_fits_a_study_smaller_than_k(tmp_path):
    make_own_study(tmp_path / "tiny", n=3)
    _, cfg = build_config(tmp_path / "tiny", "k.key", str(tmp_path / "out"))
    assert cfg["tables"]["privacy"]["k"] == 3 and cfg["risk"]["reidentification"]["k"] == 3
    assert _problems(cfg, tmp_path / "tiny") == []


# --- step switches and the run summary ------------------------------------------------------------------------

def test_steps_off_withhold_their_inputs_and_their_dependants():
    from deidflow.steps import enabled_parts, enabled_sections, enabled_steps, withheld_kinds

    cfg = {"steps": {"tables": False, "mri": False}}
    steps = enabled_steps(cfg)
    assert not steps["synth"] and not steps["risk_tables"] and not steps["risk_synthetic"] and steps["dicom"]
    off = withheld_kinds(cfg)
    assert off["table"] == "step tables is off (steps.tables: false)" and "nifti" in off and "dicom" not in off
    parts = enabled_parts({"dicom": ("dicom",), "nifti": ("nifti", "dicom"), "tables": ("table",),
                           "synth": ("table",), "dataset": ("dataset_description",)}, cfg)
    assert set(parts) == {"dicom", "dataset"}
    assert enabled_sections(["inventory", "leaks", "tables", "synthetic"], cfg) == ["inventory", "leaks"]
    assert enabled_parts({"nifti": ("nifti", "dicom")}, {"steps": {"dicom": False}}) == {"nifti": ("nifti",)}
    with pytest.raises(ValueError, match="steps.synthesis"):
        enabled_steps({"steps": {"synthesis": False}})


def test_run_summary_names_the_failed_job_and_its_error(tmp_path):
    from deidflow.summary import run_summary

    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "tabular.log").write_text("INFO start\nTraceback ...\nRoleError: participants.tsv: column 'x' has no "
                                      "role in the config\n")
    smk = tmp_path / "snakemake.log"
    smk.write_text(f"Error in rule tabular:\n    message: None\n    jobid: 3\n    log: {logs / 'tabular.log'} (check "
                   "log file(s) for error details)\n")
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "inventory.json").write_text('{"withheld": [{"source": "a.docx", "reason": "no rule"}, '
                                                      '{"source": "b.docx", "reason": "no rule"}]}')
    cfg = {k: str(tmp_path / k.split("_")[0]) for k in ("release_dir", "reports_dir", "work_dir", "logs_dir")}
    text = run_summary(cfg, ok=False, snakemake_log=str(smk))
    assert "stopped with an error" in text and "risk gate: not reached" in text
    assert "withheld: 2 inputs" in text and "   2  no rule" in text
    assert "failed: rule tabular" in text and "RoleError: participants.tsv: column 'x'" in text


def test_usable_as_a_snakemake_module(own, tmp_path):
    (tmp_path / "Snakefile").write_text(
        f'configfile: "{own["config"]}"\n\n\n'
        f'module deidflow:\n    snakefile:\n        "{ROOT / "Snakefile"}"\n    config:\n        config\n\n\n'
        "use rule * from deidflow as deidflow_*\n")
    proc = subprocess.run([*SNAKEMAKE, "-n", "--cores", "1", "deidflow_all", "--quiet", "rules"], cwd=tmp_path,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "deidflow_tabular" in proc.stdout and "deidflow_text_transcripts" in proc.stdout


@pytest.mark.workflow
def test_a_failed_run_ends_with_the_failing_jobs_own_message(own, journey):
    """The gate fails on a planted identifier: the console's closing summary names the rule and its error."""
    cfg = yaml.safe_load(own["config"].read_text())
    out = own["root"] / "planted"
    cfg.update({key: str(out / key.split("_")[0]) for key in checks.PATH_KEYS if key != "bids_dir"})
    cfg["identifiers"]["extra"] = [cfg["release"]["name"]]  # written into dataset_description.json and README.md
    path = own["root"] / "planted.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    proc, _ = snakemake(own["run"], path)
    assert proc.returncode != 0
    summary = proc.stdout[proc.stdout.rindex("deidflow stopped with an error"):]
    assert "risk gate FAILED" in summary and "released: nothing" in summary
    assert "failed: rule gate" in summary and "GateFailed" in summary and "README.md" in summary
    assert not (out / "release").exists()


def test_lint_and_dry_run_on_the_test_fixture():
    """A fresh clone lints and dry-runs on .test/ (the catalog's convention: --directory .test)."""
    for args in (["--lint"], ["-n", "--quiet", "rules"]):
        proc = subprocess.run([*SNAKEMAKE, "--directory", ".test", "--cores", "1", *args], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
        assert proc.returncode == 0, proc.stdout[-3000:]
    assert "text_transcripts" in proc.stdout and "tabular" in proc.stdout


def test_bidsignore_lists_phenotype_tables_with_repeated_participants(tmp_path):
    from deidflow.bids import repeated_index_tables

    (tmp_path / "phenotype").mkdir()
    (tmp_path / "phenotype" / "visits.tsv").write_text("participant_id\tx\nsub-a\t1\nsub-a\t2\n")
    (tmp_path / "phenotype" / "once.tsv").write_text("participant_id\tx\nsub-a\t1\nsub-b\t2\n")
    (tmp_path / "phenotype" / "sessions.tsv").write_text("participant_id\tsession_id\nsub-a\tses-1\nsub-a\tses-2\n")
    tables = sorted(str(p) for p in (tmp_path / "phenotype").glob("*.tsv"))
    assert repeated_index_tables(tables) == ["phenotype/visits"]
