"""Decode transcript bytes: BOM first, then UTF-16/32 without a BOM, then strict UTF-8, then a confident charset guess; otherwise fail clearly."""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes

_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]
_ALLOWED_GUESSES = {"cp1252", "latin_1", "iso8859_15", "cp1250", "iso8859_2", "mac_roman", "utf_16", "ascii"}


_WIDE = ("utf-32-le", "utf-32-be", "utf-16-le", "utf-16-be")


def _mostly_text(text: str) -> bool:
    return bool(text) and sum(c.isprintable() or c in "\r\n\t" for c in text) > 0.95 * len(text)


def sniff_wide(data: bytes) -> str | None:
    """The UTF-16/UTF-32 encoding (LE or BE) of text written without a byte-order mark, or None: such text is full of
    NUL bytes, in a pattern that only one of the four decodings turns into printable characters."""
    sample = data[:65536 // 4 * 4]
    if len(sample) < 4 or sample.count(0) < len(sample) // 4:
        return None
    for encoding in _WIDE:
        width = 4 if "32" in encoding else 2
        try:
            if not _mostly_text(sample[: len(sample) // width * width].decode(encoding)):
                continue
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    return None


def sniff_unicode(data: bytes) -> tuple[str, str] | None:
    """(text, encoding) for bytes that are Unicode text (UTF-8, or UTF-16/32 with or without a byte-order mark),
    or None for anything else (binary content)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError:
                return None
    if b"\x00" in data[:65536]:
        wide = sniff_wide(data)
        return (data.decode(wide), wide) if wide else None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return None


class TranscriptEncodingError(ValueError):
    """The file's text encoding could not be determined with confidence."""


def decode(data: bytes, name: str, *, allow_guess: bool = True) -> tuple[str, str]:
    """Return (text, encoding) for a transcript's bytes, or raise naming the file."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError as err:
                raise TranscriptEncodingError(
                    f"{name}: starts with a {encoding} byte-order mark but is not {encoding} ({err})"
                ) from err
    wide = sniff_wide(data) if b"\x00" in data[:65536] else None
    if wide is not None:
        return data.decode(wide), wide
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as err:
        utf8_error = err
    if allow_guess:
        best = from_bytes(data).best()
        if best is not None and best.encoding in _ALLOWED_GUESSES and best.chaos < 0.1:
            return str(best), best.encoding
    raise TranscriptEncodingError(
        f"{name}: not UTF-8 ({utf8_error.reason} at byte {utf8_error.start}) and no confident encoding guess; "
        "re-save it as UTF-8"
    )
