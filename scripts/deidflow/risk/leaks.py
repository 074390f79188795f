"""The leak scan: every identifier value the study knows, in every encoding it could take, searched in every
released byte (file names, decompressed .gz/.zip members and Parquet cells included)."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import re
import zipfile
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Iterable, Iterator

import ahocorasick

MIN_TEXT = 4  # shortest value searched in text files
MIN_BINARY = 8  # shortest value searched in binary content (shorter ones match random bytes)
SCOPED_KINDS = ("date",)  # kinds whose hits count only where their subject is (see `in_scope`)
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
MAX_DECOMPRESSED = 2 << 30


@dataclass(frozen=True)
class Needle:
    text: str  # the variant searched (lower case)
    kind: str
    column: str
    subject: str  # pseudonym of the subject it belongs to ("" for study-wide values)
    form: str  # which variant: as-is, dicom-name, digits, iso-date, ...
    owners: frozenset[str] = frozenset()  # dates: every subject whose value it is (see `in_scope`)


@dataclass(frozen=True)
class Hit:
    file: str  # release-relative path (or "<path> (file name)")
    kind: str
    column: str
    subject: str
    form: str
    encoding: str
    offset: int

    def describe(self) -> str:
        where = f"{self.file} at byte {self.offset}" if self.offset >= 0 else f"file name {self.file}"
        owner = f" of sub-{self.subject}" if self.subject else ""
        return f"{self.column} ({self.kind}, {self.form}, {self.encoding}){owner} found in {where}"


def variants(value: str, kind: str) -> Iterator[tuple[str, str]]:
    """(form, text) variants of one identifier value: the ways it could be written somewhere."""
    value = value.strip()
    yield "as-is", value
    if kind == "name":
        tokens = value.replace(",", " ").split()
        if len(tokens) >= 2:
            first, last = tokens[0], tokens[-1]
            yield "dicom-name", f"{last}^{first}"
            yield "last-first", f"{last}, {first}"
            yield "dicom-name-full", "^".join([last, *tokens[:-1]])
    elif kind == "phone":
        digits = re.sub(r"\D", "", value)
        yield "digits", digits
        if len(digits) == 10:
            a, b, c = digits[:3], digits[3:6], digits[6:]
            for sep in ("-", ".", " "):
                yield f"phone{sep!r}", f"{a}{sep}{b}{sep}{c}"
            yield "e164", f"+1{digits}"
    elif kind == "id":
        digits = re.sub(r"\D", "", value)
        if digits != value:
            yield "digits", digits
    elif kind == "date":
        try:
            day = dt.date.fromisoformat(value[:10])
        except ValueError:
            return
        yield "iso", day.isoformat()
        yield "dicom-date", day.strftime("%Y%m%d")
        yield "us-date", day.strftime("%m/%d/%Y")
        yield "eu-date", day.strftime("%d/%m/%Y")
        yield "dotted-date", day.strftime("%d.%m.%Y")
        yield "long-date", f"{MONTHS[day.month - 1]} {day.day}, {day.year}"
        yield "long-date-eu", f"{day.day} {MONTHS[day.month - 1]} {day.year}"
    elif kind == "address":
        first_line = re.split(r"\s+(?:Apt\.?|Suite|Unit|#)\s*", value)[0]
        if first_line != value:
            yield "street", first_line


def build_needles(identifiers: dict) -> list[Needle]:
    """All needles for an identifiers document ({"subjects": {p: [..]}, "global": [..]}, extra parts' values too)."""
    needles: dict[tuple[str, str], Needle] = {}
    items: list[tuple[str, dict]] = [(p, i) for p, values in identifiers.get("subjects", {}).items() for i in values]
    items += [("", i) for i in identifiers.get("global", [])]
    owners: dict[tuple[str, str], set[str]] = {}
    for subject, item in items:
        for form, text in variants(str(item["value"]), item["kind"]):
            low = text.lower()
            if len(low) < MIN_TEXT or low.isdigit() and len(low) < 5:
                continue
            needles.setdefault((low, item["kind"]), Needle(low, item["kind"], item.get("column", ""), subject, form))
            owners.setdefault((low, item["kind"]), set()).add(subject.lower())
    scoped = [replace(n, owners=frozenset(owners[(n.text, n.kind)])) if n.kind in SCOPED_KINDS
              and "" not in owners[(n.text, n.kind)] else n for n in needles.values()]
    return sorted(scoped, key=lambda n: (n.text, n.kind))


SUBJECT_LABEL = re.compile(r"sub-([a-z0-9]+)")


def in_scope(needle: Needle, label: str, haystack: str, start: int, end: int) -> bool:
    """Whether a hit counts. A date is a handful of digits that other subjects' shifted dates can equal by chance, so
    a subject's date counts only in that subject's files and, in a study-wide table, on that subject's rows (or on
    lines and in files that name no subject). Every other kind counts everywhere."""
    if not needle.owners:
        return True
    in_path = set(SUBJECT_LABEL.findall(label.lower()))
    if in_path:
        return bool(in_path & needle.owners)
    line = haystack[haystack.rfind("\n", 0, start) + 1:max(haystack.find("\n", end), end)]
    on_line = set(SUBJECT_LABEL.findall(line))
    return not on_line or bool(on_line & needle.owners)


class Scanner:
    """An Aho-Corasick automaton over the needles in UTF-8 and UTF-16 (LE/BE), searched case-insensitively."""

    def __init__(self, needles: list[Needle]):
        self.needles = needles
        self.automaton = ahocorasick.Automaton()
        for index, needle in enumerate(needles):
            for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
                key = needle.text.encode(encoding).decode("latin-1")
                self.automaton.add_word(key, (index, encoding, len(key)))
        if needles:
            self.automaton.make_automaton()

    def scan_bytes(self, data: bytes, label: str) -> list[Hit]:
        """Hits in one blob: short needles only where the blob is text, and only at word boundaries."""
        if not self.needles or not data:
            return []
        is_text = _looks_like_text(data)
        haystack = data.lower().decode("latin-1")
        hits, seen = [], set()
        for end, (index, encoding, length) in self.automaton.iter(haystack):
            needle = self.needles[index]
            if not is_text and len(needle.text) < MIN_BINARY:
                continue
            start = end - length + 1
            if not _bounded(haystack, start, end, encoding):
                continue
            if not in_scope(needle, label, haystack, start, end):
                continue
            if (index, encoding) in seen:
                continue
            seen.add((index, encoding))
            hits.append(Hit(label, needle.kind, needle.column, needle.subject, needle.form, encoding, start))
        return hits

    def scan_name(self, relpath: str) -> list[Hit]:
        hits = self.scan_bytes(relpath.encode("utf-8"), relpath)
        return [Hit(h.file, h.kind, h.column, h.subject, h.form, h.encoding, -1) for h in hits]

    def scan_file(self, path: Path, relpath: str) -> list[Hit]:
        """Hits in a file's bytes, and in its decompressed content for .gz, .zip and .parquet."""
        data = path.read_bytes()
        hits = self.scan_bytes(data, relpath)
        for label, content in _expanded(data, relpath):
            hits += self.scan_bytes(content, label)
        return hits


def _bounded(haystack: str, start: int, end: int, encoding: str) -> bool:
    """The match is not part of a longer word (letters or digits on either side)."""
    step = 1 if encoding == "utf-8" else 2
    before = haystack[start - step:start] if start >= step else ""
    after = haystack[end + 1:end + 1 + step]
    return not (_alnum(before, encoding) or _alnum(after, encoding))


def _alnum(chunk: str, encoding: str) -> bool:
    if encoding == "utf-8":
        char = chunk
    elif len(chunk) < 2:
        return False
    elif encoding == "utf-16-le":
        char = chunk[0] if chunk[1] == "\x00" else ""
    else:
        char = chunk[1] if chunk[0] == "\x00" else ""
    return bool(char) and char.isascii() and char.isalnum()


def _looks_like_text(data: bytes) -> bool:
    sample = data[:65536]
    if b"\x00" in sample:
        return sample.count(b"\x00") > len(sample) // 3 and _utf16_text(sample)
    try:
        sample.decode("utf-8")
        return True
    except UnicodeDecodeError as err:
        return err.start > len(sample) - 4  # a multi-byte character cut at the sample's end


def _utf16_text(sample: bytes) -> bool:
    for encoding in ("utf-16-le", "utf-16-be"):
        try:
            text = sample[: len(sample) // 2 * 2].decode(encoding)
            if sum(c.isprintable() or c.isspace() for c in text) > 0.95 * len(text):
                return True
        except UnicodeDecodeError:
            continue
    return False


def _expanded(data: bytes, relpath: str) -> Iterator[tuple[str, bytes]]:
    """Decompressed views of compressed containers (so a name inside a .nii.gz header is found)."""
    lower = relpath.lower()
    if data[:2] == b"\x1f\x8b":
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as handle:
            yield f"{relpath} (decompressed)", handle.read(MAX_DECOMPRESSED)
    elif data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for member in archive.namelist():
                yield f"{relpath}!{member}", member.encode() + b"\n" + archive.read(member)
    elif lower.endswith(".parquet") and data[:4] == b"PAR1":
        import pyarrow.parquet as pq

        table = pq.read_table(io.BytesIO(data))
        yield f"{relpath} (cells)", table.to_pandas().to_csv(sep="\t", index=False).encode("utf-8")


def scan_tree(root: str | Path, scanner: Scanner, files: Iterable[str] | None = None) -> list[Hit]:
    """Scan every file under root (or the given release-relative files) and every path name."""
    root = Path(root)
    rels = sorted(files) if files is not None else sorted(
        p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()
    )
    hits: list[Hit] = []
    for rel in rels:
        hits += scanner.scan_name(rel)
        hits += scanner.scan_file(root / rel, rel)
    return hits


def hits_to_json(hits: list[Hit]) -> list[dict]:
    return [asdict(h) for h in hits]
