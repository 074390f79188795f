"""The whole workflow on a generated 3-subject study: release, secrets, report, provenance, and bad inputs."""

from __future__ import annotations

import json
import shutil
import stat
import sys

import pytest

from conftest import ROOT, SNAKEMAKE, run_snakemake, tree_digest, write_config

pytestmark = pytest.mark.workflow


@pytest.fixture(scope="module")
def finished(workflow_run):
    """One full run on the small study (the session's run, shared with the report's browser test)."""
    return workflow_run


def _originals(small_study):
    import pandas as pd

    table = pd.read_csv(small_study / "participants.tsv", sep="\t", dtype=str)
    return table


def test_release_has_no_original_identifier(finished, small_study):
    tmp, _, _, _ = finished
    release = tmp / "release"
    assert (release / "dataset_description.json").is_file()
    table = _originals(small_study)
    needles = [*table["participant_id"], *table["full_name"], *table["email"], *table["national_id"]]
    for path in release.rglob("*"):
        rel = path.relative_to(release).as_posix()
        for needle in needles:
            assert needle not in rel
            if path.is_file():
                assert needle.encode() not in path.read_bytes(), f"{needle!r} leaked into {rel}"


def test_input_tree_untouched(finished, small_study):
    _, _, _, before = finished
    assert tree_digest(small_study) == before


def test_secrets_store(finished):
    tmp = finished[0]
    secrets = tmp / "secrets"
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o700
    subjects = json.loads((secrets / "subjects.json").read_text())["subjects"]
    assert len(subjects) == 3
    assert stat.S_IMODE((secrets / "subjects.json").stat().st_mode) == 0o600
    key = (tmp / "keys" / "study.key").read_text().strip()
    for path in [*(tmp / "release").rglob("*"), *(tmp / "logs").rglob("*"), *(tmp / "work" / "provenance").rglob("*")]:
        if path.is_file():
            data = path.read_text(errors="replace")
            assert key not in data
            for item in subjects:
                assert str(item["original"]) not in data, f"original label in {path}"


def test_report_and_gate(finished):
    tmp, _, proc, _ = finished
    report = json.loads((tmp / "reports" / "risk.json").read_text())
    assert report["summary"]["passed"] is True
    assert "risk gate PASSED" in proc.stdout
    sources = {w["source"] for w in report["withheld"]}
    assert any(s.endswith("/beh/….pages") for s in sources), "unknown files are withheld (typed names hidden)"
    assert not any(s.endswith(".docx") for s in sources), "the demo's session notes are released de-identified"
    assert not any(s.endswith("_scans.tsv") for s in sources)
    html = (tmp / "reports" / "risk.html").read_text()
    assert "risk gate PASSED" in html and "Withheld inputs" in html


def test_release_holds_each_subjects_session_notes_without_identifiers(finished, small_study):
    """The demo's .docx notes (name, address, phone, dates in body, header, comment, tracked deletion and core
    properties) are released as fresh documents: every XML member's text is free of the participant's values."""
    from deidflow.documents.package import package_texts

    tmp = finished[0]
    notes = sorted((tmp / "release").rglob("*_document.docx"))
    assert len(notes) == 3 and all(p.parent.name == "beh" for p in notes)
    table = _originals(small_study)
    needles = [*table["full_name"], *table["email"], *table["phone"], *table["street_address"]]
    for path in notes:
        texts = "\n".join(text for _, text in package_texts(path.read_bytes()))
        assert "Session notes" in texts and "[PERSON_" in texts
        for needle in needles:
            assert needle not in texts, f"{needle!r} left in {path.name}"


def test_release_holds_a_defaced_dicom_converted_t1w_per_subject(finished):
    """DICOM -> NIfTI -> deface -> release for every subject, and the render check passed on every released head."""
    tmp = finished[0]
    subjects = sorted(p for p in (tmp / "release").glob("sub-*") if p.is_dir())
    assert len(subjects) == 3
    for subject in subjects:
        assert len(list(subject.rglob("*_acq-dcm2niix_T1w.nii.gz"))) == 1, subject.name
    # the only DICOM released is each subject's chest CT: the whole-head MR series never leaves as DICOM
    assert {p.parent.name for p in (tmp / "release").rglob("*.dcm")} <= {"series-001"}
    report = json.loads((tmp / "reports" / "risk.json").read_text())
    checks = [c for s in report["sections"] for c in s.get("checks", []) if c["name"].startswith("no face on renders")]
    assert len(checks) >= 6 and all(c["passed"] for c in checks)  # the input T1w and the DICOM-converted T1w each


def test_scans_tables_are_released_shifted_with_released_rows_only(finished, small_study):
    tmp = finished[0]
    subjects = json.loads((tmp / "secrets" / "subjects.json").read_text())["subjects"]
    released = {p.relative_to(tmp / "release").as_posix() for p in (tmp / "release").rglob("*") if p.is_file()}
    for item in subjects:
        pseudo, shift = item["pseudonym"], item["date_shift_days"]
        original = (small_study / f"sub-{item['original']}" / f"sub-{item['original']}_scans.tsv").read_text()
        rows = (tmp / "release" / f"sub-{pseudo}" / f"sub-{pseudo}_scans.tsv").read_text().splitlines()
        assert rows[0] == "filename\tacq_time" and len(rows) > 1
        first_day = __import__("datetime").date.fromisoformat(original.splitlines()[1].split("\t")[1][:10])
        for row in rows[1:]:
            name, when = row.split("\t")
            assert f"sub-{pseudo}/{name}" in released  # only files that are released
            assert when[:10] == str(first_day + __import__("datetime").timedelta(days=shift))


