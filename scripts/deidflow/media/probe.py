"""Content sniffing: what a media file really is, whatever its extension says."""

from __future__ import annotations

import os
from pathlib import Path

PHOTO_FORMATS = ("jpeg", "png", "tiff", "heic")
VIDEO_FORMATS = ("mp4", "mov", "avi", "mkv", "webm")
EXTENSIONS = {
    ".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png", ".tif": "tiff", ".tiff": "tiff", ".heic": "heic", ".heif": "heic",
    ".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".avi": "avi", ".mkv": "mkv", ".webm": "webm",
}
# Container families: an extension and a content agree when they fall in the same family (MP4 and MOV share ISO BMFF).
FAMILY = {"mp4": "isobmff", "mov": "isobmff", "mkv": "matroska", "webm": "matroska"}


class MediaError(Exception):
    """A media file that cannot be de-identified (the message names the file and the cause)."""


def sniff(path: str | os.PathLike) -> str | None:
    """The format the file's leading bytes show (one of PHOTO_FORMATS/VIDEO_FORMATS), or None."""
    with open(path, "rb") as fh:
        head = fh.read(64)
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "avi"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm" if b"webm" in head else "mkv"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"heic", b"heix", b"mif1", b"msf1", b"heim", b"heis", b"hevc"):
            return "heic"
        return "mov" if brand == b"qt  " else "mp4"
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free"):
        return "mov"
    return None


def check_format(path: str | os.PathLike, expected: tuple[str, ...]) -> str:
    """The file's format when its content matches its extension and is one of `expected`; else MediaError."""
    path = Path(path)
    claimed = EXTENSIONS.get(path.suffix.lower())
    if claimed is None or claimed not in expected:
        raise MediaError(f"{path.name}: extension {path.suffix or '(none)'} is not a supported format")
    if path.stat().st_size == 0:
        raise MediaError(f"{path.name}: empty file (0 bytes)")
    found = sniff(path)
    if found is None:
        raise MediaError(f"{path.name}: content is not a recognised {claimed.upper()} file (unknown signature)")
    if found != claimed and FAMILY.get(found, found) != FAMILY.get(claimed, claimed):
        raise MediaError(f"{path.name}: extension says {claimed.upper()} but the content is {found.upper()}")
    return claimed
