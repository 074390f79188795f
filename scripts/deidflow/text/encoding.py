"""Decode transcript bytes: BOM first, then strict UTF-8, then a confident charset guess; otherwise fail clearly."""

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
