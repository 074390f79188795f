"""Audio files in and out: content sniffing, decoding (libsndfile via soundfile; ffmpeg for MP3 and M4A) and a fresh,
metadata-free rewrite (WAV or FLAC holding only the format and the samples)."""

from __future__ import annotations

import os
import struct
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

EXTENSIONS = {".wav": "wav", ".flac": "flac", ".ogg": "ogg", ".mp3": "mp3", ".m4a": "m4a"}
FFMPEG_DECODED = ("mp3", "m4a")  # libsndfile reads no AAC; ffmpeg decodes both with one code path


class AudioError(Exception):
    """An audio file that cannot be de-identified (the message names the cause; the caller names the file)."""


@dataclass(frozen=True)
class Audio:
    """Decoded samples (frames x channels, float64 in [-1, 1]) and what the rewrite needs to keep."""

    data: np.ndarray
    rate: int
    fmt: str  # input format: wav, flac, ogg, mp3, m4a
    subtype: str  # libsndfile subtype of the input (PCM_16, PCM_24, FLOAT, VORBIS, ...) or "decoded"

    @property
    def seconds(self) -> float:
        return self.data.shape[0] / self.rate if self.rate else 0.0


def sniff(path: str | os.PathLike) -> str | None:
    """The audio format the file's leading bytes show, or None."""
    with open(path, "rb") as fh:
        head = fh.read(16)
    if head[:4] in (b"RIFF", b"RIFX", b"RF64") and head[8:12] == b"WAVE":
        return "wav"
    if head.startswith(b"fLaC"):
        return "flac"
    if head.startswith(b"OggS"):
        return "ogg"
    if head[4:8] == b"ftyp":
        return "m4a"
    if head.startswith(b"ID3"):
        return "mp3"  # an ID3v2 tag may also precede FLAC ("fLaC" after the tag); libsndfile then refuses it
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        return "mp3"
    return None


def check_format(path: str | os.PathLike) -> str:
    """The file's format when its extension is an audio one and its content agrees; else AudioError."""
    path = Path(path)
    claimed = EXTENSIONS.get(path.suffix.lower())
    if claimed is None:
        raise AudioError(f"extension {path.suffix or '(none)'} is not a supported audio format")
    if path.stat().st_size == 0:
        raise AudioError("empty file (0 bytes)")
    found = sniff(path)
    if found is None:
        raise AudioError(f"content is not a recognised {claimed.upper()} file (unknown signature)")
    if found != claimed:
        raise AudioError(f"extension says {claimed.upper()} but the content is {found.upper()}")
    if found == "wav":
        check_riff(path)
    return claimed


def check_riff(path: Path) -> None:
    """A WAV whose data chunk claims more bytes than the file holds was cut short: refuse it (libsndfile would
    quietly read what is there)."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        magic = fh.read(4)
        if magic == b"RF64":
            return  # 64-bit sizes live in the ds64 chunk; libsndfile checks them
        order = ">I" if magic == b"RIFX" else "<I"  # RIFX: the big-endian variant
        fh.seek(12)
        while True:
            header = fh.read(8)
            if len(header) < 8:
                raise AudioError("truncated WAV: no data chunk")
            chunk, length = header[:4], struct.unpack(order, header[4:])[0]
            if chunk == b"data":
                if fh.tell() + length > size:
                    raise AudioError(f"truncated WAV: the data chunk claims {length} bytes, "
                                     f"{size - fh.tell()} are present")
                return
            fh.seek(length + (length & 1), os.SEEK_CUR)
            if fh.tell() > size:
                raise AudioError(f"truncated WAV: chunk {chunk.decode('latin-1')!r} runs past the end of the file")


def ffmpeg() -> str:
    """The ffmpeg binary shipped in the imageio-ffmpeg wheel."""
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def _decode_with_ffmpeg(path: Path) -> tuple[np.ndarray, int]:
    import soundfile as sf

    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "decoded.wav"
        result = subprocess.run([ffmpeg(), "-hide_banner", "-v", "error", "-xerror", "-i", str(path), "-vn",
                                 "-map", "0:a:0", "-map_metadata", "-1", "-c:a", "pcm_f32le", "-f", "wav", str(wav)],
                                capture_output=True, text=True)
        if result.returncode != 0 or not wav.is_file():
            detail = result.stderr.strip().replace(str(path), path.name)[-300:]
            raise AudioError(f"ffmpeg cannot decode the audio (corrupt or unsupported): {detail}")
        data, rate = sf.read(wav, dtype="float64", always_2d=True)
    return data, rate


def read_audio(path: str | os.PathLike) -> Audio:
    """Decode an audio file after checking its format; AudioError (cause only) when it is corrupt or unsupported."""
    import soundfile as sf

    path = Path(path)
    fmt = check_format(path)
    if fmt in FFMPEG_DECODED:
        data, rate = _decode_with_ffmpeg(path)
        subtype = "decoded"
    else:
        try:
            with sf.SoundFile(path) as fh:
                subtype = fh.subtype
                data = fh.read(dtype="float64", always_2d=True)
                rate = fh.samplerate
                if data.shape[0] < fh.frames:
                    raise AudioError(f"truncated {fmt.upper()}: {data.shape[0]} of {fh.frames} frames decoded")
        except (sf.LibsndfileError, RuntimeError) as exc:
            raise AudioError(f"libsndfile cannot decode the {fmt.upper()} file (corrupt or unsupported): "
                             f"{str(exc).replace(str(path), path.name)[-200:]}") from None
    if data.shape[0] == 0:
        raise AudioError("no audio samples (0 frames)")
    if not np.all(np.isfinite(data)):
        raise AudioError("samples are not finite numbers (NaN or infinity in a float file)")
    return Audio(data=data, rate=int(rate), fmt=fmt, subtype=subtype)


def output_format(audio: Audio, lossy_as: str = "flac") -> tuple[str, str]:
    """(extension, libsndfile subtype) of the released file: WAV stays WAV and FLAC stays FLAC at their bit depth;
    lossy inputs (MP3, Ogg, M4A) are released as `lossy_as` (flac or wav) at 16 bits."""
    if audio.fmt == "wav":
        if audio.subtype in ("FLOAT", "DOUBLE"):
            return ".wav", "FLOAT"
        return ".wav", "PCM_24" if audio.subtype in ("PCM_24", "PCM_32") else "PCM_16"
    if audio.fmt == "flac":
        return ".flac", "PCM_24" if audio.subtype == "PCM_24" else "PCM_16"
    return f".{lossy_as}", "PCM_16"


def write_audio(path: str | os.PathLike, data: np.ndarray, rate: int, subtype: str) -> None:
    """Write samples fresh as WAV or FLAC (by the extension): format and samples only, no INFO/ID3/Vorbis comment.
    Values are clipped to [-1, 1] so integer formats never wrap."""
    import soundfile as sf

    path = Path(path)
    fmt = {".wav": "WAV", ".flac": "FLAC"}[path.suffix.lower()]
    sf.write(path, np.clip(data, -1.0, 1.0), rate, subtype=subtype, format=fmt)
