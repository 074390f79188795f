"""The leak-scan risk section: needles from the study and the parts, scanned over every part's released files."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Iterable

from ..forms import base_kind
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
                entry = {"value": item["value"], "kind": base_kind(item["kind"]), "column": item["kind"]}
                if subject:
                    ids["subjects"].setdefault(subject, []).append(entry)
                else:
                    ids["global"].append(entry)
    return ids


def file_format(relpath: str) -> str:
    """A released file's format by its extension(s) (`.nii.gz` stays one format), for the scan's coverage table."""
    name = Path(relpath).name.lower()
    for double in (".nii.gz", ".tar.gz"):
        if name.endswith(double):
            return double
    suffix = Path(name).suffix
    return suffix or "(none)"


def leak_scan_section(part_dirs: Iterable[str | Path], identifiers_json: str | Path, enabled: bool = True,
                      allow: Iterable[str] = ()) -> dict:
    """Scan every file every part will release (and its path) for every known identifier in every written form.
    A hit on a common-word or allow-listed form (`allow`: text.allow_list) is reported without failing the gate."""
    part_dirs = list(part_dirs)
    ids = collect_identifiers(identifiers_json, part_dirs)
    needles = build_needles(ids, allow)
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
    blocking = [h for h in hits if h.blocking]
    reported = [h for h in hits if not h.blocking]
    detail = "no identifier value found" if not blocking else "; ".join(h.describe() for h in blocking[:MAX_LISTED])
    checks = [
        {
            "name": "no known identifier in the release",
            # a scan that did not run is reported (not gated), never shown as passed
            "passed": not blocking if enabled else None,
            **({} if enabled else {"gated": False}),
            "detail": detail if enabled else "not scanned: the leak scan is disabled by risk.leak_scan: false",
        }
    ]
    if reported:
        checks.append({
            "name": "identifier forms that are common words or allow-listed (reported, not blocking)",
            "passed": True,
            "gated": False,
            "detail": "; ".join(h.describe() for h in reported[:MAX_LISTED]),
        })
    tables = [{"title": "Leaks found", "rows": hits_to_json(blocking[:1000])}] if blocking else []
    if reported:
        tables.append({"title": "Common-word or allow-listed forms found (not blocking)",
                       "rows": hits_to_json(reported[:1000])})
    return {
        "section": "leaks",
        "title": "Leak scan of every released byte",
        "metrics": {"files_scanned": files, "bytes_scanned": size, "needles": len(needles),
                    "needles_not_blocking": sum(not n.blocking for n in needles), "hits": len(blocking),
                    "hits_not_blocking": len(reported),
                    "needles_by_kind": dict(sorted(Counter(n.kind for n in needles).items())),
                    "scanned_by_format": dict(sorted(by_format.items()))},
        "checks": checks,
        "tables": tables,
    }
