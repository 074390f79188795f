"""Local suppression: blank the fewest quasi-identifier cells so that every record shares its values with k - 1 others
(the cell-level alternative to global recoding, as sdcMicro's `localSuppression` and ARX's local recoding).

A suppressed cell becomes `*` and counts as a value of its own (strict k-anonymity, as pycanon and ARX count it; a
`*` never matches a real value, which is the conservative reading). Finding the fewest cells is NP-hard; the
heuristic here tries suppression patterns in order of cost (fewest cells first, then the least important columns):
for each pattern, every record still at risk is grouped with the records already carrying exactly that pattern, and
each group of at least k is suppressed. Records left over after the widest pattern are fully suppressed, topped up to
k with records taken from classes larger than k (or, failing that, whole classes).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

STAR = "*"


class SuppressionError(ValueError):
    """k cannot be reached (the table has fewer than k rows)."""


@dataclass
class Suppressed:
    """The table with cells suppressed, which cells, and what could not be protected by cells alone."""

    table: pd.DataFrame
    cells: np.ndarray  # bool (rows x columns): suppressed here
    unresolved: np.ndarray  # bool per row: fully suppressed although some of its columns were protected

    @property
    def count(self) -> int:
        return int(self.cells.sum())

    def per_column(self, columns: Sequence[str]) -> dict[str, int]:
        return {c: int(n) for c, n in zip(columns, self.cells.sum(axis=0))}


def class_sizes(data: np.ndarray) -> np.ndarray:
    """Each row's class size over all columns of an object array."""
    if data.shape[1] == 0:
        return np.full(len(data), len(data))
    codes = np.stack([pd.factorize(data[:, j])[0] for j in range(data.shape[1])], axis=1)
    _, inverse, counts = np.unique(codes, axis=0, return_inverse=True, return_counts=True)
    return counts[inverse.reshape(-1)]


def patterns(m: int, allowed: Sequence[int], importance: Sequence[float]) -> list[tuple[int, ...]]:
    """Column subsets that may be suppressed, cheapest first: fewer cells, then lower total importance."""
    subsets = [s for size in range(1, len(allowed) + 1) for s in itertools.combinations(allowed, size)]
    return sorted(subsets, key=lambda s: (len(s), sum(importance[j] for j in s), s))


def local_suppression(table: pd.DataFrame, columns: Sequence[str], k: int,
                      importance: Mapping[str, float] | None = None, allowed: Sequence[str] | None = None
                      ) -> Suppressed:
    """Suppress cells of `columns` until each record's class has at least k records. `importance`: a higher number
    keeps a column longer (default, as sdcMicro: columns with fewer categories are kept longer); `allowed`: the
    columns that may be suppressed (default all). Records that suppressing allowed cells cannot protect are suppressed
    whole (protected columns too) and flagged in `unresolved`."""
    columns = list(columns)
    n, m = len(table), len(columns)
    if n < k:
        raise SuppressionError(f"k = {k} is larger than the table ({n} rows)")
    data = table[columns].astype("string").fillna("\x00<NA>").to_numpy(dtype=object).copy()
    cells = np.zeros((n, m), dtype=bool)
    # sdcMicro's default: a column with more categories is less important (suppressed first)
    default = {c: -float(table[c].nunique()) for c in columns}
    weight = [float((importance or {}).get(c, default[c])) for c in columns]
    free = [columns.index(c) for c in (allowed if allowed is not None else columns)]
    unsafe = class_sizes(data) < k
    for subset in patterns(m, free, weight):
        if not unsafe.any():
            break
        pattern = np.zeros(m, dtype=bool)
        pattern[list(subset)] = True
        candidates = np.flatnonzero(unsafe | ((cells == pattern).all(axis=1) & ~unsafe))
        projected = data[candidates].copy()
        projected[:, list(subset)] = STAR
        sizes = class_sizes(projected)
        take = candidates[(sizes >= k) & unsafe[candidates]]
        if len(take):
            data[np.ix_(take, list(subset))] = STAR
            cells[np.ix_(take, list(subset))] = True
            unsafe[take] = False
    leftover = unsafe.copy()
    if unsafe.any():
        _top_up(data, cells, unsafe, k)
    if len(free) == m:
        leftover[:] = False
    out = table.copy()
    for j, name in enumerate(columns):
        out[name] = np.where(cells[:, j], STAR, table[name].to_numpy(dtype=object))
    return Suppressed(out, cells, leftover)


def _top_up(data: np.ndarray, cells: np.ndarray, unsafe: np.ndarray, k: int) -> None:
    """Fully suppress the left-over records, adding records from classes larger than k (never taking one below k),
    then whole classes, smallest first, until the `*` class has k."""
    full = cells.all(axis=1)
    need = k - int((full | unsafe).sum())
    if need > 0:
        rest = np.flatnonzero(~unsafe & ~full)
        codes = pd.factorize(pd.Series([tuple(r) for r in data[rest]]))[0]
        sizes = np.bincount(codes)
        taken: list[int] = []
        for c in np.argsort(-sizes, kind="stable"):  # spare records of the largest classes first
            spare = int(sizes[c]) - k
            if spare > 0 and len(taken) < need:
                taken.extend(rest[codes == c][:min(spare, need - len(taken))])
        for c in np.argsort(sizes, kind="stable"):  # then whole classes
            if len(taken) >= need:
                break
            members = [r for r in rest[codes == c] if r not in set(taken)]
            taken.extend(members)
        unsafe[taken] = True
    data[unsafe] = STAR
    cells[unsafe] = True
    unsafe[:] = False
