"""Column roles: what happens to each column of a table (drop, pseudonym, hash, mask, date, quasi, sensitive, noise,
bucket, keep). Every column needs one; a column without a role stops the run, naming it and its table."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import pandas as pd

from ..subjects import SubjectRecord

ROLES = ("drop", "pseudonym", "hash", "mask", "date", "quasi", "sensitive", "noise", "bucket", "keep", "pram", "geo",
         "set", "text")


class RoleError(ValueError):
    """A column's role is missing, unknown or cannot be applied to its values."""


@dataclass(frozen=True)
class Column:
    """One column's role and its options from the config."""

    name: str
    role: str
    options: Mapping[str, Any] = field(default_factory=dict)


def parse_roles(table: pd.DataFrame, spec: Mapping[str, Any], table_name: str) -> dict[str, Column]:
    """Every column's role; any column without one, or configured but absent, stops the run naming it."""
    if len(table.columns) == 0 or len(table) == 0:
        raise RoleError(f"{table_name}: the table is empty (no rows); remove it or fill it")
    missing = [c for c in table.columns if c not in spec]
    if missing:
        raise RoleError(f"{table_name}: column {missing[0]!r} has no role in the config "
                        f"(tables: ... {missing[0]}: {{role: drop|keep|quasi|...}}); every column needs one")
    absent = [c for c in spec if c not in table.columns]
    if absent:
        raise RoleError(f"{table_name}: column {absent[0]!r} is configured but missing from the table")
    out = {}
    for name in table.columns:
        options = spec[name]
        options = {"role": options} if isinstance(options, str) else dict(options or {})
        role = options.get("role")
        if role not in ROLES:
            raise RoleError(f"{table_name}: column {name!r}: role {role!r} is not one of {', '.join(ROLES)}")
        out[name] = Column(name, role, options)
    return out


def table_key(key: bytes, purpose: str) -> bytes:
    """A per-purpose key derived from the study key (HMAC(key, b"tabular-<purpose>")), never the study key itself."""
    return hmac.new(key, f"tabular-{purpose}".encode(), hashlib.sha256).digest()


def keyed_hash(values: pd.Series, key: bytes, length: int = 16) -> pd.Series:
    """Keyed HMAC-SHA256 of each value (hex, truncated); empty cells stay empty."""
    sub = table_key(key, "hash")
    uniques = values.dropna().astype(str).unique()
    table = {v: hmac.new(sub, v.encode(), hashlib.sha256).hexdigest()[:length] for v in uniques}
    return values.map(table)


def bucket(values: pd.Series, key: bytes, buckets: int | None, name: str, table_name: str) -> pd.Series:
    """Keyed feature hashing into at least as many buckets as the column has categories."""
    uniques = values.dropna().astype(str).unique()
    size = int(buckets) if buckets else max(2 ** int(np.ceil(np.log2(max(len(uniques), 2)))), 2)
    if size < len(uniques):
        raise RoleError(f"{table_name}: column {name!r}: {size} buckets for {len(uniques)} categories; "
                        "set buckets to at least the number of categories")
    sub = table_key(key, "bucket")
    width = len(str(size - 1))
    table = {v: f"b{int.from_bytes(hmac.new(sub, v.encode(), hashlib.sha256).digest()[:8], 'big') % size:0{width}d}"
             for v in uniques}
    return values.map(table)


def mask(values: pd.Series, keep_last: int, keep_first: int = 0, char: str = "*",
         keep_separators: bool = True) -> pd.Series:
    """Format-preserving mask: letters and digits become `char` except the first/last N of them; separators (anything
    else: `-`, spaces, `+`, `(`) stay, so `123-45-6789` becomes `***-**-6789`. With `keep_separators: false` every
    character counts (the old `*******6789`). A value with no more characters than are kept is masked whole."""
    first, last = int(keep_first), int(keep_last)

    def one(value: Any) -> str:
        text = str(value)
        slots = [i for i, ch in enumerate(text) if ch.isalnum() or not keep_separators]
        kept = set(slots[:first]) | set(slots[len(slots) - last:] if last else [])
        if len(kept) >= len(slots):  # a value too short to mask is masked whole, never released as is
            kept = set()
        masked = set(slots) - kept
        return "".join(char if i in masked else ch for i, ch in enumerate(text))

    return values.map(one, na_action="ignore")


def dates(values: pd.Series, options: Mapping[str, Any], shifts: pd.Series | None, name: str, table_name: str
          ) -> pd.Series:
    """Shift dates by each subject's shift (days), and/or truncate them to the month or year."""
    text = values.astype("string")
    present = text.notna() & (text.str.strip() != "")
    parsed = pd.to_datetime(text.where(present).str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    bad = present & parsed.isna()
    if bad.any():
        raise RoleError(f"{table_name}: column {name!r}: value in row {int(np.flatnonzero(bad)[0]) + 2} is not an "
                        "ISO date YYYY-MM-DD")
    if options.get("shift", False):
        if shifts is None:
            raise RoleError(f"{table_name}: column {name!r}: shifting dates needs a participant_id column")
        parsed = parsed + pd.to_timedelta(shifts.to_numpy(), unit="D")
    truncate = options.get("truncate")
    fmt = {None: "%Y-%m-%d", "day": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}.get(truncate)
    if fmt is None:
        raise RoleError(f"{table_name}: column {name!r}: truncate {truncate!r}: use day, month or year")
    if not options.get("shift", False) and truncate in (None, "day"):
        raise RoleError(f"{table_name}: column {name!r}: role date needs shift: true or truncate: month|year")
    return parsed.dt.strftime(fmt).astype(object).where(present, None)


def subject_lookup(ids: pd.Series, records: Mapping[str, SubjectRecord], table_name: str
                   ) -> tuple[pd.Series, pd.Series]:
    """Each row's released participant_id (sub-<pseudonym>) and date shift; an unknown participant stops the run."""
    by_original = {r.original: r for r in records.values()}
    labels = ids.astype(str).str.removeprefix("sub-")
    known = labels.isin(list(by_original))
    if not known.all():
        row = int(np.flatnonzero(~known.to_numpy())[0]) + 2
        raise RoleError(f"{table_name}: participant_id in row {row} is not a subject of this study "
                        "(no pseudonym for it); fix the table or the subject list")
    pseudo = labels.map({o: f"sub-{r.pseudonym}" for o, r in by_original.items()})
    shift = labels.map({o: r.date_shift_days for o, r in by_original.items()}).astype(np.int64)
    return pseudo, shift
