"""Video soundtracks: the first audio stream extracted with ffmpeg, its voice changed like standalone audio (the
subject's keyed McAdams coefficient), handed back as a temporary WAV for the video encoder to remux."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np
from scipy.io import wavfile

from ..media.metadata import ffmpeg
from ..media.probe import MediaError
from .config import AudioConfig
from .mcadams import anonymize_channels


class SoundtrackAnonymizer:
    """Callable `(video) -> anonymized WAV path`; the WAVs live in a temporary folder removed on exit."""

    def __init__(self, cfg: AudioConfig, alpha: float):
        self.cfg, self.alpha = cfg, alpha
        self.count = 0
        self._tmp: tempfile.TemporaryDirectory | None = None

    def __enter__(self) -> "SoundtrackAnonymizer":
        self._tmp = tempfile.TemporaryDirectory(prefix="deidflow-soundtrack-")
        return self

    def __exit__(self, *exc) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()

    def __call__(self, video: str | Path) -> Path:
        assert self._tmp is not None, "use SoundtrackAnonymizer as a context manager"
        self.count += 1
        raw = Path(self._tmp.name) / f"{self.count}.wav"
        result = subprocess.run([ffmpeg(), "-hide_banner", "-v", "error", "-y", "-i", str(video), "-vn", "-sn",
                                 "-dn", "-map", "0:a:0", "-map_metadata", "-1", "-c:a", "pcm_f32le", "-f", "wav",
                                 str(raw)], capture_output=True, text=True)
        if result.returncode != 0:
            raise MediaError(f"ffmpeg cannot extract the soundtrack: {result.stderr.strip()[-200:]}")
        rate, data = wavfile.read(raw)
        data = np.asarray(data, dtype=np.float64)
        if data.size == 0:
            raise MediaError("the soundtrack has no samples")
        voice = anonymize_channels(data, rate, self.alpha, **self.cfg.options)
        out = raw.with_name(f"{self.count}.anonymized.wav")
        wavfile.write(out, rate, np.clip(voice, -1, 1).astype(np.float32))
        return out
