"""Record-level disclosure risk of a released table: the Benedetti-Franconi individual risk with sampling weights
(sdcMicro's `indivRisk`/`measure_risk`) and SUDA's minimal sample uniques and special uniques (Elliot et al. 2002,
sdcMicro's `suda2`).

Individual risk: a record in a class of f sample records whose weights sum to F (the estimated population count) is
re-identified with probability E[1/F_pop | f], F_pop - f ~ NegBin(f, p), p = f / F. Its exact value is the integral
r = int_0^1 t^(f-1) (p / (1 - (1 - p) t))^f dt (the probability generating function of the negative binomial), which
gives the familiar closed forms: f = 1: p/(1-p) ln(1/p); f = 2: p/(1-p) - (p/(1-p))^2 ln(1/p). With F <= f (weights
of 1: the sample is the population) r = 1/f.

SUDA: a minimal sample unique (MSU) of a record is a set of key variables on which the record is unique in the sample
while no proper subset is. A record's score adds (M - s)! for each MSU of size s (M key variables), so uniqueness on
few variables weighs most; a special unique is a record with an MSU smaller than the full key (unique on a part of
its key, not only on all of it together).
"""

from __future__ import annotations

import itertools
import math
from typing import Any, Sequence

import numpy as np
import pandas as pd
from scipy import integrate


def bf_risk(f: float, F: float) -> float:
    """Benedetti-Franconi risk of a record in a class of f sample records with estimated population count F."""
    if F <= f:
        return 1.0 / f
    p = f / F
    if f == 1:
        return p / (1 - p) * math.log(1 / p)
    # the integrand is 1 at t = 1 and falls like exp(-rate (1 - t)) below it: for a large class (f = 359, p = 0.01:
    # rate 35,900) all its mass lies in a sliver next to 1 that quadrature over [0, 1] alone steps over (it returned
    # 2e-19 there instead of 2.79e-5), so the interval is split at 1 - c / rate and the integrand taken in logs
    rate = (f - 1) + f * (1 - p) / p
    log_p = math.log(p)

    def integrand(t: float) -> float:
        return math.exp((f - 1) * math.log(t) + f * (log_p - math.log(1 - (1 - p) * t))) if t > 0 else 0.0

    edges = sorted({0.0, 1.0, *(1 - c / rate for c in (1, 10, 100, 1000) if c < rate)})
    return float(sum(integrate.quad(integrand, a, b, limit=200)[0] for a, b in zip(edges, edges[1:])))


def keys(table: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """A class code per row over `columns` (missing values are a value)."""
    frame = table[list(columns)].astype("string").fillna("\x00<NA>")
    return frame.groupby(list(columns), sort=False, dropna=False).ngroup().to_numpy()


def individual_risk(table: pd.DataFrame, columns: Sequence[str], weights: Sequence[float] | float | None = None
                    ) -> np.ndarray:
    """Each record's Benedetti-Franconi risk over its quasi-identifiers (weights: per row, one number, or 1)."""
    n = len(table)
    w = np.ones(n) if weights is None else np.broadcast_to(np.asarray(weights, dtype=float), (n,))
    code = keys(table, columns)
    f = np.bincount(code).astype(float)
    F = np.bincount(code, weights=w)
    cache: dict[tuple[float, float], float] = {}
    per_class = np.array([cache.setdefault((fi, Fi), bf_risk(fi, Fi)) for fi, Fi in zip(f, F)])
    return per_class[code]


def individual_section(risk: np.ndarray, threshold: float | None) -> dict[str, Any]:
    """Figures for the report: largest and mean risk, expected re-identifications, records over the threshold."""
    out = {"max": float(risk.max()) if len(risk) else 0.0, "mean": float(risk.mean()) if len(risk) else 0.0,
           "expected_reidentifications": float(risk.sum())}
    if threshold is not None:
        out["threshold"] = float(threshold)
        out["records_over"] = int((risk > threshold).sum())
    return out


def suda(table: pd.DataFrame, columns: Sequence[str], max_msu: int | None = None) -> pd.DataFrame:
    """Per record: the size of its smallest MSU (0 = none), its number of MSUs, its SUDA score, and whether it is a
    special unique."""
    columns = list(columns)
    m = len(columns)
    top = min(max_msu or m, m)
    n = len(table)
    unique_on: dict[tuple[int, ...], np.ndarray] = {}
    smallest = np.zeros(n, dtype=int)
    count = np.zeros(n, dtype=int)
    score = np.zeros(n)
    for size in range(1, top + 1):
        for subset in itertools.combinations(range(m), size):
            code = keys(table, [columns[j] for j in subset])
            unique = np.bincount(code)[code] == 1
            unique_on[subset] = unique
            minimal = unique.copy()
            for sub in itertools.combinations(subset, size - 1) if size > 1 else ():
                minimal &= ~unique_on[sub]
            count += minimal
            score += minimal * math.factorial(m - size)
            smallest = np.where(minimal & (smallest == 0), size, smallest)
    whole = np.bincount(keys(table, columns))[keys(table, columns)] == 1 if m else np.zeros(n, dtype=bool)
    special = whole & (smallest > 0) & (smallest < m)
    return pd.DataFrame({"msu_min": smallest, "msus": count, "score": score, "special_unique": special},
                        index=table.index)
