"""FIF (MEG/EEG) and EEGLAB `.set` recordings through MNE: `Raw.anonymize` (mne.io.anonymize_info: subject info,
experimenter, description, project, device and helium info, file and measurement ids, dates) with the subject's shift,
subject info removed outright, annotation descriptions cleaned, digitized head-shape points dropped (they can outline
the face); then written back with MNE."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Callable


class MneFileError(ValueError):
    """A recording MNE cannot read or write back (the message names the problem, never a value)."""


SUBJECT_KEYS = {"his_id": "eeg:PatientID", "first_name": "eeg:first_name", "middle_name": "eeg:middle_name",
                "last_name": "eeg:last_name", "birthday": "eeg:birthdate"}


def info_identifiers(info) -> list[tuple[str, str]]:
    """(value, kind) of what anonymization removes from an Info, for the leak scan (never released)."""
    found = []
    subject = info.get("subject_info") or {}
    for key, kind in SUBJECT_KEYS.items():
        value = subject.get(key)
        if value not in (None, "", 0):
            found.append((value.isoformat() if hasattr(value, "isoformat") else str(value), kind))
    names = [subject.get(k) for k in ("first_name", "middle_name", "last_name") if subject.get(k)]
    if len(names) > 1:
        found.append((" ".join(names), "eeg:patient_name"))
    for key, kind in (("experimenter", "eeg:experimenter_name"), ("description", "eeg:description"),
                      ("proj_name", "eeg:project")):
        if info.get(key):
            found.append((str(info[key]), kind))
    device = info.get("device_info") or {}
    for key in ("serial", "site"):
        if device.get(key):
            found.append((str(device[key]), f"eeg:device_{key}"))
    if info.get("meas_date") is not None:
        found.append((info["meas_date"].date().isoformat(), "eeg:meas_date"))
    return found


def drop_head_shape(info) -> int:
    """Remove the digitized head-shape points (Polhemus "extra" points, often hundreds over the scalp, nose and face:
    enough to render a face) from an Info; fiducials, HPI coils and electrode positions stay. Returns how many."""
    from mne.io.constants import FIFF

    points = info.get("dig") or []
    kept = [point for point in points if point["kind"] != FIFF.FIFFV_POINT_EXTRA]
    if len(kept) != len(points):
        with info._unlock():
            info["dig"] = kept or None
    return len(points) - len(kept)


def _anonymize(raw, shift_days: int | None, clean: Callable[[str], str],
               head_shape: str = "drop") -> tuple[list[tuple[str, str]], int, int]:
    import mne

    found = info_identifiers(raw.info)
    annotations = raw.annotations
    descriptions = [clean(str(d)) for d in annotations.description]
    changed = 0
    for old, new in zip(annotations.description, descriptions):
        if new != old:
            changed += 1
            found.append((str(old), "eeg:annotation"))
    raw.set_annotations(mne.Annotations(annotations.onset, annotations.duration, descriptions,
                                        orig_time=annotations.orig_time, ch_names=annotations.ch_names))
    if raw.info["meas_date"] is not None and shift_days is not None:
        raw.anonymize(daysback=-shift_days, keep_his=False, verbose="error")
    else:
        raw.anonymize(daysback=None, keep_his=False, verbose="error")
        raw.set_meas_date(None)
    with raw.info._unlock():
        raw.info["subject_info"] = None
        raw.info["experimenter"] = None
        raw.info["description"] = None
        raw.info["proj_name"] = None
        raw.info["device_info"] = None
    dropped = drop_head_shape(raw.info) if head_shape == "drop" else 0
    return found, changed, dropped


def rewrite_fif(src: Path, dst: Path, shift_days: int | None, clean: Callable[[str], str],
                head_shape: str = "drop") -> dict:
    """Read a FIF recording, anonymize it and save it to dst (same data, MNE's own writer)."""
    import mne

    try:
        raw = mne.io.read_raw_fif(src, preload=True, allow_maxshield=True, verbose="error")
    except Exception as err:  # noqa: BLE001 - any reader failure withholds the file
        raise MneFileError(f"MNE cannot read it as FIF ({type(err).__name__})") from None
    if raw.filenames and len(raw.filenames) > 1:
        raise MneFileError("a split FIF recording (several files); split recordings are not supported yet")
    found, changed, dropped = _anonymize(raw, shift_days, clean, head_shape)
    raw.save(dst, overwrite=True, verbose="error")
    return {"identifiers": found, "annotations": len(raw.annotations), "annotations_cleaned": changed,
            "head_shape_points_dropped": dropped}


def set_identifiers(src: Path) -> list[tuple[str, str]]:
    """Free-text fields of an EEGLAB dataset (subject, set name, comments, file names) for the leak scan."""
    from scipy.io import loadmat

    try:
        mat = loadmat(src, squeeze_me=True, struct_as_record=False, appendmat=False)
    except Exception:  # noqa: BLE001 - MATLAB 7.3 (HDF5) or unreadable: MNE decides below
        return []
    eeg = mat.get("EEG")
    found = []
    fields = ("subject", "setname", "comments", "group", "condition", "filename", "filepath", "datfile")
    for name in fields:
        value = getattr(eeg, name, None) if eeg is not None else mat.get(name)
        if isinstance(value, str) and value.strip():
            found.append((value.strip(), f"eeg:set_{name}"))
    return found


def rewrite_set(src: Path, dst: Path, shift_days: int | None, clean: Callable[[str], str],
                head_shape: str = "drop") -> dict:
    """Read an EEGLAB dataset (with its .fdt) and export a new `.set` holding only the signals, channel positions
    and cleaned events: EEGLAB's free-text fields (subject, set name, comments, history) do not travel."""
    import mne

    found = set_identifiers(src)
    try:
        raw = mne.io.read_raw_eeglab(src, preload=True, verbose="error")
    except Exception as err:  # noqa: BLE001
        raise MneFileError(f"MNE cannot read it as an EEGLAB dataset ({type(err).__name__}; is its .fdt "
                           "beside it?)") from None
    more, changed, dropped = _anonymize(raw, shift_days, clean, head_shape)
    try:
        mne.export.export_raw(dst, raw, fmt="eeglab", overwrite=True, verbose="error")
    except Exception as err:  # noqa: BLE001
        raise MneFileError(f"MNE cannot write it back as EEGLAB ({type(err).__name__})") from None
    data = dst.read_bytes()
    if data[:6] == b"MATLAB":  # the 116-byte text header holds the time of writing: fixed, for identical reruns
        dst.write_bytes(b"MATLAB 5.0 MAT-file, written by deidflow".ljust(116) + data[116:])
    return {"identifiers": found + more, "annotations": len(raw.annotations), "annotations_cleaned": changed,
            "head_shape_points_dropped": dropped}

