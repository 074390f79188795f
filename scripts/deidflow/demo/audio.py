"""A demo interview recording per participant: a synthetic voice (glottal pulses through moving formant filters) in
a WAV whose RIFF INFO tags carry the participant's name, address, phone and the visit date, as recorders write them."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
from scipy.signal import lfilter

RATE = 16000
# (F1, F2, F3) in Hz of a few vowels (Peterson & Barney averages): /a/, /i/, /u/, /e/
VOWELS = ((730, 1090, 2440), (270, 2290, 3010), (300, 870, 2240), (530, 1840, 2480))
BANDWIDTHS = (80, 100, 140)


def voiced(seconds: float, rng: random.Random, *, rate: int = RATE, f0: float | None = None,
           vowels: tuple[tuple[int, int, int], ...] = VOWELS) -> np.ndarray:
    """A speech-like mono signal: a glottal pulse train (pitch f0 with slow drift) through three formant resonators
    that step through `vowels`, with short pauses between them; peak 0.8."""
    f0 = f0 if f0 is not None else rng.uniform(95, 220)
    n = int(seconds * rate)
    segment = n // len(vowels)
    out = np.zeros(n)
    for index, formants in enumerate(vowels):
        start, stop = index * segment, min(n, (index + 1) * segment - int(0.04 * rate))
        length = stop - start
        t = np.arange(length) / rate
        pitch = f0 * (1 + 0.05 * np.sin(2 * np.pi * rng.uniform(2, 4) * t))
        phase = np.cumsum(pitch / rate)
        source = np.diff(np.floor(phase), prepend=0.0)  # one pulse per pitch period
        source = lfilter([1.0], [1.0, -0.9], source)  # glottal roll-off
        for f, bw in zip(formants, BANDWIDTHS):
            r = np.exp(-np.pi * bw / rate)
            source = lfilter([1 - r], [1.0, -2 * r * np.cos(2 * np.pi * f / rate), r * r], source)
        out[start:stop] = source * np.hanning(length)
    return 0.8 * out / np.max(np.abs(out))


def write_tagged_wav(path: Path, samples: np.ndarray, person, *, rate: int = RATE) -> Path:
    """A 16-bit WAV with RIFF INFO tags naming the person (title, artist, comment with address and phone, date)."""
    import soundfile as sf

    path.parent.mkdir(parents=True, exist_ok=True)
    with sf.SoundFile(path, "w", samplerate=rate, channels=1, subtype="PCM_16", format="WAV") as fh:
        fh.title = f"Interview with {person.full_name}"
        fh.artist = person.full_name
        fh.comment = f"{person.street_address}, {person.city}; phone {person.phone}"
        fh.date = f"{person.visit_date:%Y-%m-%d}"
        fh.write(samples)
    return path


def write(study_dir: Path, person, rng: random.Random, *, small: bool = False) -> list[Path]:
    """Write one participant's interview recording (sub-<label>/beh/sub-<label>_task-interview_audio.wav)."""
    samples = voiced(1.0 if small else 2.0, rng)
    path = Path(study_dir) / f"sub-{person.label}" / "beh" / f"sub-{person.label}_task-interview_audio.wav"
    return [write_tagged_wav(path, samples, person)]
