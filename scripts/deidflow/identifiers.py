"""The study's known identifier values (from its tables and labels), for the leak scan and the transcript step."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from .discovery import read_participants, read_tsv
from .subjects import SubjectRecord

KINDS = ("name", "email", "phone", "address", "place", "date", "id", "org", "postcode", "subject_label", "other")


def study_identifiers(
    bids_dir: str | Path,
    columns: Mapping[str, str],
    records: Mapping[str, SubjectRecord],
    extra: list[str] = (),
) -> dict[str, Any]:
    """{"subjects": {pseudonym: [{value, kind, column}]}, "global": [...]} from participants.tsv and phenotype tables.

    `columns` maps a column name (in any table) to its identifier kind. Every subject's own label (with and without
    the sub- prefix) and its session labels are identifiers too.
    """
    bids_dir = Path(bids_dir)
    by_original = {r.original: r for r in records.values()}
    per_subject: dict[str, list[dict[str, str]]] = {r.pseudonym: [] for r in records.values()}
    for record in records.values():
        items = per_subject[record.pseudonym]
        items.append({"value": f"sub-{record.original}", "kind": "subject_label", "column": "participant_id"})
        items.append({"value": record.original, "kind": "subject_label", "column": "participant_id"})
        for ses in record.sessions:
            if ses != record.sessions[ses]:
                items.append({"value": f"ses-{ses}", "kind": "subject_label", "column": "session"})
    tables = [bids_dir / "participants.tsv", *sorted((bids_dir / "phenotype").glob("*.tsv"))]
    for path in tables:
        table = read_participants(path) if path.name == "participants.tsv" else read_tsv(path)
        for column, kind in columns.items():
            if column not in table.columns or "participant_id" not in table.columns:
                continue
            for pid, value in zip(table["participant_id"], table[column]):
                record = by_original.get(str(pid).strip().removeprefix("sub-"))
                value = str(value).strip()
                if record is None or not value or value.lower() in ("n/a", "na", "nan", "none"):
                    continue
                per_subject[record.pseudonym].append({"value": value, "kind": kind, "column": column})
    global_items = [{"value": str(v), "kind": "other", "column": "config"} for v in extra if str(v).strip()]
    return {
        "subjects": {p: _unique(items) for p, items in sorted(per_subject.items())},
        "global": _unique(global_items),
    }


class ConfigError(ValueError):
    """A config key that names something the study does not have."""

    stops_the_step = True  # deidflow.batch: a failed step, not a withheld subject


def check_columns(bids_dir: str | Path, columns: Mapping[str, str], config_file: str = "the config") -> None:
    """Every `identifiers.columns` entry must be a column of participants.tsv or of a phenotype table: a misspelt
    one would silently drop those values from the leak scan and the transcript deny-list."""
    bids_dir = Path(bids_dir)
    tables = [bids_dir / "participants.tsv", *sorted((bids_dir / "phenotype").glob("*.tsv"))]
    present: set[str] = set()
    for path in tables:
        if path.is_file():
            with open(path, encoding="utf-8-sig", errors="replace") as handle:
                present.update(c.strip() for c in handle.readline().rstrip("\r\n").split("\t"))
    missing = [c for c in columns if c not in present]
    if missing:
        raise ConfigError(
            f"{config_file}: identifiers.columns names {', '.join(repr(c) for c in missing)}, which participants.tsv "
            f"and the phenotype tables of {bids_dir} do not have; fix the column name or remove the entry (its "
            "values would be missing from the leak scan and the transcript deny-list)"
        )


def _unique(items: list[dict[str, str]]) -> list[dict[str, str]]:
    seen: dict[tuple[str, str, str], dict[str, str]] = {}
    for item in items:
        seen.setdefault((item["value"], item["kind"], item["column"]), item)
    return [seen[k] for k in sorted(seen)]
