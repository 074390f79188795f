"""Logs and errors: no identifier value in logs, provenance or reports; a broken subject file is reported by name
while the other subjects finish."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import ROOT, run_snakemake, write_config
from test_reproducible import frozen_commit

pytestmark = [pytest.mark.workflow, pytest.mark.slow]

# Kinds a per-subject rule reads byte by byte (a corrupt one must be withheld or fail its job, never pass through).
CONTENT_KINDS = ("photo", "video", "transcript", "dicom", "nifti")


def identifier_values(study: Path) -> dict[str, str]:
    """{value: column} of every direct identifier in participants.tsv (the config's identifier columns) and every
    original subject label."""
    columns = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())["identifiers"]["columns"]
    table = pd.read_csv(study / "participants.tsv", sep="\t", dtype=str, keep_default_na=False)
    values = {}
    for column in [c for c in columns if c in table.columns]:
        for value in table[column]:
            if len(value.strip()) >= 5:  # shorter values match by chance (and are not in the fixture)
                values[value.strip()] = column
    for label in table["participant_id"]:
        values[label] = "participant_id"
        values[label.removeprefix("sub-")] = "participant_id"
    return values


@pytest.fixture(scope="module")
def finished(workflow_run):
    """The session's shared full run of the small study (read only here): its logs, provenance and reports."""
    tmp, _, proc, _ = workflow_run
    return tmp, proc


def test_every_rule_writes_a_log(finished):
    tmp, _ = finished
    logs = [p for p in (tmp / "logs").rglob("*.log")]
    assert logs, "no rule logs written"
    empty = [p.relative_to(tmp).as_posix() for p in logs if not p.read_text().strip()]
    assert not empty, f"logs that say nothing about what the rule did: {empty}"


def test_no_identifier_in_logs_provenance_or_reports(finished, small_study):
    tmp, proc = finished
    values = identifier_values(small_study)
    assert len(values) > 10
    roots = [tmp / "logs", tmp / "work" / "provenance", tmp / "reports"]
    scanned = 0
    found = []
    for root in roots:
        for path in (p for p in root.rglob("*") if p.is_file()):
            scanned += 1
            text = path.read_bytes().decode("utf-8", errors="replace")
            found += [f"{path.relative_to(tmp)}: {column}" for value, column in values.items() if value in text]
            found += [f"{path.relative_to(tmp)} (file name): {column}"
                      for value, column in values.items() if value in path.relative_to(tmp).as_posix()]
    assert scanned >= 5
    assert not found, f"identifier values in logs/provenance/reports: {sorted(set(found))}"
    direct = {v: c for v, c in values.items() if c != "participant_id"}
    leaked = sorted({c for v, c in direct.items() if v in proc.stdout})
    assert not leaked, f"Snakemake's console output carries direct identifiers: {leaked}"


def test_a_corrupt_subject_file_is_named_and_the_others_finish(finished, small_study, tmp_path):
    run = finished[0]
    parts = run / "work" / "parts"
    subject_parts = sorted(p for p in parts.glob("*/*") if p.is_dir() and p.name != "_global")
    if not subject_parts:
        pytest.skip("no per-subject part rule is enabled yet (SUBJECT_PARTS is empty): nothing can fail per subject")
    import sys

    sys.path.insert(0, str(ROOT / "scripts"))
    from deidflow.discovery import discover

    study = tmp_path / "bids"
    shutil.copytree(small_study, study)
    for path in study.rglob("*"):
        path.chmod(path.stat().st_mode | 0o200)
    subjects = json.loads((run / "secrets" / "subjects.json").read_text())["subjects"]
    by_pseudonym = {item["pseudonym"]: str(item["original"]) for item in subjects}
    victim_subject = subject_parts[0].name
    original = by_pseudonym[victim_subject].removeprefix("sub-")
    candidates = [f for f in discover(str(study)).files if f.subject == original and f.kind in CONTENT_KINDS]
    if not candidates:
        pytest.skip(f"subject parts exist ({subject_parts[0].parent.name}) but none reads {CONTENT_KINDS} files")
    victim = study / candidates[0].relpath
    victim.write_bytes(b"\x00not a valid file\xff" * 4)

    config = write_config(tmp_path, study)
    with frozen_commit(tmp_path):
        proc = run_snakemake(tmp_path, config, "--keep-going", check=False)
    others = {p.name for p in subject_parts if p.name != victim_subject}
    done = {p.name for p in (tmp_path / "work" / "parts").glob("*/*") if p.is_dir()}
    assert others <= done, f"other subjects did not finish: {sorted(others - done)}"
    stem = victim.name.split("_", 1)[-1]  # the file name without its sub-<label> prefix
    report = tmp_path / "reports" / "risk.json"
    withheld = json.loads(report.read_text()).get("withheld", []) if report.is_file() else []
    named_in_report = [w for w in withheld if w["source"].endswith(stem) and w.get("reason")]
    assert named_in_report or stem in proc.stdout, (
        f"the corrupt file {candidates[0].kind} ...{stem} is named neither in the run's output nor in the report")
