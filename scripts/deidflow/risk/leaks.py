"""The leak scan: every identifier value the study knows, in every encoding it could take, searched in every
released byte (file names, decompressed .gz/.zip members and Parquet cells included)."""

from __future__ import annotations

import gzip
import io
import json
import re
import struct
import zipfile
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Iterable, Iterator

import ahocorasick

from ..forms import MIN_DIGITS, detected, fold, forms

MIN_TEXT = 4  # shortest value searched as a substring of text
MIN_BINARY = 8  # shortest value searched in raw binary content (shorter ones match random bytes)
MIN_EQUAL = 3  # shortest value compared by equality with a structured file's values (DICOM elements, cells, ...)
SCOPED_KINDS = ("date",)  # kinds whose hits count only where their subject is (see `in_scope`)
SCOPED_FORMS = ("postcode",)  # forms that are a handful of digits, scoped like dates
# Kinds that count wherever they are; the others (places, organisations, free text) are not flagged in DICOM elements
# that the profile keeps on purpose (a Manufacturer equal to an institution's name is no leak).
ALWAYS_KINDS = ("name", "id", "date", "email", "phone", "subject_label", "address", "postcode")
KEPT_ATTRIBUTES = frozenset({
    "Manufacturer", "ManufacturerModelName", "Modality", "BodyPartExamined", "SoftwareVersions", "ImageType",
    "ScanningSequence", "SequenceVariant", "ScanOptions", "MRAcquisitionType", "SequenceName", "PatientSex",
    "PhotometricInterpretation", "TransferSyntaxUID", "SpecificCharacterSet", "ConversionType", "Laterality",
    "PatientPosition", "ReceiveCoilName", "TransmitCoilName", "ImagedNucleus", "PulseSequenceName",
})
TEXT_VRS = frozenset({"AE", "AS", "CS", "DA", "DT", "LO", "LT", "PN", "SH", "ST", "UC", "UR", "UT", "DS", "IS"})
MAX_DECOMPRESSED = 2 << 30


@dataclass(frozen=True)
class Needle:
    text: str  # the folded form searched (or a digit sequence, when `digits`)
    kind: str
    column: str
    subject: str  # pseudonym of the subject it belongs to ("" for study-wide values)
    form: str  # which form: as-is, token, joined, digits, iso-date, ... (deidflow.forms)
    owners: frozenset[str] = frozenset()  # dates: every subject whose value it is (see `in_scope`)
    blocking: bool = True  # False: a common word or allow-listed form, reported but not failing the gate
    reason: str = ""
    digits: bool = False


@dataclass(frozen=True)
class Hit:
    file: str  # release-relative path (or "<path> (file name)")
    kind: str
    column: str
    subject: str
    form: str
    encoding: str
    offset: int
    blocking: bool = True
    where: str = ""  # the structured place (DICOM element, JSON key, TSV column, NIfTI field), if any
    reason: str = ""

    def describe(self) -> str:
        if self.where:
            place = f"{self.file} in {self.where}"
        else:
            place = f"{self.file} at byte {self.offset}" if self.offset >= 0 else f"file name {self.file}"
        owner = f" of sub-{self.subject}" if self.subject else ""
        note = f" [reported, not blocking: {self.reason}]" if not self.blocking else ""
        return f"{self.column} ({self.kind}, {self.form}, {self.encoding}){owner} found in {place}{note}"


