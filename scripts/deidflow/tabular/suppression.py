"""Local suppression: blank the fewest quasi-identifier cells so that every record shares its values with k - 1 others
(the cell-level alternative to global recoding, as sdcMicro's `localSuppression` and ARX's local recoding).

A suppressed cell becomes `*` and counts as a value of its own (strict k-anonymity, as pycanon and ARX count it; a
`*` never matches a real value, which is the conservative reading). Finding the fewest cells is NP-hard; the
heuristic here tries suppression patterns in order of cost (fewest cells first, then the least important columns):
for each pattern, every record still at risk is grouped with the records already carrying exactly that pattern, and
each group of at least k is suppressed. Records left over after the widest pattern are fully suppressed, topped up to
k with records taken from classes larger than k (or, failing that, whole classes).

With a sensitive column and an l-diversity model (`sensitive`, `model`: distinct, entropy or recursive (c,l)), a group
is taken only when it is k-anonymous *and* l-diverse; every class is formed whole in one step and checked as a whole, so
the released classes meet both. The fully suppressed class is topped up, record by record, with the records whose
sensitive value it holds least, taken only from classes that stay k-anonymous and l-diverse without them (then whole
classes); if even the whole table is not l-diverse, k and l cannot be reached and SuppressionError says so.
t-closeness is not offered: the distance of a class to the table's distribution is not kept by this greedy grouping.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from .models import PrivacyModel, contingency, passing

STAR = "*"


class SuppressionError(ValueError):
    """k cannot be reached (the table has fewer than k rows), or l (the whole table is not l-diverse)."""


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


def class_passing(data: np.ndarray, k: int, sensitive: np.ndarray | None = None,
                  model: PrivacyModel | None = None) -> np.ndarray:
    """Per row: whether its class (over all columns of `data`) has k records and, with a model with l, is l-diverse in
    the integer `sensitive` codes."""
    if sensitive is None or model is None or model.l is None:
        return class_sizes(data) >= k
    if data.shape[1] == 0:
        inverse = np.zeros(len(data), dtype=int)
    else:
        codes = np.stack([pd.factorize(data[:, j])[0] for j in range(data.shape[1])], axis=1)
        inverse = np.unique(codes, axis=0, return_inverse=True)[1].reshape(-1)
    n_classes = int(inverse.max()) + 1 if len(inverse) else 0
    counts = np.bincount(inverse, minlength=n_classes)
    table = contingency(inverse, n_classes, sensitive, int(sensitive.max()) + 1)
    ok = passing(PrivacyModel(k=k, l=model.l, l_kind=model.l_kind, c=model.c), counts, table, None)
    return ok[inverse]


def local_suppression(table: pd.DataFrame, columns: Sequence[str], k: int,
                      importance: Mapping[str, float] | None = None, allowed: Sequence[str] | None = None,
                      sensitive: Sequence[str] | None = None, model: PrivacyModel | None = None) -> Suppressed:
    """Suppress cells of `columns` until each record's class has at least k records (and, given the `sensitive`
    values of each row and a `model` with l, is l-diverse). `importance`: a higher number keeps a column longer
    (default, as sdcMicro: columns with fewer categories are kept longer); `allowed`: the columns that may be
    suppressed (default all). Records that suppressing allowed cells cannot protect are suppressed whole (protected
    columns too) and flagged in `unresolved`."""
    columns = list(columns)
    n, m = len(table), len(columns)
    if n < k:
        raise SuppressionError(f"k = {k} is larger than the table ({n} rows)")
    if model is not None and model.l is not None and sensitive is not None:
        sens = pd.factorize(pd.Series(list(sensitive), dtype=object).astype(str))[0]
        if not class_passing(np.empty((n, 0), dtype=object), k, sens, model).all():
            raise SuppressionError(f"l = {model.l:g} ({model.l_kind}) cannot be reached: the whole table is not "
                                   "l-diverse in its sensitive column")
    else:
        sens, model = None, None
    data = table[columns].astype("string").fillna("\x00<NA>").to_numpy(dtype=object).copy()
    cells = np.zeros((n, m), dtype=bool)
    # sdcMicro's default: a column with more categories is less important (suppressed first)
    default = {c: -float(table[c].nunique()) for c in columns}
    weight = [float((importance or {}).get(c, default[c])) for c in columns]
    free = [columns.index(c) for c in (allowed if allowed is not None else columns)]

    def passing_rows(rows: np.ndarray, values: np.ndarray) -> np.ndarray:
        return class_passing(values, k, None if sens is None else sens[rows], model)

    unsafe = ~passing_rows(np.arange(n), data)
    for subset in patterns(m, free, weight):
        if not unsafe.any():
            break
        pattern = np.zeros(m, dtype=bool)
        pattern[list(subset)] = True
        candidates = np.flatnonzero(unsafe | ((cells == pattern).all(axis=1) & ~unsafe))
        projected = data[candidates].copy()
        projected[:, list(subset)] = STAR
        take = candidates[passing_rows(candidates, projected) & unsafe[candidates]]
        if len(take):
            data[np.ix_(take, list(subset))] = STAR
            cells[np.ix_(take, list(subset))] = True
            unsafe[take] = False
    leftover = unsafe.copy()
    if unsafe.any():
        if sens is None:
            _top_up(data, cells, unsafe, k)
        else:
            _top_up_l(data, cells, unsafe, k, sens, model)
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


def _top_up_l(data: np.ndarray, cells: np.ndarray, unsafe: np.ndarray, k: int, sens: np.ndarray,
              model: PrivacyModel) -> None:
    """Fully suppress the left-over records and grow the `*` class until it is k-anonymous and l-diverse: one record
    at a time, the one whose sensitive value the class holds least, from a class that passes without it; then whole
    classes, smallest first."""
    def passes(rows: np.ndarray) -> bool:
        return bool(len(rows)) and bool(class_passing(np.empty((len(rows), 0), dtype=object), k, sens[rows],
                                                      model)[0])

    star = cells.all(axis=1) | unsafe
    rest = np.flatnonzero(~star)
    codes = pd.factorize(pd.Series([tuple(r) for r in data[rest]]))[0] if len(rest) else np.zeros(0, dtype=int)
    members: dict[int, list[int]] = {}
    for r, c in zip(rest, codes):
        members.setdefault(int(c), []).append(int(r))
    taken: list[int] = []

    def held(value: int) -> int:
        return int((sens[np.flatnonzero(star)] == value).sum()) + sum(1 for t in taken if sens[t] == value)

    current = lambda: np.r_[np.flatnonzero(star), np.asarray(taken, dtype=int)]  # noqa: E731
    while not passes(current()):
        spare = [(held(int(sens[r])), -len(rows), r) for c, rows in members.items() for r in rows
                 if passes(np.asarray([x for x in rows if x != r]))]
        if not spare:
            break
        _, _, r = min(spare)
        taken.append(r)
        for rows in members.values():
            if r in rows:
                rows.remove(r)
    for c in sorted(members, key=lambda c: (len(members[c]), c)):  # then whole classes
        if passes(current()):
            break
        taken.extend(members.pop(c))
    unsafe[taken] = True
    unsafe |= star
    data[unsafe] = STAR
    cells[unsafe] = True
    unsafe[:] = False
