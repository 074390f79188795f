"""EDF/EDF+/BDF/BDF+ headers rewritten in place of their identifying fields; the sample data travels byte for byte.

An EDF header is fixed-width ASCII: version (8), patient id (80), recording id (80), start date `dd.mm.yy` (8),
start time `hh.mm.ss` (8), header bytes (8), reserved (44: `EDF+C`/`EDF+D`, `24BIT`/`BDF+C` for BDF), number of
records (8), record duration (8), number of signals (4), then per signal: label (16), transducer (80), physical
dimension (8), physical min/max (8+8), digital min/max (8+8), prefiltering (80), samples per record (8), reserved (32).
EDF+ puts the patient (`code sex birthdate name`) and the recording (`Startdate dd-MMM-yyyy admin technician
equipment`) in subfields, and free-text annotations in an `EDF Annotations` signal of time-stamped annotation lists.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Callable

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
ANNOTATIONS = "EDF Annotations"
BDF_ANNOTATIONS = "BDF Annotations"


class EdfError(ValueError):
    """The file is not an EDF/BDF file this module can rewrite (the message names the problem, never a value)."""


@dataclass
class Signal:
    label: str
    transducer: str
    dimension: str
    phys_min: str
    phys_max: str
    dig_min: str
    dig_max: str
    prefilter: str
    samples: int
    reserved: str


@dataclass
class EdfHeader:
    version: bytes
    patient: str
    recording: str
    startdate: str
    starttime: str
    reserved: str
    records: int
    duration: str
    signals: list[Signal]

    @property
    def bdf(self) -> bool:
        return self.version[:1] == b"\xff"

    @property
    def plus(self) -> bool:
        return self.reserved.startswith(("EDF+", "BDF+"))

    @property
    def sample_bytes(self) -> int:
        return 3 if self.bdf else 2

    def annotation_signals(self) -> list[int]:
        return [i for i, s in enumerate(self.signals) if s.label.strip() in (ANNOTATIONS, BDF_ANNOTATIONS)]


def _field(data: bytes, start: int, width: int, what: str) -> str:
    raw = data[start:start + width]
    if len(raw) != width:
        raise EdfError(f"header ends inside the {what} field")
    try:
        return raw.decode("ascii")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _int(text: str, what: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise EdfError(f"the {what} field is not a number") from None


def parse_header(data: bytes) -> tuple[EdfHeader, int]:
    """The header and its length in bytes; raises EdfError for a file that is not EDF/BDF."""
    if len(data) < 256:
        raise EdfError("shorter than an EDF header (256 bytes)")
    version = data[:8]
    if version not in (b"0       ", b"\xffBIOSEMI"):
        raise EdfError("not an EDF or BDF file (the version field is neither '0' nor '\\xffBIOSEMI')")
    header_bytes = _int(_field(data, 184, 8, "header size"), "header size")
    ns = _int(_field(data, 252, 4, "number of signals"), "number of signals")
    if ns < 1 or header_bytes != 256 * (ns + 1):
        raise EdfError("the header size does not match the number of signals")
    columns = [("label", 16), ("transducer", 80), ("dimension", 8), ("phys_min", 8), ("phys_max", 8),
               ("dig_min", 8), ("dig_max", 8), ("prefilter", 80), ("samples", 8), ("reserved", 32)]
    values: dict[str, list[str]] = {}
    offset = 256
    for name, width in columns:
        values[name] = [_field(data, offset + i * width, width, f"signal {name}") for i in range(ns)]
        offset += ns * width
    signals = [Signal(**{name: values[name][i] for name, _ in columns if name != "samples"},
                      samples=_int(values["samples"][i], "samples per record")) for i in range(ns)]
    header = EdfHeader(version, _field(data, 8, 80, "patient"), _field(data, 88, 80, "recording"),
                       _field(data, 168, 8, "start date"), _field(data, 176, 8, "start time"),
                       _field(data, 192, 44, "reserved"), _int(_field(data, 236, 8, "records"), "records"),
                       _field(data, 244, 8, "record duration"), signals)
    return header, header_bytes


def _pad(text: str, width: int) -> bytes:
    raw = text.encode("latin-1", "replace")[:width]
    return raw + b" " * (width - len(raw))


def write_header(header: EdfHeader) -> bytes:
    ns = len(header.signals)
    out = [header.version, _pad(header.patient, 80), _pad(header.recording, 80), _pad(header.startdate, 8),
           _pad(header.starttime, 8), _pad(str(256 * (ns + 1)), 8), _pad(header.reserved, 44),
           _pad(str(header.records), 8), _pad(header.duration, 8), _pad(str(ns), 4)]
    for name, width in [("label", 16), ("transducer", 80), ("dimension", 8), ("phys_min", 8), ("phys_max", 8),
                        ("dig_min", 8), ("dig_max", 8), ("prefilter", 80), ("samples", 8), ("reserved", 32)]:
        out += [_pad(str(getattr(s, name)), width) for s in header.signals]
    return b"".join(out)


def start_datetime(header: EdfHeader) -> dt.datetime | None:
    """The recording's start from the header (EDF+ `Startdate` carries the 4-digit year); None if unreadable."""
    try:
        day, month, year = (int(p) for p in header.startdate.strip().split("."))
        hour, minute, second = (int(p) for p in header.starttime.strip().split("."))
    except ValueError:
        return None
    year += 1900 if year >= 85 else 2000
    if header.plus:
        match = re.match(r"Startdate (\d{2})-([A-Z]{3})-(\d{4})", header.recording.strip())
        if match and match.group(2) in MONTHS:
            year = int(match.group(3))
    try:
        return dt.datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None


def _subfields(text: str) -> list[str]:
    return text.strip().split()