def build_needles(identifiers: dict, allow: Iterable[str] = ()) -> list[Needle]:
    """All needles for an identifiers document ({"subjects": {p: [..]}, "global": [..]}, extra parts' values too):
    every form of every value (`deidflow.forms`); `allow` is the study's allow-list (text.allow_list)."""
    allow = tuple(allow)
    needles: dict[tuple[str, str, bool], Needle] = {}
    items: list[tuple[str, dict]] = [(p, i) for p, values in identifiers.get("subjects", {}).items() for i in values]
    items += [("", i) for i in identifiers.get("global", [])]
    owners: dict[tuple[str, str, bool], set[str]] = {}
    for subject, item in items:
        column = item.get("column", "")
        for form in forms(str(item["value"]), item["kind"], allow, found=detected(column) or detected(item["kind"])):
            low = form.text
            if form.digits and len(low) < MIN_DIGITS or len(low) < MIN_EQUAL:
                continue
            key = (low, item["kind"], form.digits)
            old = needles.get(key)
            if old is None or form.blocking and not old.blocking:
                needles[key] = Needle(low, item["kind"], item.get("column", ""), subject, form.form,
                                      blocking=form.blocking, reason=form.reason, digits=form.digits)
            owners.setdefault(key, set()).add(subject.lower())
    scoped = []
    for key, n in needles.items():
        if (n.kind in SCOPED_KINDS or n.form in SCOPED_FORMS) and "" not in owners[key]:
            n = replace(n, owners=frozenset(owners[key]))
        scoped.append(n)
    return sorted(scoped, key=lambda n: (n.text, n.kind, n.digits))


SUBJECT_LABEL = re.compile(r"sub-([a-z0-9]+)")
_DECIMAL = re.compile(r"[+-]?\d+[.,]\d+")
_DIGIT_RUN = re.compile(r"\+?\d+(?:[ \t.\-/()]{1,3}\d+)*")


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
    on_line = set(SUBJECT_LABEL.findall(line.lower()))
    return not on_line or bool(on_line & needle.owners)


