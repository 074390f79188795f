"""BIDS sidecars of recordings (`_eeg.json`, `_meg.json`, `_ieeg.json`, `_coordsystem.json`, `_physio.json`,
`_channels.tsv`, `_events.tsv`, `_electrodes.tsv`, `_physio.tsv.gz`): keys and columns on an allow-list, free text
cleaned, dates moved; whatever is not on the list is dropped and reported (by key, never by value)."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import re
from typing import Any, Callable

# Keys of the recording sidecars (BIDS 1.10 EEG/MEG/iEEG): value kinds (keep: as is, text: cleaned, date: moved).
_RECORDING_KEEP = """TaskName CogAtlasID CogPOID Manufacturer ManufacturersModelName SoftwareVersions SamplingFrequency
PowerLineFrequency SoftwareFilters HardwareFilters RecordingDuration RecordingType EpochLength EEGReference EEGGround
EEGPlacementScheme CapManufacturer CapManufacturersModelName EEGChannelCount ECGChannelCount EMGChannelCount
EOGChannelCount MiscChannelCount TriggerChannelCount HeadCircumference MEGChannelCount MEGREFChannelCount
DewarPosition DigitizedLandmarks DigitizedHeadPoints ContinuousHeadLocalization HeadCoilFrequency MaxMovement
iEEGReference iEEGGround iEEGPlacementScheme iEEGElectrodeGroups ECOGChannelCount SEEGChannelCount
ElectricalStimulation ElectricalStimulationParameters ElectrodeManufacturer ElectrodeManufacturersModelName
StimulusPresentation NIRSChannelCount Columns StartTime""".split()
_RECORDING_TEXT = """TaskDescription Instructions SubjectArtefactDescription""".split()
_COORD_KEEP = """EEGCoordinateSystem EEGCoordinateUnits MEGCoordinateSystem MEGCoordinateUnits iEEGCoordinateSystem
iEEGCoordinateUnits AnatomicalLandmarkCoordinates AnatomicalLandmarkCoordinateSystem AnatomicalLandmarkCoordinateUnits
FiducialsCoordinates FiducialsCoordinateSystem FiducialsCoordinateUnits HeadCoilCoordinates HeadCoilCoordinateSystem
HeadCoilCoordinateUnits DigitizedHeadPointsCoordinateSystem DigitizedHeadPointsCoordinateUnits
iEEGCoordinateProcessingReference""".split()
_COORD_TEXT = """EEGCoordinateSystemDescription MEGCoordinateSystemDescription iEEGCoordinateSystemDescription
AnatomicalLandmarkCoordinateSystemDescription FiducialsDescription FiducialsCoordinateSystemDescription
HeadCoilCoordinateSystemDescription DigitizedHeadPointsCoordinateSystemDescription
iEEGCoordinateProcessingDescription""".split()
JSON_KEYS: dict[str, dict[str, str]] = {
    "recording": {**{k: "keep" for k in _RECORDING_KEEP}, **{k: "text" for k in _RECORDING_TEXT}},
    "coordsystem": {**{k: "keep" for k in _COORD_KEEP}, **{k: "text" for k in _COORD_TEXT}},
}
# Column-description keys inside a JSON sidecar (a `_physio.json` or `_events.json` describing its columns).
COLUMN_DESCRIPTION = {"LongName": "text", "Description": "text", "Units": "keep", "Levels": "text",
                      "TermURL": "keep", "HED": "keep", "Delimiter": "keep"}
TSV_COLUMNS: dict[str, dict[str, str]] = {
    "channels": {"name": "keep", "type": "keep", "units": "keep", "description": "text", "sampling_frequency": "keep",
                 "reference": "keep", "low_cutoff": "keep", "high_cutoff": "keep", "notch": "keep",
                 "status": "keep", "status_description": "text", "component": "keep", "group": "keep",
                 "software_filters": "keep"},
    "events": {"onset": "keep", "duration": "keep", "sample": "keep", "trial_type": "text", "value": "text",
               "response_time": "keep", "HED": "keep", "stim_file": "text", "channel": "keep"},
    "electrodes": {"name": "keep", "x": "keep", "y": "keep", "z": "keep", "size": "keep", "material": "keep",
                   "manufacturer": "keep", "group": "keep", "hemisphere": "keep", "type": "keep",
                   "impedance": "keep", "dimension": "keep"},
}
_NUMBER = re.compile(r"^\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*$|^\s*n/a\s*$|^\s*(?:nan|NaN)\s*$")


class SidecarError(ValueError):
    """A sidecar that cannot be read (the message names the problem, never a value)."""


def shift_iso(value: str, shift_days: int | None) -> str | None:
    """An ISO date or date-time moved by shift_days (None: removed); None also for a value that is not one."""
    text = str(value).strip()
    for fmt in ("%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            when = dt.datetime.strptime(text[:26], fmt)
        except ValueError:
            continue
        if shift_days is None:
            return None
        return (when + dt.timedelta(days=shift_days)).strftime(fmt)
    return None


def _clean_value(value: Any, clean: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, list):
        return [_clean_value(v, clean) for v in value]
    if isinstance(value, dict):
        return {k: _clean_value(v, clean) for k, v in value.items()}
    return value


def scrub_json(data: bytes, family: str, shift_days: int | None,
               clean: Callable[[str], str]) -> tuple[bytes, list[str]]:
    """A JSON sidecar on its family's allow-list (`recording`, `coordsystem` or `physio`); returns the bytes to release
    and the keys dropped. A physio sidecar's `StartTime` that is a date-time is moved (or removed); column
    descriptions (objects named in `Columns`) keep only their description keys, cleaned."""
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as err:
        raise SidecarError(f"not valid UTF-8 JSON ({type(err).__name__})") from None
    if not isinstance(document, dict):
        raise SidecarError("not a JSON object")
    allowed = JSON_KEYS["coordsystem" if family == "coordsystem" else "recording"]
    columns = set(document.get("Columns") or []) if isinstance(document.get("Columns"), list) else set()
    out, dropped = {}, []
    for key, value in document.items():
        kind = allowed.get(key)
        if key == "StartTime" and isinstance(value, str):
            moved = shift_iso(value, shift_days)
            if moved is not None or _NUMBER.match(value):
                out[key] = moved if moved is not None else value
            else:
                dropped.append(key)
            continue
        if kind == "keep":
            out[key] = value
        elif kind == "text":
            out[key] = _clean_value(value, clean)
        elif isinstance(value, dict) and (key in columns or family in ("events", "channels")):
            kept = {k: (_clean_value(v, clean) if COLUMN_DESCRIPTION[k] == "text" else v)
                    for k, v in value.items() if k in COLUMN_DESCRIPTION}
            dropped += [f"{key}.{k}" for k in value if k not in COLUMN_DESCRIPTION]
            out[key] = kept
        else:
            dropped.append(key)
    return (json.dumps(out, indent=2, ensure_ascii=False) + "\n").encode("utf-8"), dropped


def scrub_tsv(data: bytes, family: str, clean: Callable[[str], str]) -> tuple[bytes, list[str]]:
    """A BIDS TSV sidecar with only its family's allowed columns, free-text cells cleaned; returns bytes and the
    columns dropped."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise SidecarError(f"not UTF-8 text (at byte {err.start})") from None
    rows = list(csv.reader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE))
    rows = [r for r in rows if r]
    if not rows:
        raise SidecarError("empty table (a header row is required)")
    header = rows[0]
    width = len(header)
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != width:
            raise SidecarError(f"line {number} has {len(row)} fields, the header has {width}")
    allowed = TSV_COLUMNS[family]
    keep = [i for i, name in enumerate(header) if name in allowed]
    dropped = [name for name in header if name not in allowed]
    out = ["\t".join(header[i] for i in keep)]
    for row in rows[1:]:
        cells = []
        for i in keep:
            cell = row[i]
            if allowed[header[i]] == "text" and not _NUMBER.match(cell):
                cell = clean(cell).replace("\t", " ").replace("\n", " ")
            cells.append(cell)
        out.append("\t".join(cells))
    return ("\n".join(out) + "\n").encode("utf-8"), dropped


def scrub_physio(data: bytes) -> bytes:
    """A `_physio.tsv.gz` (or `_stim.tsv.gz`) re-compressed without the gzip header's file name and time, after
    checking that every cell is a number (a text cell could carry anything)."""
    try:
        raw = gzip.decompress(data)
    except (OSError, EOFError) as err:
        raise SidecarError(f"not a readable gzip file ({type(err).__name__})") from None
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        raise SidecarError("holds non-ASCII bytes; a physio table is numbers only") from None
    for number, line in enumerate(text.splitlines(), start=1):
        for cell in line.split("\t"):
            if cell and not _NUMBER.match(cell):
                raise SidecarError(f"line {number} holds a cell that is not a number; a physio table is numbers "
                                   "only (no header row)")
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as handle:
        handle.write(raw)
    return buffer.getvalue()