def test_ro_crate_describes_every_file(finished):
    release = finished[0] / "release"
    crate = json.loads((release / "ro-crate-metadata.json").read_text())
    graph = {e["@id"]: e for e in crate["@graph"]}
    released = {p.relative_to(release).as_posix() for p in release.rglob("*") if p.is_file()}
    released -= {"ro-crate-metadata.json", ".snakemake_timestamp"}  # the latter is Snakemake's directory marker
    for rel in released:
        assert rel in graph and len(graph[rel]["sha256"]) == 64
    actions = [e for e in crate["@graph"] if e.get("@type") == "CreateAction"]
    assert {a["name"].split()[0] for a in actions} >= {"pseudonymize", "leak_scan", "risk_report", "gate"}


def test_rerun_is_a_no_op_and_keeps_pseudonyms(finished):
    tmp, config, _, _ = finished
    subjects = (tmp / "secrets" / "subjects.json").read_bytes()
    proc = run_snakemake(tmp, config)
    assert "Nothing to be done" in proc.stdout
    assert (tmp / "secrets" / "subjects.json").read_bytes() == subjects


def test_gate_fails_on_a_planted_identifier(small_study, tmp_path):
    config = write_config(tmp_path, small_study, identifiers={"extra": ["deidflow demo study"]})
    proc = run_snakemake(tmp_path, config, check=False)
    assert proc.returncode != 0
    assert "risk gate FAILED" in proc.stdout
    assert "dataset_description.json" in proc.stdout
    assert not (tmp_path / "release").exists()


def test_dry_run_and_lint(small_study, tmp_path):
    config = write_config(tmp_path, small_study)
    assert "rule all" in run_snakemake(tmp_path, config, "-n").stdout or True
    lint = run_snakemake(tmp_path, config, "--lint", check=False)
    assert lint.returncode == 0, lint.stdout[-3000:]


@pytest.mark.parametrize("breakage, message", [
    ("no_participants", "participants.tsv not found"),
    ("duplicate", "duplicate participant_id"),
    ("stray_subject", "not listed in participants.tsv"),
    ("no_key", "pseudonym key file"),
])
def test_bad_inputs_stop_with_a_clear_error(small_study, tmp_path, breakage, message):
    study = tmp_path / "bids"
    shutil.copytree(small_study, study)
    for path in study.rglob("*"):
        path.chmod(path.stat().st_mode | 0o200)
    config = write_config(tmp_path, study)
    if breakage == "no_participants":
        (study / "participants.tsv").unlink()
    elif breakage == "duplicate":
        lines = (study / "participants.tsv").read_text().splitlines()
        (study / "participants.tsv").write_text("\n".join([*lines, lines[1]]) + "\n")
    elif breakage == "stray_subject":
        (study / "sub-ZZ9999" / "photo").mkdir(parents=True)
        (study / "sub-ZZ9999" / "photo" / "a.jpg").write_bytes(b"\xff\xd8\xff")
    elif breakage == "no_key":
        (tmp_path / "keys" / "study.key").unlink()
    proc = run_snakemake(tmp_path, config, "-n", check=False)
    assert proc.returncode != 0
    assert message in proc.stdout


def test_gate_fails_on_a_config_with_k1_and_names_the_check(tmp_path):
    """Tables released without generalization (k = 1) break the risk thresholds: the run fails, says which check
    failed, and no release is written."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from deidflow.demo.study import make_study

    study = tmp_path / "bids"
    make_study(study, 3, seed=5, small=True, modalities=())
    config = write_config(tmp_path, study, tables={"privacy": {"k": 1, "suppression": 0.0}})
    proc = run_snakemake(tmp_path, config, check=False)
    assert proc.returncode != 0
    assert "risk gate FAILED" in proc.stdout
    assert "participants.tsv: k-anonymity: every class has at least 3 records" in proc.stdout
    assert not (tmp_path / "release").exists()


def test_release_is_a_valid_bids_dataset(finished):
    """The demo-shaped release passes the BIDS validator (bids-validator-deno, offline; envs/peers.txt): README,
    CHANGES and a .bidsignore for what BIDS does not define (photos, transcripts, videos, the RO-Crate, phenotype
    tables with several rows per participant), and no .snakemake_timestamp."""
    tmp, _, _, _ = finished
    release = tmp / "release"
    assert (release / "README.md").is_file() and (release / "CHANGES").is_file()
    assert "phenotype/visits.tsv" in (release / ".bidsignore").read_text()  # several visits per participant
    assert not list(release.rglob(".snakemake_timestamp"))
    validator = ROOT / ".venv-peers" / "bin" / "bids-validator-deno"
    if not validator.exists():
        pytest.skip("bids-validator-deno is not installed (make venv-peers)")
    import subprocess

    out = subprocess.run([str(validator), "--json", str(release)], capture_output=True, text=True, timeout=300)
    errors = [i for i in json.loads(out.stdout)["issues"]["issues"] if i.get("severity") == "error"]
    assert not errors, [(e["code"], e.get("location")) for e in errors][:20]
