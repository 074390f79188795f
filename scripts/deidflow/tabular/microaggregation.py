"""MDAV microaggregation of numeric quasi-identifiers (Domingo-Ferrer and Torra 2005, sdcMicro's `microaggregation`
method "mdav"): records are grouped in at least k by their standardized values and each value is replaced by its
group's mean, so every released numeric combination is shared by k or more records while the column means stay
exact."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd


class MicroaggregationError(ValueError):
    """A column is not numeric or the table is smaller than k."""


@dataclass
class Aggregated:
    """Released values, each record's group, and the within-group share of the variance lost (SSE/SST)."""

    table: pd.DataFrame
    groups: np.ndarray
    sse_sst: float


def mdav_groups(x: np.ndarray, k: int) -> np.ndarray:
    """MDAV groups (a label per row) of the rows of x (already standardized)."""
    n = len(x)
    label = np.full(n, -1)
    left = np.arange(n)
    g = 0

    def take(center: np.ndarray) -> None:
        nonlocal left, g
        d = ((x[left] - center) ** 2).sum(axis=1)
        chosen = left[np.argsort(d, kind="stable")[:k]]
        label[chosen] = g
        g += 1
        left = np.setdiff1d(left, chosen, assume_unique=True)

    def farthest(points: np.ndarray, center: np.ndarray) -> np.ndarray:
        return x[points[np.argmax(((x[points] - center) ** 2).sum(axis=1))]]

    while len(left) >= 3 * k:
        r = farthest(left, x[left].mean(axis=0))
        take(r)
        s = farthest(left, r)
        take(s)
    if len(left) >= 2 * k:
        take(farthest(left, x[left].mean(axis=0)))
    if len(left):
        label[left] = g
    return label


def mdav(table: pd.DataFrame, columns: Sequence[str], k: int, decimals: int | None = None,
         table_name: str = "table") -> Aggregated:
    """Microaggregate `columns` jointly with MDAV; values are replaced by group means (rounded to `decimals`)."""
    columns = list(columns)
    if len(table) < k:
        raise MicroaggregationError(f"{table_name}: k = {k} is larger than the table ({len(table)} rows)")
    values = table[columns].apply(pd.to_numeric, errors="coerce")
    for c in columns:
        bad = values[c].isna() & table[c].notna()
        if bad.any() or values[c].isna().any():
            raise MicroaggregationError(f"{table_name}: column {c!r} (microaggregation): row "
                                        f"{int(np.flatnonzero(values[c].isna().to_numpy())[0]) + 2} is not a number; "
                                        "microaggregation needs numeric values in every row")
    x = values.to_numpy(dtype=float)
    scale = x.std(axis=0)
    z = (x - x.mean(axis=0)) / np.where(scale > 0, scale, 1.0)
    groups = mdav_groups(z, k)
    means = pd.DataFrame(x).groupby(groups).transform("mean").to_numpy()
    sst = float(((x - x.mean(axis=0)) ** 2 / np.where(scale > 0, scale ** 2, 1.0)).sum())
    sse = float(((x - means) ** 2 / np.where(scale > 0, scale ** 2, 1.0)).sum())
    out = table.copy()
    for j, c in enumerate(columns):
        col = means[:, j] if decimals is None else np.round(means[:, j], int(decimals))
        out[c] = [(f"{v:.{int(decimals)}f}" if decimals is not None else repr(float(v))) for v in col]
    return Aggregated(out, groups, sse / sst if sst > 0 else 0.0)
