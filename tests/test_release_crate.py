"""The release's RO-Crate holds release-relative paths and hashes of released files only: inputs by kind and
pseudonymized path, no input hash, no host or absolute path, no secure-area parameter; every release check runs
before the gate (release_check_section) so nothing fails after it passed."""

from __future__ import annotations

import json
import socket

import pytest

from deidflow.io import atomic_write_json
from deidflow.parts import PartWriter
from deidflow.release import (CrateContext, ReleaseError, assemble_release, build_crate, crate_problems,
                              release_check_section)
from deidflow.subjects import SubjectRecord

PATIENT_ID = "PID48213377"
RECORD = SubjectRecord("01", "p7x9k2", 12, {"A": "s4q8"})


@pytest.fixture()
def run(tmp_path):
    """Parts, identifiers and job records of a run whose study lies at an absolute path."""
    bids, work, secrets = tmp_path / "study", tmp_path / "work", tmp_path / "secrets"
    dicom = bids / "sourcedata" / "dicom" / "sub-01" / f"DOE_JODI_{PATIENT_ID}"
    dicom.mkdir(parents=True)
    (dicom / "IM0001").write_bytes(b"DICM")
    part = work / "parts" / "photo" / "p7x9k2"
    with PartWriter(part, "photo", "p7x9k2") as writer:
        writer.path("sub-p7x9k2/photo/sub-p7x9k2_photo.jpg").write_bytes(b"\xff\xd8 blurred")
    identifiers = work / "identifiers" / "study.json"
    atomic_write_json(identifiers, {"subjects": {"p7x9k2": [
        {"value": "Jodi Castro", "kind": "name", "column": "full_name"},
        {"value": PATIENT_ID, "kind": "id", "column": "dicom:PatientID"}]}, "global": []})
    released = part / "files" / "sub-p7x9k2" / "photo" / "sub-p7x9k2_photo.jpg"
    record = {
        "rule": "media_photos", "wildcards": {"subject": "p7x9k2"},
        # job records keep absolute paths and every input's hash: they stay in the secure area
        "inputs": [{"path": str(bids / "sub-p7x9k2" / "photo" / "sub-p7x9k2_JodiCastro.jpg"), "size": 9,
                    "sha256": "ab" * 32},
                   {"path": str(bids / "sourcedata" / "dicom" / "sub-p7x9k2" / f"DOE_JODI_{PATIENT_ID}" / "IM0001"),
                    "size": 4, "sha256": "cd" * 32},
                   {"path": str(secrets / "subjects.json"), "secret": True}],
        "outputs": [{"path": str(released), "size": 15,
                     "sha256": __import__("hashlib").sha256(released.read_bytes()).hexdigest()}],
        "params": {"bids": str(bids), "base_dir": "/home/lab/deidflow", "media": {"threshold": 0.2},
                   "relative": "work/parts/x"},
        "tools": {"python": "3.11"}, "host": socket.gethostname(), "platform": "Linux", "threads": 1,
        "start": "2026-01-01T00:00:00+00:00", "end": "2026-01-01T00:00:01+00:00",
    }
    atomic_write_json(work / "provenance" / "media_photos" / "subject-p7x9k2.json", record)
    context = CrateContext(str(bids), "work", str(secrets),
                           {"p7x9k2": SubjectRecord("01", "p7x9k2", 12, {"A": "s4q8"})})
    return tmp_path, [str(part)], str(identifiers), context


def _crate_text(tmp_path, parts, context) -> str:
    from deidflow.release import _records, collect_files

    files, _ = collect_files(parts)
    crate = build_crate(files, _records(tmp_path / "work" / "provenance"), {"name": "x"}, context)
    crate.metadata.write(tmp_path)
    return (tmp_path / "ro-crate-metadata.json").read_text()


