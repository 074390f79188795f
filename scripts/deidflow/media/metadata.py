"""Metadata removal and reading with exiftool (Debian libimage-exiftool-perl) and the ffmpeg of imageio-ffmpeg."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import imageio_ffmpeg

from .probe import MediaError


def exiftool() -> str:
    """Path of the exiftool binary; a clear error when it is missing."""
    path = shutil.which("exiftool")
    if path is None:
        raise RuntimeError("exiftool not found: install the Debian package libimage-exiftool-perl")
    return path


def ffmpeg() -> str:
    """Path of the ffmpeg binary shipped in the imageio-ffmpeg wheel."""
    return imageio_ffmpeg.get_ffmpeg_exe()


def strip_image(path: str | os.PathLike, *, keep_icc: bool = False) -> None:
    """Delete every metadata block (EXIF with thumbnail, GPS, XMP, IPTC, maker notes, comments, trailers, PNG text)."""
    cmd = [exiftool(), "-q", "-q", "-m", "-overwrite_original", "-all=", "-trailer:all="]
    if keep_icc:
        cmd += ["--icc_profile:all"]
    result = subprocess.run([*cmd, "--", str(path)], capture_output=True, text=True)
    if result.returncode != 0:
        raise MediaError(f"exiftool could not remove metadata: {result.stderr.strip()[:200]}")


def read_tags(path: str | os.PathLike) -> list[tuple[str, object]]:
    """Every tag exiftool finds in a file as ('Group1:Tag', value) pairs (duplicates and unknown tags included)."""
    result = subprocess.run(
        [exiftool(), "-j", "-G1", "-a", "-u", "-struct", "-api", "LargeFileSupport=1", "--", str(path)],
        capture_output=True, text=True,
    )
    if result.returncode != 0 and not result.stdout.strip():
        raise MediaError(f"exiftool could not read {Path(path).name}: {result.stderr.strip()[:200]}")
    records = json.loads(result.stdout, object_pairs_hook=list)
    return [(key, value) for key, value in records[0] if key != "SourceFile"]


def readable_tags(path: str | os.PathLike) -> list[tuple[str, object]]:
    """`read_tags`, or no tags when exiftool cannot read the file (for lists of values to search for: a file that
    cannot be read is withheld by its own step)."""
    try:
        return read_tags(path)
    except (MediaError, ValueError):
        return []


def has_trailer(path: str | os.PathLike) -> bool:
    """True when a JPEG has bytes after its end-of-image marker (where phones and editors hide extra data)."""
    data = Path(path).read_bytes()
    end = data.rfind(b"\xff\xd9")
    return data.startswith(b"\xff\xd8") and end != -1 and end + 2 < len(data)
