"""Rule text_transcripts under Snakemake: a generated subject's transcripts become a pseudonymized part with no
identifier of that subject left, and nothing is written into the input."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from conftest import ROOT, run_snakemake, tree_digest, write_config


def test_text_rule_makes_a_transcript_part_without_identifiers(tmp_path: Path):
    sys.path.insert(0, str(ROOT / "scripts"))
    from deidflow.demo.study import make_study

    study = tmp_path / "bids"
    [person] = make_study(study, 1, seed=11, small=True, modalities=("transcripts",))
    before = tree_digest(study)
    config = write_config(tmp_path, study)
    run_snakemake(tmp_path, config, str(tmp_path / "secrets" / "subjects.json"),
                  str(tmp_path / "work" / "identifiers" / "study.json"))
    [record] = json.loads((tmp_path / "secrets" / "subjects.json").read_text())["subjects"]
    pseudo = record["pseudonym"]
    part = tmp_path / "work" / "parts" / "transcript" / pseudo
    run_snakemake(tmp_path, config, str(part))
    manifest = json.loads((part / "manifest.json").read_text())
    assert manifest["produced"] == [f"sub-{pseudo}/beh/sub-{pseudo}_task-followup_transcript.vtt",
                                    f"sub-{pseudo}/beh/sub-{pseudo}_task-interview_transcript.txt"]
    released = "".join((part / "files" / p).read_text() for p in manifest["produced"])
    for value in (person.first_name, person.last_name, person.nickname, person.city, person.street_address,
                  person.postcode, person.phone, person.email, person.national_id, person.relatives[0][1],
                  person.physician.split()[-1], person.label):
        assert value not in released, value
    assert "Interviewer: " in released and " --> " in released
    logs = "".join(p.read_text() for p in (tmp_path / "logs").rglob("*.log"))
    assert person.last_name not in logs and person.label not in logs
    assert tree_digest(study) == before
