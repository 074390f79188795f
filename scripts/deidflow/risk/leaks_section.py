"""The leak-scan risk section: needles from the study and the parts, scanned over every part's released files."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Iterable

from ..io import read_json
from ..parts import IDENTIFIERS, part_files
from .leaks import Scanner, build_needles, hits_to_json

MAX_LISTED = 50


def collect_identifiers(identifiers_json: str | Path, part_dirs: Iterable[str | Path]) -> dict:
    """The study's identifiers plus every value the parts found in their inputs (e.g. DICOM headers)."""
    ids = read_json(identifiers_json)
    ids.setdefault("global", [])
    for part in part_dirs:
        extra = Path(part) / IDENTIFIERS
        if extra.is_file():
            subject = read_json(Path(part) / "manifest.json").get("subject") or ""
            for item in read_json(extra)["values"]:
                entry = {"value": item["value"], "kind": _kind(item["kind"]), "column": item["kind"]}
                if subject:
                    ids["subjects"].setdefault(subject, []).append(entry)
                else:
                    ids["global"].append(entry)
    return ids


def _kind(kind: str) -> str:
    """Part identifier kinds look like 'dicom:PatientName'; map the well-known ones to the scan's variant kinds."""
    base = kind.split(":")[-1].lower()
    if "name" in base and "institution" not in base and "station" not in base:
        return "name"
    if "date" in base and "time" not in base:
        return "date"
    if "phone" in base or "telephone" in base:
        return "phone"
    return "other"


def file_format(relpath: str) -> str:
    """A released file's format by its extension(s) (`.nii.gz` stays one format), for the scan's coverage table."""
    name = Path(relpath).name.lower()
    for double in (".nii.gz", ".tar.gz"):
        if name.endswith(double):
            return double
    suffix = Path(name).suffix
    return suffix or "(none)"


def leak_scan_section(part_dirs: Iterable[str | Path], identifiers_json: str | Path, enabled: bool = True) -> dict:
    """Scan every file every part will release (and its path) for every known identifier value."""
    part_dirs = list(part_dirs)
    ids = collect_identifiers(identifiers_json, part_dirs)
    needles = build_needles(ids)
    scanner = Scanner(needles)
    hits, files, size = [], 0, 0
    by_format: dict[str, dict[str, int]] = {}
    if enabled:
        for part in part_dirs:
            for rel, path in part_files(part):
                files += 1
                nbytes = path.stat().st_size
                size += nbytes
                entry = by_format.setdefault(file_format(rel), {"files": 0, "bytes": 0})
                entry["files"] += 1
                entry["bytes"] += nbytes
                hits += scanner.scan_name(rel)
                hits += scanner.scan_file(path, rel)
    detail = "no identifier value found" if not hits else "; ".join(h.describe() for h in hits[:MAX_LISTED])
    return {
        "section": "leaks",
        "title": "Leak scan of every released byte",
        "metrics": {"files_scanned": files, "bytes_scanned": size, "needles": len(needles), "hits": len(hits),
                    "needles_by_kind": dict(sorted(Counter(n.kind for n in needles).items())),
                    "scanned_by_format": dict(sorted(by_format.items()))},
        "checks": [
            {
                "name": "no known identifier in the release",
                # a scan that did not run is reported (not gated), never shown as passed
                "passed": not hits if enabled else None,
                **({} if enabled else {"gated": False}),
                "detail": detail if enabled else "not scanned: the leak scan is disabled by risk.leak_scan: false",
            }
        ],
        "tables": [{"title": "Leaks found", "rows": hits_to_json(hits[:1000])}] if hits else [],
    }
