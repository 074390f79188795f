"""Scrub BIDS JSON sidecars and NIfTI headers: identifying fields removed, description fields cleared."""

from __future__ import annotations

import gzip
import json
import os
import re
from pathlib import Path
from typing import Any, Callable, Iterable

import nibabel as nib

# Fields dcm2niix (even with -ba y) or other converters write that identify a person, a place, a device or a date.
SIDECAR_REMOVE = frozenset(
    {
        "PatientName", "PatientID", "PatientBirthDate", "PatientAge", "PatientWeight", "PatientSize",
        "AccessionNumber", "StudyID", "StudyInstanceUID", "SeriesInstanceUID", "FrameOfReferenceUID",
        "StudyDescription", "SeriesDescription", "ProtocolName", "ImageComments", "ProcedureStepDescription",
        "PerformedProcedureStepDescription", "RequestedProcedureDescription", "AdditionalPatientHistory",
        "InstitutionName", "InstitutionAddress", "InstitutionalDepartmentName", "StationName",
        "DeviceSerialNumber", "ReferringPhysicianName", "PerformingPhysicianName", "OperatorsName",
        "AcquisitionDateTime", "AcquisitionDate", "AcquisitionTime", "ContentDate", "ContentTime",
        "StudyDate", "StudyTime", "SeriesDate", "SeriesTime", "InstanceCreationDate", "InstanceCreationTime",
        "DateOfLastCalibration", "TimeOfLastCalibration", "TextComments", "ConversionComments",
    }
)
_DATEISH = re.compile(r"(Date|DateTime|Birth)$")
HEADER_TEXT_FIELDS = ("descrip", "aux_file", "intent_name", "db_name")


Cleaner = Callable[[str, str], "str | None"]  # (value, field) -> cleaned value, or None: remove the field


def scrub_sidecar(data: dict[str, Any], extra_remove: Iterable[str] = (), clean: Cleaner | None = None,
                  clean_fields: Iterable[str] = ()) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return (kept fields, removed fields) of a sidecar: the fixed list, config extras and any *Date* field.

    With `clean`, the text fields in `clean_fields` (descriptions) are kept cleaned instead, unless cleaning fails.
    """
    extra = set(extra_remove)
    remove = SIDECAR_REMOVE | extra
    cleanable = set(clean_fields) - extra if clean is not None else set()
    kept, removed = {}, {}
    for key, value in data.items():
        if key in cleanable and isinstance(value, str):
            cleaned = clean(value, key)
            if cleaned is not None:
                kept[key] = cleaned
                continue
        if key in remove or _DATEISH.search(key):
            removed[key] = value
        else:
            kept[key] = value
    return kept, removed


def write_sidecar(source: str | os.PathLike, target: str | os.PathLike, extra_remove: Iterable[str] = (),
                  clean: Cleaner | None = None, clean_fields: Iterable[str] = ()) -> dict:
    """Scrub a JSON sidecar into target (sorted keys, stable bytes); return the removed fields."""
    try:
        data = json.loads(Path(source).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"sidecar is not valid JSON ({type(exc).__name__})") from None
    if not isinstance(data, dict):
        raise ValueError("sidecar is not a JSON object")
    kept, removed = scrub_sidecar(data, extra_remove, clean, clean_fields)
    Path(target).write_text(json.dumps(kept, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return removed


def write_nifti(source: str | os.PathLike, target: str | os.PathLike) -> dict[str, str]:
    """Copy a NIfTI image with its free-text header fields cleared (descrip, aux_file, intent_name, db_name)."""
    try:
        image = nib.load(str(source))
        if not isinstance(image, nib.Nifti1Image):
            raise TypeError(type(image).__name__)
        data = image.dataobj
        header = image.header.copy()
    except Exception as exc:
        raise ValueError(f"not a readable NIfTI image ({type(exc).__name__})") from None
    removed = {}
    for name in HEADER_TEXT_FIELDS:
        if name in header:
            raw = header[name].tobytes().rstrip(b"\x00").decode("latin-1", "replace")
            if raw:
                removed[name] = raw
            header[name] = b""
    out = image.__class__(data, image.affine, header)
    out.header.extensions.clear()  # extensions may hold a DICOM header or comments
    payload = out.to_bytes()
    if str(target).endswith(".gz"):
        payload = gzip.compress(payload, compresslevel=6, mtime=0)  # mtime 0: same input, same bytes
    Path(target).write_bytes(payload)
    return removed