def header_identifiers(header: EdfHeader) -> list[tuple[str, str]]:
    """(value, kind) of the identifying header values, for the leak scan (never released)."""
    found = []
    if header.plus:
        patient = _subfields(header.patient)
        for value, kind in zip(patient, ("eeg:PatientID", "", "eeg:birthdate", "eeg:patient_name")):
            if kind and value != "X":
                found.append((value.replace("_", " "), kind))
                if kind == "eeg:birthdate":
                    try:
                        found.append((dt.datetime.strptime(value.title(), "%d-%b-%Y").date().isoformat(), kind))
                    except ValueError:
                        pass
        if len(patient) > 4:
            found.append((" ".join(patient[4:]).replace("_", " "), "eeg:patient_additional"))
        recording = _subfields(header.recording)
        for value, kind in zip(recording[2:], ("eeg:PatientID", "eeg:technician_name", "eeg:equipment")):
            if value != "X":
                found.append((value.replace("_", " "), kind))
        if len(recording) > 5:
            found.append((" ".join(recording[5:]).replace("_", " "), "eeg:recording_additional"))
    else:
        for value, kind in ((header.patient, "eeg:patient_id"), (header.recording, "eeg:recording_id")):
            if value.strip():
                found.append((value.strip(), kind))
    return found


def _tals(chunk: bytes) -> list[tuple[bytes, list[bytes]]]:
    """(onset+duration bytes, [texts]) of each time-stamped annotation list in one annotation signal's bytes."""
    out = []
    for tal in chunk.split(b"\x14\x00"):
        tal = tal.strip(b"\x00")
        if not tal:
            continue
        parts = tal.split(b"\x14")
        out.append((parts[0], parts[1:]))
    return out


def _pack_tals(tals: list[tuple[bytes, list[bytes]]]) -> bytes:
    return b"".join(timing + b"\x14" + b"".join(t + b"\x14" for t in texts) + b"\x00" for timing, texts in tals)


def rewrite(data: bytes, *, shift_days: int | None, clean: Callable[[str], str]) -> tuple[bytes, dict]:
    """The file with patient and recording fields emptied (`X`), the start date moved by `shift_days` (None: set to
    the EDF+ 'unknown' date 01.01.85) and every annotation text passed through `clean`. Ordinary signals' samples are
    copied byte for byte; the annotation signal is widened when cleaned texts need more room. Returns the new bytes
    and what changed (counts, identifiers found)."""
    header, size = parse_header(data)
    record_bytes = sum(s.samples for s in header.signals) * header.sample_bytes
    body = data[size:]
    if record_bytes <= 0:
        raise EdfError("the signals hold no samples")
    if header.records == -1:  # left by a recorder that stopped before updating the header: count what is there
        header.records = len(body) // record_bytes
    if header.records < 0 or len(body) < header.records * record_bytes:
        raise EdfError("the file is shorter than its header says (truncated recording)")
    body = body[: header.records * record_bytes]  # trailing bytes after the last record carry nothing we keep
    found = header_identifiers(header)
    start = start_datetime(header)
    if start is not None:
        found.append((start.strftime("%Y-%m-%d"), "eeg:meas_date"))
    header.patient = "X X X X" if header.plus else "X"
    if shift_days is None or start is None:
        header.startdate, header.starttime = "01.01.85", "00.00.00"
        header.recording = "Startdate X X X X" if header.plus else "X"
    else:
        moved = start + dt.timedelta(days=shift_days)
        if not 1985 <= moved.year <= 2084:
            raise EdfError("the shifted start date falls outside the years EDF can hold (1985-2084)")
        header.startdate = moved.strftime("%d.%m.%y")
        header.recording = (f"Startdate {moved.day:02d}-{MONTHS[moved.month - 1]}-{moved.year} X X X"
                            if header.plus else "X")
    for signal in header.signals:  # transducer and prefiltering are free text; keep only what `clean` leaves
        signal.transducer = clean(signal.transducer.strip())
        signal.prefilter = clean(signal.prefilter.strip())
        signal.reserved = ""
    annotations = header.annotation_signals() if header.plus else []
    offsets, at = [], 0
    for s in header.signals:
        offsets.append(at)
        at += s.samples * header.sample_bytes
    records = [body[r * record_bytes:(r + 1) * record_bytes] for r in range(header.records)]
    texts = changed = 0
    new_chunks: dict[int, list[bytes]] = {i: [] for i in annotations}
    for record in records:
        for i in annotations:
            chunk = record[offsets[i]:offsets[i] + header.signals[i].samples * header.sample_bytes]
            tals = []
            for timing, items in _tals(chunk):
                kept = []
                for raw in items:
                    text = raw.decode("utf-8", "replace")
                    if text:
                        texts += 1
                        new = clean(text)
                        changed += new != text
                        if new != text:
                            found.append((text, "eeg:annotation"))
                        text = new
                    kept.append(text.encode("utf-8"))
                tals.append((timing, kept))
            new_chunks[i].append(_pack_tals(tals))
    for i in annotations:  # widen the annotation signal if a cleaned text needs more room
        need = max((len(c) for c in new_chunks[i]), default=0)
        samples = max(header.signals[i].samples, -(-need // header.sample_bytes))
        header.signals[i].samples = samples
    out = [write_header(header)]
    for r, record in enumerate(records):
        for i, s in enumerate(header.signals):
            if i in new_chunks:
                chunk = new_chunks[i][r]
                out.append(chunk + b"\x00" * (s.samples * header.sample_bytes - len(chunk)))
            else:
                out.append(record[offsets[i]:offsets[i] + s.samples * header.sample_bytes])
    return b"".join(out), {"annotations": texts, "annotations_cleaned": changed, "identifiers": found}