def test_crate_holds_no_input_hash_host_or_absolute_path(run, monkeypatch):
    tmp_path, parts, _, context = run
    monkeypatch.chdir(tmp_path)
    text = _crate_text(tmp_path, parts, context)
    crate = json.loads(text)
    for forbidden in (str(tmp_path), PATIENT_ID, "JodiCastro", "ab" * 32, "cd" * 32, "/home/lab", '"host"',
                      '\\"host\\"'):
        assert forbidden not in text, forbidden
    assert not crate_problems(crate, context)
    graph = {e["@id"]: e for e in crate["@graph"]}
    assert len(graph["sub-p7x9k2/photo/sub-p7x9k2_photo.jpg"]["sha256"]) == 64  # released files keep their hash
    inputs = {e["name"]: e["value"] for e in crate["@graph"] if e.get("@type") == "PropertyValue"}
    assert inputs["input photo"] == "sub-p7x9k2/photo/sub-p7x9k2_photo.jpg"  # rebuilt from entities
    assert inputs["input dicom"] == "sourcedata/dicom/sub-p7x9k2/…/IM0001"  # no folder named by PatientID
    assert inputs["secret"].startswith("(secrets store")
    # a profile the crate conforms to: Process Run Crate, every action with an instrument
    root = graph["./"]
    assert root["conformsTo"] == [{"@id": "https://w3id.org/ro/wfrun/process/0.5"}]
    assert graph["https://w3id.org/ro/wfrun/process/0.5"]["@type"] == "CreativeWork"
    action = next(e for e in crate["@graph"] if e.get("@type") == "CreateAction")
    assert action["instrument"] == {"@id": "#deidflow"} and {"@id": action["@id"]} in root["mentions"]
    assert json.loads(action["description"])["params"] == {"bids": "(path withheld)", "media": {"threshold": 0.2},
                                                           "relative": "(path withheld)"}


def test_release_checks_run_before_the_gate(run, monkeypatch):
    tmp_path, parts, identifiers, context = run
    monkeypatch.chdir(tmp_path)
    section = release_check_section(parts, str(tmp_path / "work" / "provenance"), identifiers, {"name": "x"}, context)
    assert all(c["passed"] for c in section["checks"]), section["checks"]
    # a clash between parts and a crate that would name a patient are failed checks, not a failed release step
    clash = tmp_path / "work" / "parts" / "video" / "p7x9k2"
    with PartWriter(clash, "video", "p7x9k2") as writer:
        writer.path("sub-p7x9k2/photo/sub-p7x9k2_photo.jpg").write_bytes(b"other")
        writer.path("sub-p7x9k2/photo/sub-p7x9k2_JodiCastro.jpg").write_bytes(b"a part that names by hand")
    section = release_check_section([*parts, str(clash)], str(tmp_path / "work" / "provenance"), identifiers,
                                    {"name": "Jodi Castro's study"}, context)
    failed = {c["name"]: c["detail"] for c in section["checks"] if not c["passed"]}
    assert failed["every released name is built from BIDS entities"] == \
        "a file in sub-p7x9k2/photo/: 1 name part(s) that are not BIDS entities"
    assert "two parts produce the same release file sub-p7x9k2/photo/sub-p7x9k2_photo.jpg" in \
        failed["every release file comes from one part"]
    assert "full_name (name" in failed["provenance crate carries no known identifier"]
    assert "Jodi" not in json.dumps(section["checks"][:2])  # the name check and the clash check name no value
    with pytest.raises(ReleaseError):
        assemble_release([*parts, str(clash)], str(tmp_path / "release"), str(tmp_path / "work" / "provenance"),
                         identifiers, {"name": "x"}, context)


def test_a_short_relative_work_dir_matches_only_as_a_path():
    context = CrateContext("study", "work", "secrets")
    assert context.is_path("work/parts/x") and context.is_path("study") and context.is_path("/abs/anything")
    assert not context.is_path("sub-p7x9k2/func/sub-p7x9k2_task-network_bold.nii.gz")
    assert context.clean({"base_dir": "x", "mode": "framework", "out": "secrets/a.json"}) == \
        {"mode": "framework", "out": "(path withheld)"}
