"""RTF: the text (striprtf skips the info group, comments and other destinations); released as a fresh minimal RTF
holding only paragraphs. A file with tracked deletions is refused: striprtf cannot tell deleted text from kept."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from .model import Block, Document, DocumentError

_INFO = re.compile(rb"\\(author|operator|company|manager|title|subject|keywords|doccomm|category)\b")
_DESTINATIONS = {rb"\annotation": "comments", rb"\pict": "embedded images and objects",
                 rb"\object": "embedded images and objects", rb"\field": "field codes",
                 rb"\revtbl": "revision authors", rb"\rsid": "revision ids (rsids)", rb"\docvar": "document variables"}


def read_rtf(path: str | Path) -> Document:
    """Paragraphs of an RTF file; DocumentError naming the file when it is not RTF or holds tracked deletions."""
    name = Path(path).name
    data = Path(path).read_bytes()
    if not data.lstrip().startswith(b"{\\rtf"):
        raise DocumentError(f"{name}: not an RTF file (does not start with {{\\rtf)")
    if re.search(rb"\\deleted(?![a-z])", data):
        raise DocumentError(f"{name}: holds tracked deletions (\\deleted), which cannot be separated from the kept "
                            "text; accept or reject the changes and save again to release it")
    try:
        from striprtf.striprtf import rtf_to_text

        text = rtf_to_text(data.decode("latin-1"), errors="strict")
    except Exception as err:  # striprtf raises on malformed groups and unknown code pages
        raise DocumentError(f"{name}: not a readable RTF file ({type(err).__name__}: {err})") from None
    removed: Counter = Counter()
    for match in _INFO.finditer(data):
        removed[f"metadata {match.group(1).decode()}"] += 1
    for word, what in _DESTINATIONS.items():
        count = len(re.findall(re.escape(word) + rb"(?![a-z])", data))
        if count:
            removed[what] += count
    lines = text.replace("\r\n", "\n").split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    return Document(blocks=[Block(line) for line in lines], removed=removed)


def write_rtf(doc: Document) -> bytes:
    """A fresh RTF (ANSI, one font, \\uN escapes for non-ASCII) holding the document's text a paragraph a line."""
    out = [r"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0 Times New Roman;}}\uc1" + "\n"]
    for line in doc.text().split("\n"):
        out.append(_escape(line) + r"\par" + "\n")
    out.append("}\n")
    return "".join(out).encode("ascii")


def _escape(text: str) -> str:
    chars = []
    for ch in text:
        if ch in "\\{}":
            chars.append("\\" + ch)
        elif ch == "\t":
            chars.append(r"\tab ")
        elif ord(ch) < 128:
            chars.append(ch)
        else:
            code = ord(ch)
            if code > 0xFFFF:  # a surrogate pair, each unit signed 16-bit
                high, low = 0xD800 + ((code - 0x10000) >> 10), 0xDC00 + ((code - 0x10000) & 0x3FF)
                chars.append(f"\\u{high - 65536}?\\u{low - 65536}?")
            else:
                chars.append(f"\\u{code if code < 32768 else code - 65536}?")
    return "".join(chars)
