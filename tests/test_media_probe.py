"""Content sniffing: a media file is judged by its bytes, so a file whose extension lies is caught before decoding."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from deidflow.media.probe import MediaError, check_format, sniff


def _png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("head,expected", [
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "png"),
    (b"II*\x00\x08\x00\x00\x00", "tiff"),
    (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "heic"),
    (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00", "mp4"),
    (b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00", "mov"),
    (b"RIFF\x00\x10\x00\x00AVI LIST", "avi"),
    (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", "webm"),
    (b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\x82\x88matroska", "mkv"),
    (b"hello, this is text", None),
])
def test_sniff_recognises_formats_by_content(tmp_path: Path, head: bytes, expected: str | None):
    path = tmp_path / "file.bin"
    path.write_bytes(head + b"\x00" * 64)
    assert sniff(path) == expected


def test_a_png_named_jpg_is_refused_with_both_formats_named(tmp_path: Path):
    path = tmp_path / "sub-01_photo.jpg"
    path.write_bytes(_png_bytes())
    with pytest.raises(MediaError, match="extension says JPEG but the content is PNG"):
        check_format(path, ("jpeg", "png"))


def test_mp4_content_in_a_mov_file_is_accepted_and_text_is_not(tmp_path: Path):
    mov = tmp_path / "clip.mov"
    mov.write_bytes(b"\x00\x00\x00\x20ftypisom" + b"\x00" * 64)
    assert check_format(mov, ("mp4", "mov")) == "mov"
    fake = tmp_path / "clip.mp4"
    fake.write_text("not a video at all, just words " * 4)
    with pytest.raises(MediaError, match="not a recognised MP4"):
        check_format(fake, ("mp4",))


def test_empty_and_unknown_extensions_are_refused(tmp_path: Path):
    empty = tmp_path / "clip.mp4"
    empty.write_bytes(b"")
    with pytest.raises(MediaError, match="empty file"):
        check_format(empty, ("mp4",))
    gif = tmp_path / "x.gif"
    gif.write_bytes(b"GIF89a" + b"\x00" * 20)
    with pytest.raises(MediaError, match="not a supported format"):
        check_format(gif, ("jpeg", "png"))
