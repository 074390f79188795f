"""Opt-in speech-to-text of voice recordings (`audio.transcribe: true`), sent through the transcript step.

PocketSphinx 5 (PyPI `pocketsphinx`) ships its US-English acoustic model, dictionary and language model inside its
wheel, so it transcribes offline with nothing downloaded at run time. (Vosk's wheels ship no model; Whisper and
faster-whisper download theirs.) Its accuracy on conversational speech is low, and a name it does not know comes out
as other words: a transcript is a help for review and for finding spoken identifiers, not a record of what was said.
The transcript of the *original* audio is de-identified by `deidflow.text` like any interview transcript and released
beside the audio as `<entities>_recording-asr_transcript.txt`.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path, PurePosixPath
from typing import Callable, Iterable, Mapping

import numpy as np

from ..bidsname import split_extension
from .files import Audio, AudioError, read_audio

RATE = 16000
ENTITY = "recording-asr"  # tells the machine transcript from a typed one of the same task


def transcript_relpath(audio_relpath: str) -> str:
    """`sub-01/eeg/sub-01_task-x_audio.wav` -> `sub-01/beh/sub-01_task-x_recording-asr_transcript.txt` (transcripts
    live in `beh/`, where the transcript step releases them, whatever folder the recording is in)."""
    path = PurePosixPath(audio_relpath)
    if len(path.parts) >= 3:
        path = path.parent.parent / "beh" / path.name
    stem, _ = split_extension(path.name)
    pieces = [p for p in stem.split("_") if not p.startswith("recording-")]
    if pieces and "-" not in pieces[-1]:
        pieces.pop()  # the suffix (audio, or a typed word)
    return str(path.with_name("_".join([*pieces, ENTITY, "transcript"]) + ".txt"))


def mono_16k(audio: Audio) -> np.ndarray:
    """The recording as 16 kHz mono 16-bit PCM samples, as the en-us model expects."""
    from math import gcd

    from scipy.signal import resample_poly

    x = audio.data.mean(axis=1)
    if audio.rate != RATE:
        g = gcd(RATE, audio.rate)
        x = resample_poly(x, RATE // g, audio.rate // g)
    return (np.clip(x, -1, 1) * 32767).astype("<i2")


_DECODER = None


def transcribe(audio: Audio) -> str:
    """PocketSphinx's best hypothesis for the whole recording (lower-case words; '' when it hears none)."""
    global _DECODER
    from pocketsphinx import Decoder

    if _DECODER is None:
        _DECODER = Decoder(samprate=RATE, loglevel="FATAL")
    decoder = _DECODER
    decoder.start_utt()
    decoder.process_raw(mono_16k(audio).tobytes(), full_utt=True)
    decoder.end_utt()
    hyp = decoder.hyp()
    return hyp.hypstr.strip() if hyp is not None else ""


def transcribe_subject(inputs: Iterable[str | os.PathLike], bids_dir: str | os.PathLike, record,
                       identifiers: Mapping, text_cfg, writer, log: logging.Logger, *, salt: str = "",
                       recognizer: Callable[[Audio], str] = transcribe) -> dict:
    """Transcribe one subject's recordings and de-identify the text with the transcript step into `writer`.
    Raw transcripts live only in a temporary folder; a recording that cannot be decoded is withheld here too."""
    from ..bidsname import report_path
    from ..text.deidentify import deidentify_subject

    with tempfile.TemporaryDirectory(prefix="deidflow-asr-") as tmp:
        texts = []
        for src in sorted(Path(p) for p in inputs):
            rel = transcript_relpath(Path(os.path.relpath(src, bids_dir)).as_posix())
            try:
                text = recognizer(read_audio(src))
            except AudioError as exc:
                label = report_path(rel, record)
                cause = str(exc).replace(src.name, PurePosixPath(label).name)  # a typed file name never travels
                writer.withhold(label, f"{label}: no transcript, the recording cannot be decoded ({cause})")
                continue
            target = Path(tmp) / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text + "\n", encoding="utf-8")
            texts.append(str(target))
        deidentify_subject(texts, tmp, record, identifiers, text_cfg, writer, log, salt=salt)
    section = writer.risk_section or {}
    section["section"] = f"audio_transcript:{record.pseudonym}"
    section["title"] = f"Machine transcripts of sub-{record.pseudonym}'s recordings (PocketSphinx en-us)"
    writer.note("transcribed offline by PocketSphinx 5 (en-us model shipped in its wheel) from the original audio, "
                "then de-identified as transcripts; its recall of words is low: review before relying on it")
    return section
