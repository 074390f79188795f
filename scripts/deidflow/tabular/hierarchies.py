"""Generalization hierarchies: ARX-format CSV files and generated ones (intervals, dates, prefixes, categories).

A hierarchy is a table whose index is the leaf values (level 0, as strings) and whose columns are levels 0..H, the
last level being `*`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

STAR = "*"


class HierarchyError(ValueError):
    """A hierarchy is malformed or does not cover a value."""


def from_csv(path: str | Path, sep: str = ";") -> pd.DataFrame:
    """An ARX hierarchy file: one row per value, coarser levels to the right, `*` last."""
    path = Path(path)
    if not path.is_file():
        raise HierarchyError(f"hierarchy file {path} not found")
    rows = [line.split(sep) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not rows:
        raise HierarchyError(f"{path}: the hierarchy is empty")
    widths = {len(r) for r in rows}
    if len(widths) != 1:
        raise HierarchyError(f"{path}: rows have different numbers of levels ({sorted(widths)})")
    table = pd.DataFrame(rows, dtype=object)
    table.index = table[0]
    if table.index.duplicated().any():
        raise HierarchyError(f"{path}: value {table.index[table.index.duplicated()][0]!r} listed twice")
    return _finish(table)


def _finish(table: pd.DataFrame) -> pd.DataFrame:
    table = table.astype(object).copy()
    table.columns = range(table.shape[1])
    if not (table.iloc[:, -1] == STAR).all():
        table[table.shape[1]] = STAR
    table.index = pd.Index([str(v) for v in table.index], dtype=object)
    return table


def intervals(values: Sequence[str], widths: Sequence[float] | None = None, quantiles: Sequence[int] | None = None,
              bottom: float | None = None, top: float | None = None) -> pd.DataFrame:
    """Numeric intervals: each level bins by a width (e.g. 5, 10, 20 years) or into quantile bins; values below
    `bottom` or at/above `top` are coded `<bottom` / `>=top` from level 1 on (bottom- and top-coding)."""
    leaves = sorted({str(v) for v in values}, key=_num)
    numbers = np.array([_num(v) for v in leaves], dtype=float)
    levels: list[np.ndarray] = [np.array(leaves, dtype=object)]
    for spec in ([("q", q) for q in quantiles] if quantiles else list(widths or [])):
        if isinstance(spec, tuple):
            edges = np.unique(np.quantile(numbers, np.linspace(0, 1, int(spec[1]) + 1)))
            if len(edges) < 2:
                edges = np.array([numbers.min(), numbers.max() + 1])
            idx = np.clip(np.searchsorted(edges, numbers, side="right") - 1, 0, len(edges) - 2)
            labels = np.array([f"[{_fmt(edges[i])}, {_fmt(edges[i + 1])}{']' if i == len(edges) - 2 else ')'}"
                               for i in range(len(edges) - 1)], dtype=object)[idx]
        else:
            width = float(spec)
            if width <= 0:
                raise HierarchyError(f"interval width {spec!r} must be positive")
            lows = np.floor(numbers / width) * width
            labels = np.array([f"[{_fmt(lo)}, {_fmt(lo + width)})" for lo in lows], dtype=object)
        levels.append(labels)
    for level in levels[1:]:
        if bottom is not None:
            level[numbers < bottom] = f"<{_fmt(bottom)}"
        if top is not None:
            level[numbers >= top] = f">={_fmt(top)}"
    return _finish(pd.DataFrame({i: lv for i, lv in enumerate(levels)}, index=leaves))


def _num(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise HierarchyError(f"value {value!r} is not a number (interval hierarchy)") from None


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def dates(values: Sequence[str], levels: Sequence[str] = ("month", "year", "decade")) -> pd.DataFrame:
    """Dates (YYYY-MM-DD) generalized to month, year, decade."""
    leaves = sorted({str(v) for v in values})
    parsed = []
    for v in leaves:
        try:
            parsed.append(dt.date.fromisoformat(v[:10]))
        except ValueError:
            raise HierarchyError(f"value {v!r} is not an ISO date YYYY-MM-DD (date hierarchy)") from None
    cols: dict[int, list[str]] = {0: leaves}
    for i, level in enumerate(levels, start=1):
        if level == "month":
            cols[i] = [d.strftime("%Y-%m") for d in parsed]
        elif level == "year":
            cols[i] = [str(d.year) for d in parsed]
        elif level == "decade":
            cols[i] = [f"{d.year // 10 * 10}s" for d in parsed]
        else:
            raise HierarchyError(f"date level {level!r}: use month, year or decade")
    return _finish(pd.DataFrame(cols, index=leaves))


def prefix(values: Sequence[str], steps: int | None = None) -> pd.DataFrame:
    """Prefix truncation (ZIP codes): each level masks one more trailing character with `*`."""
    leaves = sorted({str(v) for v in values})
    length = max((len(v) for v in leaves), default=0)
    steps = length if steps is None else min(int(steps), length)
    cols = {0: leaves}
    for i in range(1, steps + 1):
        cols[i] = [v[: max(len(v) - i, 0)] + STAR * min(i, len(v)) for v in leaves]
    return _finish(pd.DataFrame(cols, index=leaves))


def categories(values: Sequence[str], groups: Sequence[Mapping[str, Sequence[str]]]) -> pd.DataFrame:
    """Category trees from the config: each level maps a group label to the labels of the level below."""
    leaves = sorted({str(v) for v in values})
    cols = {0: leaves}
    current = {v: v for v in leaves}
    for i, level in enumerate(groups, start=1):
        parent = {str(member): str(group) for group, members in level.items() for member in members}
        current = {v: parent.get(current[v], current[v]) for v in leaves}
        cols[i] = [current[v] for v in leaves]
    return _finish(pd.DataFrame(cols, index=leaves))


def build(spec: Mapping[str, Any], values: Sequence[str], base_dir: str | Path = ".") -> pd.DataFrame:
    """A hierarchy from its config spec ({"type": csv|intervals|date|prefix|categories|suppress, ...})."""
    kind = spec.get("type", "suppress")
    if kind == "csv":
        return from_csv(Path(base_dir) / spec["file"], spec.get("sep", ";"))
    if kind == "intervals":
        return intervals(values, spec.get("widths"), spec.get("quantiles"), spec.get("bottom"), spec.get("top"))
    if kind == "date":
        return dates(values, spec.get("levels", ("month", "year", "decade")))
    if kind == "prefix":
        return prefix(values, spec.get("steps"))
    if kind == "categories":
        return categories(values, spec.get("levels", []))
    if kind == "suppress":
        leaves = sorted({str(v) for v in values})
        return _finish(pd.DataFrame({0: leaves}, index=leaves))
    raise HierarchyError(f"hierarchy type {kind!r}: use csv, intervals, date, prefix, categories or suppress")


def height(hierarchy: pd.DataFrame) -> int:
    """The number of generalization steps above the leaves."""
    return hierarchy.shape[1] - 1


def is_numeric_like(values: Sequence[str]) -> bool:
    """Whether every value parses as a number."""
    try:
        [float(v) for v in values]
        return True
    except (TypeError, ValueError):
        return False
