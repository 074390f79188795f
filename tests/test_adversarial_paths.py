"""An adversarial study: identifiers planted in names, paths and provenance, messy inputs and weakening config.

Each class is prevented (it never reaches the release, the crate, risk.json, risk.html or the logs) or refused at
parse time with a message that names the config key and file, never the value. One full run on two subjects; the
config refusals are dry runs on a study with tables only.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import ROOT, run_snakemake, tree_digest, write_config

pytestmark = pytest.mark.workflow


def _make(tmp: Path, modalities=None) -> Path:
    sys.path.insert(0, str(ROOT / "scripts"))
    from deidflow.demo.study import MODALITIES, make_study

    make_study(tmp / "bids", 2, seed=11, small=True, modalities=MODALITIES if modalities is None else modalities)
    return tmp / "bids"


def _plant(study: Path, outside: Path) -> dict:
    """Plant every class of issue 13's names-and-paths list into a generated study; returns what was planted."""
    table = pd.read_csv(study / "participants.tsv", sep="\t", dtype=str)
    first, second = table.iloc[0], table.iloc[1]
    a, b = first["participant_id"], second["participant_id"]
    given, surname = first["full_name"].split()[0], first["full_name"].split()[-1]
    photo = sorted((study / a / "photo").glob("*.jpg"))[0]
    shutil.copy(photo, study / a / "photo" / f"{a}_{given}{surname}.jpg")  # joined
    shutil.copy(photo, study / a / "photo" / f"{a}_{given}_{surname}.jpg")  # underscored: same released name
    transcript = study / a / "beh" / f"{a}_task-interview_transcript.txt"
    shutil.copy(transcript, study / a / "beh" / f"{a}_task-extra_{given.lower()}.{surname.lower()}_transcript.txt")
    shutil.copy(study / a / "anat" / f"{a}_T1w.nii.gz", study / a / "anat" / f"{a}_{surname}.nii.gz")  # no suffix
    # a DICOM series folder named by the PatientID of its files
    series = sorted(p for p in (study / "sourcedata" / "dicom" / a).iterdir() if p.is_dir())[0]
    import pydicom

    patient_id = str(pydicom.dcmread(sorted(series.iterdir())[0], stop_before_pixels=True).PatientID)
    series.rename(series.parent / f"{patient_id}_{surname.upper()}")
    # file-manager leftovers
    for folder in (study / a, study / a / "photo", study / b / "beh"):
        (folder / ".DS_Store").write_bytes(b"Bud1" + a.encode())
        (folder / "Thumbs.db").write_bytes(b"\xd0\xcf")
    (study / a / "photo" / f"._{photo.name}").write_bytes(b"\x00\x05\x16\x07")
    (study / b / ".git").mkdir()
    (study / b / ".git" / "config").write_text(f"[user]\nname = {second['full_name']}\n")
    # symlinks: a file outside, a folder inside (followed), a folder outside, a scans table linked inside
    outside.mkdir()
    shutil.copy(photo, outside / "portrait.jpg")
    os.symlink(outside / "portrait.jpg", study / a / "photo" / f"{a}_acq-outside_photo.jpg")
    shutil.move(study / b / "photo", study / "sourcedata" / f"photos-{b}")
    os.symlink(Path("..") / "sourcedata" / f"photos-{b}", study / b / "photo")
    (outside / "pet").mkdir()  # a datatype folder the demo does not write
    (outside / "pet" / f"{b}_pet.json").write_bytes(b"0 ")
    os.symlink(outside / "pet", study / b / "pet")
    scans = study / b / f"{b}_scans.tsv"
    shutil.move(scans, study / "sourcedata" / scans.name)
    os.symlink(Path("..") / "sourcedata" / scans.name, scans)
    return {"forms": [f"{given}{surname}", f"{given}_{surname}", f"{given}.{surname}"], "surname": surname,
            "patient_id": patient_id, "labels": [a, b], "name_b": second["full_name"]}


