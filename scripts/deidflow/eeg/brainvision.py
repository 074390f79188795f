"""BrainVision headers (`.vhdr`) and marker files (`.vmrk`) rewritten: file references point at the released names,
the `New Segment` date is moved or removed, marker descriptions and comments are cleaned, and sections and keys
that are not on the allow-list are dropped. The binary `.eeg` data travels unchanged."""

from __future__ import annotations

import datetime as dt
import re
from typing import Callable

from ..text.encoding import sniff_unicode


class BrainVisionError(ValueError):
    """A header or marker file this module cannot rewrite (the message never carries a value from the file)."""


SECTIONS_VHDR = {"Common Infos", "Binary Infos", "ASCII Infos", "Channel Infos", "Coordinates", "Comment"}
SECTIONS_VMRK = {"Common Infos", "Marker Infos"}
COMMON_KEYS = {"DataFile", "MarkerFile", "DataFormat", "DataOrientation", "DataType", "NumberOfChannels",
               "SamplingInterval", "Codepage", "Averaged", "AveragedSegments", "SegmentDataPoints",
               "SegmentationType", "DataPoints", "BinaryFormat", "UseBigEndianOrder", "DecimalSymbol",
               "SkipLines", "SkipColumns"}
MARKER_TYPES = {"Stimulus", "Response", "Comment", "New Segment", "SyncStatus", "Time 0", "Bad Interval",
                "DC Correction", "Marker", "Optic", "Trigger", "Voltage", "Impedance", "Toggle", "Sync On", "LostSamples"}
_SERIAL = re.compile(r"serial|s/n\b", re.I)
_SECTION = re.compile(r"^\[(.+)\]\s*$")


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 when the file says so or decodes as such, else the Windows code page (`ANSI`)."""
    sniffed = sniff_unicode(data)
    if sniffed is not None:
        return sniffed
    return data.decode("cp1252", "replace"), "cp1252"


def references(text: str) -> dict[str, str]:
    """The files a header or marker file names (`DataFile`, `MarkerFile`)."""
    refs = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() in ("DataFile", "MarkerFile"):
            refs[key.strip()] = value.strip()
    return refs


def _lines(text: str, sections: set[str], what: str) -> list[tuple[str | None, str]]:
    lines = text.splitlines()
    if not lines or not lines[0].startswith("Brain Vision") and not lines[0].startswith("BrainVision"):
        raise BrainVisionError(f"not a BrainVision {what} (its first line is not the BrainVision identification)")
    out: list[tuple[str | None, str]] = [("", lines[0].strip())]
    section = None
    for line in lines[1:]:
        match = _SECTION.match(line.strip())
        if match:
            section = match.group(1).strip()
        out.append((section, line.rstrip("\r")))
    return out


def rewrite_header(text: str, data_name: str, marker_name: str, clean: Callable[[str], str]) -> tuple[str, list[str]]:
    """The `.vhdr` text for release and the names of what was dropped (sections, keys, comment lines)."""
    out, dropped = [], []
    for section, line in _lines(text, SECTIONS_VHDR, "header"):
        if section == "":
            out.append(line)  # the identification line
            continue
        if section is None or section not in SECTIONS_VHDR:  # before the first section: comments only
            if _SECTION.match(line.strip()):
                dropped.append(f"section [{section}]")
            continue
        stripped = line.strip()
        if stripped.startswith(";"):
            continue  # comment lines are free text the readers ignore
        if _SECTION.match(stripped) or not stripped:
            out.append(line)
            continue
        key, sep, value = line.partition("=")
        if section == "Common Infos":
            key = key.strip()
            if key == "DataFile":
                out.append(f"DataFile={data_name}")
            elif key == "MarkerFile":
                out.append(f"MarkerFile={marker_name}")
            elif sep and key in COMMON_KEYS:
                out.append(line)
            else:
                dropped.append(f"[Common Infos] {key}")
        elif section == "Comment":
            if _SERIAL.search(line):
                dropped.append("a serial-number line of [Comment]")
                continue
            out.append(clean(line))
        else:
            out.append(line)
    return "\r\n".join(out) + "\r\n", dropped


def _shift_stamp(stamp: str, shift_days: int | None) -> tuple[str, str | None]:
    """A `YYYYMMDDhhmmssffffff` marker date moved by shift_days (None: all zeros, which readers take as no date)."""
    zero = "0" * 20
    if not stamp.strip() or set(stamp.strip()) == {"0"}:
        return stamp, None
    try:
        when = dt.datetime.strptime(stamp.strip()[:14], "%Y%m%d%H%M%S")
    except ValueError:
        return zero, None
    original = when.strftime("%Y-%m-%d")
    if shift_days is None:
        return zero, original
    return (when + dt.timedelta(days=shift_days)).strftime("%Y%m%d%H%M%S") + stamp.strip()[14:], original


def rewrite_markers(text: str, data_name: str, shift_days: int | None,
                    clean: Callable[[str], str]) -> tuple[str, list[str], list[tuple[str, str]], int]:
    """The `.vmrk` text for release, what was dropped, (original value, kind) found, and descriptions changed."""
    out, dropped, found = [], [], []
    changed = 0
    for section, line in _lines(text, SECTIONS_VMRK, "marker file"):
        if section == "":
            out.append(line)
            continue
        if section is None or section not in SECTIONS_VMRK:
            if _SECTION.match(line.strip()):
                dropped.append(f"section [{section}]")
            continue
        stripped = line.strip()
        if stripped.startswith(";"):
            continue
        if _SECTION.match(stripped) or not stripped:
            out.append(line)
            continue
        key, sep, value = line.partition("=")
        key = key.strip()
        if section == "Common Infos":
            if key == "DataFile":
                out.append(f"DataFile={data_name}")
            elif key == "Codepage":
                out.append(line)
            else:
                dropped.append(f"[Common Infos] {key}")
            continue
        if not re.fullmatch(r"Mk\d+", key) or not sep:
            dropped.append("a line of [Marker Infos] that is not a marker")
            continue
        fields = value.split(",")
        if len(fields) < 5:
            dropped.append(f"marker {key} (fewer than 5 fields)")
            continue
        kind, description = fields[0], fields[1].replace(r"\1", ",")
        if kind.strip() not in MARKER_TYPES:
            new_kind = clean(kind)
            if new_kind != kind:
                found.append((kind, "eeg:marker_type"))
                changed += 1
            kind = new_kind
        new = clean(description)
        if new != description:
            found.append((description, "eeg:annotation"))
            changed += 1
        fields[0], fields[1] = kind.replace(",", " "), new.replace(",", r"\1")
        if len(fields) > 5:
            fields[5], original = _shift_stamp(fields[5], shift_days)
            if original:
                found.append((original, "eeg:meas_date"))
        out.append(f"{key}={','.join(fields)}")
    return "\r\n".join(out) + "\r\n", dropped, found, changed
