"""Rule audio_voices under Snakemake, through the release: a generated subject's tagged interview WAV is released
with the voice changed and no tag, the leak scan finds none of the planted identifiers, a corrupt recording is
withheld naming its file, the opt-in machine transcript is released beside it, and the input is untouched. Other media steps are off to keep the run short."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from conftest import ROOT, run_snakemake, tree_digest, write_config

# the transcript step stays on: machine transcripts go through it (the study has no typed transcripts to process)
OFF = {"dicom": False, "mri": False, "photo": False, "video": False, "synth": False}


def test_audio_rule_releases_anonymized_voice_without_identifiers(tmp_path: Path):
    sys.path.insert(0, str(ROOT / "scripts"))
    import soundfile as sf

    from deidflow.audio.measure import envelope_distance
    from deidflow.demo.study import make_study

    study = tmp_path / "bids"
    [person] = make_study(study, 1, seed=23, small=True, modalities=("audio",))
    src = study / f"sub-{person.label}" / "beh" / f"sub-{person.label}_task-interview_audio.wav"
    (src.parent / f"sub-{person.label}_task-broken_audio.flac").write_bytes(b"fLaC" + b"\x00" * 40)
    before = tree_digest(study)
    config = write_config(tmp_path, study, steps=OFF, audio={"transcribe": True})
    proc = run_snakemake(tmp_path, config)
    [record] = json.loads((tmp_path / "secrets" / "subjects.json").read_text())["subjects"]
    pseudo = record["pseudonym"]
    released = tmp_path / "release" / f"sub-{pseudo}" / "beh" / f"sub-{pseudo}_task-interview_audio.wav"
    assert released.is_file(), proc.stdout[-3000:]
    data, rate = sf.read(released)
    original, _ = sf.read(src)
    assert rate == 16000 and len(data) == len(original)
    assert envelope_distance(original, data, rate) > 2.0
    raw = released.read_bytes()
    for value in (person.full_name, person.last_name, person.phone, person.city, person.label):
        assert value.encode() not in raw
    report = json.loads((tmp_path / "reports" / "risk.json").read_text())
    assert report["summary"]["passed"], report["failed_checks"]
    withheld = {w["source"]: w["reason"] for w in report["withheld"]}
    broken = f"sub-{pseudo}/beh/sub-{pseudo}_task-broken_audio.flac"
    assert broken in withheld and withheld[broken].startswith(broken + ":")
    sections = {s["section"]: s for s in report["sections"]} if isinstance(report["sections"], list) \
        else report["sections"]
    assert sections["audio"]["metrics"]["anonymized"] == 1
    asr = released.parent / f"sub-{pseudo}_task-interview_recording-asr_transcript.txt"
    assert asr.is_file() and person.last_name not in asr.read_text()
    crate = (tmp_path / "release" / "ro-crate-metadata.json").read_text()
    assert "mcadams_range" in crate or "audio_voices" in crate
    logs = "".join(p.read_text() for p in (tmp_path / "logs").rglob("*.log"))
    assert person.last_name not in logs and person.label not in logs
    assert tree_digest(study) == before
