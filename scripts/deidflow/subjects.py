"""The subject table every step shares: original label, pseudonym, date shift and session labels."""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, field
from typing import Mapping

from .io import read_json


@dataclass(frozen=True)
class SubjectRecord:
    """One subject: labels are without the `sub-`/`ses-` prefix."""

    original: str
    pseudonym: str
    date_shift_days: int
    sessions: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {**asdict(self), "sessions": dict(sorted(self.sessions.items()))}


def read_subjects(path: str | os.PathLike) -> dict[str, SubjectRecord]:
    """Read the secrets store's subjects.json into {pseudonym: SubjectRecord}."""
    data = read_json(path)
    return {
        item["pseudonym"]: SubjectRecord(
            original=item["original"],
            pseudonym=item["pseudonym"],
            date_shift_days=int(item["date_shift_days"]),
            sessions=dict(item.get("sessions", {})),
        )
        for item in data["subjects"]
    }


def subjects_to_json(records: Mapping[str, SubjectRecord]) -> dict:
    """The subjects.json document (sorted by original label so reruns write the same bytes)."""
    ordered = sorted(records.values(), key=lambda r: r.original)
    return {"format": "deidflow-subjects/1", "subjects": [r.to_json() for r in ordered]}


def pseudonymize_path(relpath: str, record: SubjectRecord) -> str:
    """Replace the subject's and its sessions' original labels in a BIDS path (folders and entity labels)."""
    out = re.sub(rf"(?<![A-Za-z0-9])sub-{re.escape(record.original)}(?![A-Za-z0-9])", f"sub-{record.pseudonym}", relpath)
    for orig, pseudo in record.sessions.items():
        out = re.sub(rf"(?<![A-Za-z0-9])ses-{re.escape(orig)}(?![A-Za-z0-9])", f"ses-{pseudo}", out)
    return out


_SUBJECT_IN_PATH = re.compile(r"(?<![A-Za-z0-9])sub-([A-Za-z0-9]+)")


def pseudonymize_any_path(path: str, by_original: Mapping[str, SubjectRecord]) -> str:
    """Pseudonymize every known subject (and its sessions) named in a path; unknown labels are left as they are."""
    for label in set(_SUBJECT_IN_PATH.findall(path)):
        record = by_original.get(label)
        if record is not None:
            path = pseudonymize_path(path, record)
    return path