@pytest.fixture(scope="module")
def adversarial(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("adversarial")
    study = _make(tmp)
    planted = _plant(study, tmp / "outside")
    for path in study.rglob("*"):
        if not path.is_symlink():
            path.chmod(path.stat().st_mode & ~0o222)
    before = tree_digest(study)
    config = write_config(tmp, study)
    assert Path(yaml.safe_load(config.read_text())["bids_dir"]).is_absolute()  # an absolute bids_dir
    proc = run_snakemake(tmp, config)
    return tmp, study, planted, proc, before


def _texts(root: Path):
    for path in sorted(root.rglob("*")):
        if path.is_file():
            yield path, path.read_bytes().decode("utf-8", "replace")


def test_gate_passes_and_the_input_tree_is_untouched(adversarial):
    tmp, study, _, proc, before = adversarial
    assert "risk gate PASSED" in proc.stdout
    assert tree_digest(study) == before


def test_no_planted_name_or_patient_id_reaches_release_crate_reports_or_logs(adversarial):
    tmp, _, planted, _, _ = adversarial
    release = tmp / "release"
    names = [p.relative_to(release).as_posix() for p in release.rglob("*")]
    assert all(planted["surname"].lower() not in n.lower() for n in names), names
    for root in (release, tmp / "reports", tmp / "logs"):
        for path, text in _texts(root):
            low = text.lower()
            for form in [*planted["forms"], planted["patient_id"], planted["name_b"]]:
                assert form.lower() not in low, f"{form!r} in {path}"
            for label in planted["labels"]:
                assert label not in text, f"original label in {path}"
    crate = (release / "ro-crate-metadata.json").read_text()
    assert str(tmp) not in crate and '"host"' not in crate and "base_dir" not in crate


def test_typed_names_are_rebuilt_from_entities_or_withheld(adversarial):
    tmp = adversarial[0]
    subjects = json.loads((tmp / "secrets" / "subjects.json").read_text())["subjects"]
    a = next(s["pseudonym"] for s in subjects if f"sub-{s['original']}" == adversarial[2]["labels"][0])
    released = {p.relative_to(tmp / "release").as_posix() for p in (tmp / "release").rglob("*") if p.is_file()}
    assert f"sub-{a}/photo/sub-{a}_photo.jpg" in released  # the joined name's photo, name part dropped
    assert f"sub-{a}/beh/sub-{a}_task-extra_transcript.txt" in released
    report = json.loads((tmp / "reports" / "risk.json").read_text())
    withheld = {w["source"]: w["reason"] for w in report["withheld"]}
    assert any("same released name" in r for r in withheld.values())  # the underscored twin never overwrites
    assert withheld[f"sub-{a}/anat/….nii.gz"].endswith("file name has no BIDS suffix this part knows")
    assert "outside the study" in withheld[f"sub-{a}/photo/sub-{a}_acq-outside_photo.jpg"]
    assert not any("acq-outside" in r for r in released)


def test_symlinked_folders_and_scans_tables(adversarial):
    tmp, _, planted, _, _ = adversarial
    subjects = json.loads((tmp / "secrets" / "subjects.json").read_text())["subjects"]
    b = next(s["pseudonym"] for s in subjects if f"sub-{s['original']}" == planted["labels"][1])
    released = {p.relative_to(tmp / "release").as_posix() for p in (tmp / "release").rglob("*") if p.is_file()}
    assert any(r.startswith(f"sub-{b}/photo/") for r in released)  # a linked folder inside the study is followed
    assert f"sub-{b}/sub-{b}_scans.tsv" in released  # a linked scans table is released, not a crash
    withheld = {w["source"]: w["reason"] for w in json.loads((tmp / "reports" / "risk.json").read_text())["withheld"]}
    assert "folder outside the study" in withheld[f"sub-{b}/pet"]


def test_hidden_files_are_one_note_never_a_block(adversarial):
    tmp = adversarial[0]
    report = json.loads((tmp / "reports" / "risk.json").read_text())
    inventory = next(s for s in report["sections"] if s["section"] == "inventory")
    assert inventory["metrics"]["hidden_files_skipped"] == 8
    assert len(inventory["notes"]) == 1 and ".DS_Store ×3" in inventory["notes"][0]
    for page in ("risk.html", "risk_summary.html"):  # the note is shown to the steward, in both reports
        assert ".DS_Store ×3" in (tmp / "reports" / page).read_text()
    assert not any(".DS_Store" in w["source"] or ".git" in w["source"] for w in report["withheld"])
    release_checks = next(s for s in report["sections"] if s["section"] == "release")["checks"]
    assert len(release_checks) == 4 and all(c["passed"] for c in release_checks)


# --- config refused at parse time (dry runs on a study with tables only) ---------------------------------------

@pytest.fixture(scope="module")
def tables_study(tmp_path_factory):
    return _make(tmp_path_factory.mktemp("tables"), modalities=())


@pytest.mark.parametrize("breakage, expected", [
    ("risk_typo", ["config.yaml", "max_rsik", "synthetic"]),
    ("reid_typo", ["config.yaml", "populaton_size"]),
    ("column", ["config.yaml", "identifiers.columns", "'mrn'", "participants.tsv"]),
    ("key63", ["pseudonym.key_file", "63 hex characters, not 64", "study.key"]),
    ("secrets0755", ["secrets_dir", "chmod 700", "readable by group or others"]),
])
def test_weakening_config_is_refused_naming_key_and_file(tables_study, tmp_path, breakage, expected):
    overrides = {}
    if breakage == "risk_typo":
        overrides["risk"] = {"synthetic": {"max_rsik": {"singling_out": 0.2}}}
    elif breakage == "reid_typo":
        overrides["risk"] = {"reidentification": {"populaton_size": 100000}}
    elif breakage == "column":
        overrides["identifiers"] = {"columns": {"full_name": "name", "mrn": "id"}}
    config = write_config(tmp_path, tables_study, **overrides)
    key = tmp_path / "keys" / "study.key"
    if breakage == "key63":
        key.write_text(key.read_text().strip()[:-1] + "\n")
    elif breakage == "secrets0755":
        (tmp_path / "secrets").mkdir(mode=0o755)
        (tmp_path / "secrets").chmod(0o755)
    proc = run_snakemake(tmp_path, config, "-n", check=False)
    assert proc.returncode != 0
    for text in expected:
        assert text in proc.stdout, (text, proc.stdout[-2000:])
    assert key.read_text().strip() not in proc.stdout  # never the key itself
    assert not (tmp_path / "work").exists()