class Scanner:
    """Needles searched three ways: raw bytes (UTF-8 and UTF-16 LE/BE, long needles only in binary content), the
    decoded and folded text of text files, and the values of structured files (DICOM elements at any depth, NIfTI
    header fields and extensions, JSON values, TSV cells, image metadata), where short values are compared too."""

    def __init__(self, needles: list[Needle]):
        self.needles = needles
        self.automaton = ahocorasick.Automaton()  # raw bytes (as latin-1 text)
        self.text = ahocorasick.Automaton()  # folded text
        self.numbers = ahocorasick.Automaton()  # digit sequences
        self.exact: dict[str, list[int]] = {}
        for index, needle in enumerate(needles):
            if needle.digits:
                self.numbers.add_word(needle.text, (index, len(needle.text)))
                continue
            self.exact.setdefault(needle.text, []).append(index)
            if len(needle.text) < MIN_TEXT or needle.text.isdigit() and len(needle.text) < 5:
                continue
            self.text.add_word(needle.text, (index, len(needle.text)))
            if needle.text.isascii():
                for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
                    key = needle.text.encode(encoding).decode("latin-1")
                    self.automaton.add_word(key, (index, encoding, len(key)))
        for automaton in (self.automaton, self.text, self.numbers):
            if len(automaton):
                automaton.make_automaton()

    def scan_bytes(self, data: bytes, label: str) -> list[Hit]:
        """Hits in one blob: text is decoded (any Unicode encoding, with or without a byte-order mark) and folded;
        binary content is searched raw for long needles and by its structure for every needle."""
        if not self.needles or not data:
            return []
        found = _Found(label)
        decoded = _decode_text(data)
        if decoded is not None:
            text, encoding = decoded
            self._text(fold(text), label, encoding, found)
            self._structure_text(text, label, found)
        else:
            kept = []
            for where, value, keyword in _structured_values(data, label):
                self._value(value, label, where, found, keyword=keyword)
                if keyword in KEPT_ATTRIBUTES:
                    kept.append(fold(value))
            self._raw(data, label, found, " ".join(kept))
        return found.hits

    def scan_name(self, relpath: str) -> list[Hit]:
        hits = self.scan_bytes(relpath.encode("utf-8"), relpath)
        return [replace(h, offset=-1, where="") for h in hits]

    def scan_file(self, path: Path, relpath: str) -> list[Hit]:
        """Hits in a file's bytes, and in its decompressed content for .gz, .zip and .parquet."""
        data = path.read_bytes()
        hits = self.scan_bytes(data, relpath)
        for label, content in _expanded(data, relpath):
            hits += self.scan_bytes(content, label)
        return hits

    # -- the three ways ------------------------------------------------------------------------------------------
    def _raw(self, data: bytes, label: str, found: "_Found", kept: str = "") -> None:
        """Long needles in raw bytes; in a structured file, a place or organisation that a purposely kept attribute
        holds (`kept`, folded) is left to the structure scan."""
        if not len(self.automaton):
            return
        haystack = data.lower().decode("latin-1")
        for end, (index, encoding, length) in self.automaton.iter(haystack):
            needle = self.needles[index]
            if len(needle.text) < MIN_BINARY or needle.kind not in ALWAYS_KINDS and needle.text in kept:
                continue
            start = end - length + 1
            if _bounded(haystack, start, end, encoding) and in_scope(needle, label, haystack, start, end):
                found.add(needle, index, encoding, start)

    def _text(self, view: str, label: str, encoding: str, found: "_Found", where: str = "",
              kind_filter: tuple[str, ...] | None = None, context: str = "") -> None:
        """Needles as whole words in folded text, and digit needles across separators. `context` (a table row)
        decides the scope of a structured value's hits."""

        def scoped(needle: Needle, start: int, end: int) -> bool:
            if context:
                return in_scope(needle, label, context, 0, len(context))
            return in_scope(needle, label, view, start, end)

        if len(self.text):
            for end, (index, length) in self.text.iter(view):
                needle = self.needles[index]
                start = end - length + 1
                if kind_filter is not None and needle.kind not in kind_filter:
                    continue
                if _word_edge(view, start - 1) and _word_edge(view, end + 1) and scoped(needle, start, end):
                    found.add(needle, index, encoding, start, where)
        if len(self.numbers):
            for run in _DIGIT_RUN.finditer(view):
                if _DECIMAL.fullmatch(run.group()):
                    continue  # 58.94141537 is a measurement, not a number written in groups
                groups = re.findall(r"\d+", run.group())
                joined = "".join(groups)
                bounds = {0}
                for group in groups:
                    bounds.add(max(bounds) + len(group))
                for end, (index, length) in self.numbers.iter(joined):
                    start = end - length + 1
                    needle = self.needles[index]
                    if start in bounds and end + 1 in bounds and scoped(needle, run.start(), run.end()):
                        found.add(needle, index, encoding, run.start(), where)

    def _value(self, value: str, label: str, where: str, found: "_Found", context: str = "",
               keyword: str = "") -> None:
        """One structured value: equal to a needle (however short), or containing one as a word."""
        view = " ".join(fold(value).split())
        if not view:
            return
        kinds = ALWAYS_KINDS if keyword in KEPT_ATTRIBUTES else None
        candidates = {view, view.strip(".,;:")}
        if "^" in view or "=" in view:  # a DICOM person name's components
            candidates |= {p.strip() for p in re.split(r"[\^=]", view)}
        if re.fullmatch(r"\d{8}(\d{4,6}(\.\d+)?)?([+-]\d{4})?", view):  # DICOM DA/DT: the date part
            candidates.add(view[:8])
        for text in candidates:
            for index in self.exact.get(text, ()):
                needle = self.needles[index]
                scope = context or view
                if (kinds is None or needle.kind in kinds) and in_scope(needle, label, scope, 0, len(scope)):
                    found.add(needle, index, "value", -1, where)
        self._text(view, label, "value", found, where, kinds, context)

    def _structure_text(self, text: str, label: str, found: "_Found") -> None:
        lower = label.lower().split(" (")[0]
        if lower.endswith(".json"):
            try:
                document = json.loads(text)
            except ValueError:
                return
            for where, value in _json_values(document, ""):
                self._value(value, label, where, found)
        elif lower.endswith((".tsv", ".csv", ".tsv (cells)")) or label.endswith("(cells)"):
            sep = "," if lower.endswith(".csv") else "\t"
            lines = text.splitlines()
            header = lines[0].split(sep) if lines else []
            for row in lines[1:]:
                for column, cell in zip(header, row.split(sep)):
                    self._value(cell, label, f"column {column!r}", found, context=row)


