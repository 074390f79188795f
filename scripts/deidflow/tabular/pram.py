"""PRAM (post-randomization) of a categorical column by randomized response, with its transition matrix recorded and
the differential-privacy guarantee it gives.

Each value is kept with probability p and otherwise replaced by one of the other m - 1 categories uniformly, so the
transition matrix is P[i, i] = p, P[i, j] = (1 - p) / (m - 1). For any matrix, one person's released category j has
likelihood ratio P[a, j] / P[b, j] between two true values a, b, so the mechanism is epsilon-DP (per person, for that
column) with epsilon = max_j ln(max_i P[i, j] / min_i P[i, j]); a zero in a column that also has a non-zero entry
means no finite epsilon. For randomized response this is ln(p (m - 1) / (1 - p)) when p >= 1/m (keeping is likelier
than any single swap) and ln((1 - p) / ((m - 1) p)) below; at p = 1/m the output is independent of the input
(epsilon 0).

The draw for a cell is keyed (HMAC of the study's tabular key with the table, column, subject, occurrence and value),
so reruns and later releases give a subject the same category, and a repeated release costs nothing more.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd


class PramError(ValueError):
    """The PRAM settings are invalid for the column."""


@dataclass
class Pram:
    """Released column, the categories in matrix order, the transition matrix and its epsilon (None: no DP bound)."""

    values: pd.Series
    categories: list[str]
    matrix: np.ndarray
    epsilon: float | None


def randomized_response(m: int, keep: float) -> np.ndarray:
    """The m x m matrix that keeps a value with probability `keep`, else moves it uniformly to another category."""
    if not 0 < keep <= 1:
        raise PramError(f"keep = {keep}: use a probability in (0, 1]")
    if m < 2:
        return np.ones((1, 1))
    matrix = np.full((m, m), (1 - keep) / (m - 1))
    np.fill_diagonal(matrix, keep)
    return matrix


def epsilon_of(matrix: np.ndarray) -> float | None:
    """The epsilon of a transition matrix (rows: true value, columns: released value); None when unbounded."""
    matrix = np.asarray(matrix, dtype=float)
    top, low = matrix.max(axis=0), matrix.min(axis=0)
    if ((low == 0) & (top > 0)).any():
        return None
    used = top > 0
    return float(np.max(np.log(top[used] / low[used]))) if used.any() else 0.0


def rr_epsilon(m: int, keep: float) -> float:
    """Closed form of `epsilon_of(randomized_response(m, keep))`."""
    swap = (1 - keep) / (m - 1)
    if swap == 0:
        return math.inf
    return abs(math.log(keep / swap))


def uniform(key: bytes, *parts: Any) -> float:
    """A keyed uniform number in [0, 1) for one cell."""
    digest = hmac.new(key, "\x1f".join(map(str, parts)).encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") / 2.0 ** 64


def pram(values: pd.Series, key: bytes, keep: float, persons: Sequence[str], table_name: str, column: str,
         categories: Sequence[str] | None = None) -> Pram:
    """Randomized response on a categorical column, one keyed draw per (person, occurrence, value)."""
    present = values.dropna().astype(str)
    cats = sorted(set(present)) if categories is None else [str(c) for c in categories]
    unknown = sorted(set(present) - set(cats))
    if unknown:
        raise PramError(f"{table_name}: column {column!r} (pram): a value is not among the declared categories; "
                        "add it to categories")
    matrix = randomized_response(len(cats), float(keep))
    cdf = np.cumsum(matrix, axis=1)
    index = {c: i for i, c in enumerate(cats)}
    occurrence = pd.Series(list(persons)).groupby(list(persons)).cumcount().to_list()
    out = []
    for value, person, nth in zip(values, persons, occurrence):
        if pd.isna(value):
            out.append(None)
            continue
        u = uniform(key, table_name, column, person, nth, value)
        j = int(np.searchsorted(cdf[index[str(value)]], u, side="right"))
        out.append(cats[min(j, len(cats) - 1)])
    return Pram(pd.Series(out, index=values.index, name=values.name, dtype=object), cats, matrix,
                epsilon_of(matrix))
