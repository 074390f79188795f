"""Opt-in machine transcripts of recordings: PocketSphinx's wheel-shipped en-us model decodes offline, and what it
hears goes through the transcript step before release (a name spoken in the recording does not travel)."""

from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path

import pytest

pytest.importorskip("pocketsphinx")
sf = pytest.importorskip("soundfile")

from deidflow.audio.files import read_audio  # noqa: E402
from deidflow.audio.transcribe import transcribe, transcribe_subject, transcript_relpath  # noqa: E402
from deidflow.demo.people import make_people  # noqa: E402
from deidflow.io import read_json  # noqa: E402
from deidflow.parts import PartWriter  # noqa: E402
from deidflow.subjects import SubjectRecord  # noqa: E402
from deidflow.text.deidentify import TextConfig  # noqa: E402

LOG = logging.getLogger("test_audio_transcribe")


def test_transcript_names_sit_in_beh_with_their_own_entity():
    assert transcript_relpath("sub-01/beh/sub-01_task-x_audio.wav") == \
        "sub-01/beh/sub-01_task-x_recording-asr_transcript.txt"
    assert transcript_relpath("sub-01/ses-2/eeg/sub-01_ses-2_task-rest_recording-mic_audio.flac") == \
        "sub-01/ses-2/beh/sub-01_ses-2_task-rest_recording-asr_transcript.txt"


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng (Debian) synthesizes the test speech")
def test_pocketsphinx_transcribes_speech_offline(tmp_path):
    wav = tmp_path / "speech.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "140", "-w", str(wav),
                    "hello my name is john and i live at forty two elm street"], check=True)
    text = transcribe(read_audio(wav))
    assert len(text.split()) >= 4 and text == text.lower()
    assert "forty" in text  # the number words come through; names and streets often do not (low recall)


def test_spoken_identifiers_are_replaced_before_release(tmp_path):
    """Whatever the recognizer hears goes through the transcript recognizers: the subject's name, phone and city in
    the machine transcript are replaced, and the file is released under pseudonymized entities in beh/."""
    person = make_people(1, 5)[0]
    study = tmp_path / "study"
    src = study / "sub-01" / "beh" / "sub-01_task-interview_audio.wav"
    src.parent.mkdir(parents=True)
    sf.write(src, [0.0] * 1600, 16000)
    (study / "sub-01" / "beh" / "sub-01_task-bad_audio.wav").write_bytes(b"RIFF0000WAVEjunk")
    heard = f"my name is {person.full_name} i live in {person.city} call me on {person.phone}"
    identifiers = {"subjects": {"ab12cd": [{"value": person.full_name, "kind": "name"},
                                           {"value": person.phone, "kind": "phone"}]}}
    rec = SubjectRecord(original="01", pseudonym="ab12cd", date_shift_days=-30, sessions={})
    with PartWriter(tmp_path / "part", "audio_transcript", "ab12cd") as writer:
        section = transcribe_subject([src, study / "sub-01" / "beh" / "sub-01_task-bad_audio.wav"], study, rec,
                                     identifiers, TextConfig.from_config({}), writer, LOG, recognizer=lambda a: heard)
    manifest = read_json(tmp_path / "part" / "manifest.json")
    assert manifest["produced"] == ["sub-ab12cd/beh/sub-ab12cd_task-interview_recording-asr_transcript.txt"]
    released = (tmp_path / "part" / "files" / manifest["produced"][0]).read_text()
    assert "my name is" in released
    for value in (person.first_name, person.last_name, person.phone, person.city):
        assert value not in released, released
    assert any("cannot be decoded" in w["reason"] for w in manifest["withheld"])
    assert section["section"] == "audio_transcript:ab12cd"