class _Found:
    """Hits in one blob, one per needle and encoding."""

    def __init__(self, label: str):
        self.label, self.hits, self.seen = label, [], set()

    def add(self, needle: Needle, index: int, encoding: str, offset: int, where: str = "") -> None:
        key = (index, "structure" if where else encoding)
        if key in self.seen or (index, encoding) in self.seen:
            return
        self.seen.add(key)
        self.hits.append(Hit(self.label, needle.kind, needle.column, needle.subject, needle.form, encoding, offset,
                             needle.blocking, where, needle.reason))


def _word_edge(view: str, i: int) -> bool:
    return i < 0 or i >= len(view) or not view[i].isalnum()


def _decode_text(data: bytes) -> tuple[str, str] | None:
    """(text, encoding) when the blob is text in a Unicode encoding (BOM or not), else None."""
    from ..text.encoding import sniff_unicode

    return sniff_unicode(data)


def _json_values(node, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _json_values(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _json_values(value, f"{path}[{i}]")
    elif isinstance(node, str):
        yield f"JSON {path or 'value'}", node


def _structured_values(data: bytes, label: str) -> Iterator[tuple[str, str, str]]:
    """(where, value, DICOM keyword or "") for every text value of a binary file whose structure we know."""
    if data[128:132] == b"DICM" or label.lower().endswith(".dcm"):
        yield from _dicom_values(data)
    elif len(data) >= 348 and _nifti_header_size(data) in (348, 540):
        yield from ((where, value, "") for where, value in _nifti_values(data))
    elif data[:3] == b"\xff\xd8\xff" or data[:8] == b"\x89PNG\r\n\x1a\n" or data[:4] in (b"II*\x00", b"MM\x00*"):
        yield from ((where, value, "") for where, value in _image_values(data))
    else:
        yield from ((where, value, "") for where, value in _recording_values(data, label))


def _dicom_values(data: bytes) -> Iterator[tuple[str, str, str]]:
    import pydicom

    try:
        ds = pydicom.dcmread(io.BytesIO(data), force=True, stop_before_pixels=True)
        elements = list(ds.iterall())
    except Exception:  # not parseable as DICOM: the raw scan still ran
        return
    for elem in elements:
        try:
            vr, value = elem.VR, elem.value
        except Exception:
            continue
        if vr not in TEXT_VRS and vr != "UN" or value is None:
            continue
        if isinstance(value, bytes):
            text = value.decode("latin-1")
            if sum(c.isprintable() for c in text) < 0.9 * len(text):
                continue
            values = [text.strip(" \x00")]
        else:
            values = [str(v) for v in (value if isinstance(value, (list, tuple)) or type(value).__name__ ==
                                       "MultiValue" else [value])]
        tag = f"({elem.tag.group:04X},{elem.tag.element:04X})"
        where = f"DICOM element {tag} {elem.keyword or 'private'}".strip()
        for text in values:
            yield where, text, elem.keyword


def _recording_values(data: bytes, label: str) -> Iterator[tuple[str, str]]:
    """Text values of EEG/MEG recordings: EDF/BDF header fields and EDF+ annotations, and FIF string tags, so short
    values are compared too (the raw scan sees only long ones in binary files; BrainVision files are text)."""
    lower = label.lower()
    if data[:8] in (b"0       ", b"\xffBIOSEMI") and lower.endswith((".edf", ".bdf")):
        yield from _edf_values(data)
    elif lower.endswith(".fif"):
        yield from _fif_values(data)


def _edf_values(data: bytes) -> Iterator[tuple[str, str]]:
    from ..eeg.edf import EdfError, parse_header

    try:
        header, size = parse_header(data)
    except EdfError:
        return
    for where, value in (("EDF patient", header.patient), ("EDF recording", header.recording)):
        yield where, value.replace("_", " ")
    for signal in header.signals:
        yield "EDF signal", f"{signal.label} {signal.transducer} {signal.prefilter}"
    if any(s.label.strip() in ("EDF Annotations", "BDF Annotations") for s in header.signals):
        for text in re.findall(rb"\x14([^\x00\x14\x15]+)", data[size:]):
            yield "EDF annotation", text.decode("utf-8", "replace")


def _fif_values(data: bytes) -> Iterator[tuple[str, str]]:
    """String tags (type 10) of a FIF file, walked tag by tag (header: kind, type, size, next; big-endian)."""
    at, end = 0, len(data)
    while at + 16 <= end:
        kind, kind_type, size, following = struct.unpack(">iiii", data[at:at + 16])
        if size < 0 or at + 16 + size > end:
            return
        if kind_type == 10 and size:
            yield f"FIF tag {kind}", data[at + 16:at + 16 + size].decode("utf-8", "replace")
        if following < 0:
            return
        at = following if following > at else at + 16 + size


def _nifti_header_size(data: bytes) -> int:
    little = struct.unpack("<i", data[:4])[0]
    return little if little in (348, 540) else struct.unpack(">i", data[:4])[0]


def _nifti_values(data: bytes) -> Iterator[tuple[str, str]]:
    size = _nifti_header_size(data)
    endian = "<" if struct.unpack("<i", data[:4])[0] == size else ">"
    fields = {"db_name": (4, 18), "descrip": (148, 80), "aux_file": (228, 24), "intent_name": (328, 16)} \
        if size == 348 else {"descrip": (240, 80), "aux_file": (320, 24), "intent_name": (508, 16)}
    for name, (offset, length) in fields.items():
        text = data[offset:offset + length].split(b"\x00")[0].decode("latin-1").strip()
        if text:
            yield f"NIfTI header {name}", text
    vox_offset = int(struct.unpack(endian + ("f" if size == 348 else "q"), data[108:112] if size == 348
                                   else data[168:176])[0])
    pos = size + 4
    if len(data) > size and data[size:size + 1] != b"\x00":
        while pos + 8 <= min(len(data), vox_offset or len(data)):
            esize, ecode = struct.unpack(endian + "ii", data[pos:pos + 8])
            if esize < 16 or esize % 16:
                break
            content = data[pos + 8:pos + esize].rstrip(b"\x00")
            yield f"NIfTI extension (code {ecode})", content.decode("utf-8", "replace")
            pos += esize


def _image_values(data: bytes) -> Iterator[tuple[str, str]]:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            info = dict(image.info)
            exif = dict(image.getexif())
    except Exception:
        return
    for key, value in info.items():
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if isinstance(value, str):
            yield f"image metadata {key}", value
    for tag, value in exif.items():
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if isinstance(value, str):
            yield f"EXIF tag {tag}", value


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
        if lower.endswith((".docx", ".odt", ".xlsx", ".pptx", ".ods", ".odp")):
            yield from _office_texts(data, relpath)
    elif data[:5] == b"%PDF-":
        yield from _pdf_text(data, relpath)
    elif lower.endswith(".parquet") and data[:4] == b"PAR1":
        import pyarrow.parquet as pq

        table = pq.read_table(io.BytesIO(data))
        yield f"{relpath} (cells)", table.to_pandas().to_csv(sep="\t", index=False).encode("utf-8")


def _office_texts(data: bytes, relpath: str) -> Iterator[tuple[str, bytes]]:
    """The text of each XML member of an office document (a paragraph's runs joined, entities decoded), so a name
    split over runs or written as character references in word/document.xml, docProps/core.xml or comments is
    found."""
    from ..documents.package import package_texts

    try:
        texts = package_texts(data)
    except (zipfile.BadZipFile, ValueError, OSError):
        return
    for member, text in texts:
        yield f"{relpath}!{member} (text)", text.encode("utf-8")


def _pdf_text(data: bytes, relpath: str) -> Iterator[tuple[str, bytes]]:
    """A PDF's text layer and document information (its content streams are compressed and its fonts may re-encode
    text, so the raw bytes do not show a name)."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            return
        info = reader.metadata or {}
        lines = [str(v) for v in info.values()]
        lines += [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError, OSError):
        return
    yield f"{relpath} (PDF text)", "\n".join(lines).encode("utf-8")


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
