"""BIDS scans tables (`sub-<label>[_ses-<label>]_scans.tsv`): released with the file names pseudonymized, the
acquisition times moved by the subject's date shift (times of day kept, as for DICOM), and only the rows of files
that reach the release. A column with no rule here keeps the whole table out (fail closed)."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path, PurePosixPath
from typing import Iterable

from .bidsname import BidsNameError, default_suffix, release_path, report_path
from .discovery import StudyError, read_tsv
from .subjects import SubjectRecord

COLUMNS = ("filename", "acq_time")  # the columns deidflow knows how to release
_ACQ_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")


class ScansError(ValueError):
    """A scans table that cannot be released (the message names the problem; the caller names the file)."""


def shift_acq_time(value: str, days: int) -> str:
    """An acq_time (BIDS: YYYY-MM-DDThh:mm:ss[.ffffff][Z]) with its date moved by `days`; n/a stays n/a."""
    text = value.strip()
    if text in ("", "n/a"):
        return text
    match = _ACQ_TIME.match(text)
    if match is None:
        raise ScansError(f"acq_time {value!r} is not a BIDS date-time (YYYY-MM-DDThh:mm:ss)")
    try:
        day = dt.date.fromisoformat(match.group(1))
    except ValueError:
        raise ScansError(f"acq_time {value!r} is not a valid date") from None
    return (day + dt.timedelta(days=days)).isoformat() + (match.group(2) or "")


def release_scans(path: str | Path, relpath: str, record: SubjectRecord, released: Iterable[str]
                  ) -> tuple[str, str, int]:
    """(release path, TSV text, rows dropped) for one scans table; `released` holds the release paths of the
    subject's files. Raises ScansError or StudyError on what cannot be released."""
    table = read_tsv(Path(path))
    unknown = [c for c in table.columns if c not in COLUMNS]
    if unknown:
        raise ScansError(f"column {unknown[0]!r} has no de-identification rule (only {', '.join(COLUMNS)} are "
                         "released)")
    if "filename" not in table.columns:
        raise ScansError("no filename column")
    try:
        own = release_path(relpath, record)
    except BidsNameError as err:
        raise ScansError(f"file name: {err}") from None
    folder = str(PurePosixPath(own).parent)
    released = released if isinstance(released, (set, frozenset)) else set(released)
    rows, dropped = [], 0
    for number, row in enumerate(table.to_dict("records"), start=2):
        try:  # the row's file gets the name its part gave it (rebuilt from entities, `deidflow.bidsname`)
            target = release_path(f"{PurePosixPath(relpath).parent}/{row['filename']}", record,
                                  default_suffix=default_suffix(row["filename"]))
        except BidsNameError:
            target = ""
        if target not in released and target + ".gz" in released:
            target += ".gz"  # input .nii files are released gzipped
        if target not in released:
            dropped += 1
            continue
        out = {"filename": target[len(folder) + 1:]}
        if "acq_time" in row:
            try:
                out["acq_time"] = shift_acq_time(row["acq_time"], record.date_shift_days)
            except ScansError as err:
                raise ScansError(f"line {number}: {err}") from None
        rows.append(out)
    columns = [c for c in COLUMNS if c in table.columns]
    text = "\n".join(["\t".join(columns), *("\t".join(r[c] for c in columns) for r in rows)]) + "\n"
    return own, text, dropped



def scans_part(files: Iterable[str], bids_dir: str | Path, record: SubjectRecord, released: Iterable[str],
               writer, log) -> None:
    """Write a subject's scans tables into its PartWriter, or withhold each one that cannot be released."""
    released = frozenset(released)
    for path in sorted(files):
        relpath = Path(os.path.relpath(Path(path).absolute(), Path(bids_dir).absolute())).as_posix()
        label = report_path(relpath, record)
        try:
            target, text, dropped = release_scans(path, relpath, record, released)
        except (ScansError, StudyError) as err:
            reason = str(err).replace(str(path), label)
            writer.withhold(label, reason if reason.startswith(label) else f"{label}: {reason}")
            log.warning("withheld %s: %s", label, reason)
            continue
        with open(writer.path(target), "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        if dropped:
            writer.note(f"{target}: {dropped} row(s) of files that are not released were left out")
        log.info("%s: released, acq_time shifted by the subject's date shift, %d row(s) left out", target, dropped)
