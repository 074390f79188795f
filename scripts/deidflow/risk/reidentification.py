"""Re-identification risk of a released table: k, prosecutor/journalist/marketer risk, population uniqueness.

The measures follow El Emam's definitions as ARX implements them (RiskModelSampleRisks, RiskModelPopulationUniqueness):
an equivalence class is the set of records sharing the same quasi-identifier values; prosecutor risk of a record is
1/f (f its class size in the sample), journalist risk 1/F (F its class size in the population), marketer risk the
expected share of records re-identified by linking every record. Population uniqueness is estimated from the
class-size histogram and the sampling fraction with Zayatz's, Pitman's and the SNB model, and Dankar et al.'s rule
picks one of them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

# Common thresholds: highest acceptable prosecutor risk and the matching minimum class size.
PRESETS: dict[str, dict[str, float]] = {
    "controlled": {"threshold": 0.2, "k": 5},  # controlled access (EMA Policy 0070, Health Canada: 0.2)
    "public": {"threshold": 0.09, "k": 11},  # public release (EMA Policy 0070, Health Canada: 0.09)
}


@dataclass(frozen=True)
class Thresholds:
    """The gate's limits: highest prosecutor risk per record and the minimum class size."""

    threshold: float
    k: int

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> "Thresholds":
        """Build from `{preset: controlled|public}` or explicit `threshold`/`k` (explicit keys override a preset)."""
        base = dict(PRESETS.get(cfg.get("preset") or "controlled", {}))
        if cfg.get("preset") and cfg["preset"] not in PRESETS:
            raise ValueError(f"risk preset {cfg['preset']!r} is unknown; use one of {sorted(PRESETS)}")
        for key in ("threshold", "k"):
            if cfg.get(key) is not None:
                base[key] = cfg[key]
        if not 0 < float(base["threshold"]) <= 1:
            raise ValueError(f"risk threshold must be in (0, 1], got {base['threshold']}")
        return cls(float(base["threshold"]), int(base["k"]))


def class_sizes(table: pd.DataFrame, quasi_identifiers: Iterable[str]) -> pd.Series:
    """Size of each record's equivalence class over the quasi-identifiers (missing values form their own value)."""
    qis = list(quasi_identifiers)
    missing = [c for c in qis if c not in table.columns]
    if missing:
        raise KeyError(f"quasi-identifier columns {missing} are not in the table (columns: {list(table.columns)})")
    if not qis:
        return pd.Series(np.full(len(table), len(table)), index=table.index, dtype="int64")
    keys = table[qis].astype("string").fillna("\x00<NA>")
    return keys.groupby(qis, dropna=False, sort=False)[qis[0]].transform("size").astype("int64")


def histogram(sizes: Iterable[int]) -> dict[int, int]:
    """Class-size histogram {class size: number of classes} from each class's size (one entry per class)."""
    values, counts = np.unique(np.asarray(list(sizes), dtype=np.int64), return_counts=True)
    return {int(v): int(c) for v, c in zip(values, counts)}


def class_histogram(table: pd.DataFrame, quasi_identifiers: Iterable[str]) -> dict[int, int]:
    """Class-size histogram of a table over its quasi-identifiers."""
    qis = list(quasi_identifiers)
    if not len(table):
        return {}
    if not qis:
        return {len(table): 1}
    keys = table[qis].astype("string").fillna("\x00<NA>")
    return histogram(keys.value_counts(dropna=False).to_numpy())


def sample_risks(sizes: pd.Series, threshold: float) -> dict[str, Any]:
    """Prosecutor risk (max, average), marketer risk, records over the threshold and sample uniques, per ARX."""
    n = len(sizes)
    if n == 0:
        raise ValueError("the table has no records: risk is undefined")
    f = sizes.to_numpy(dtype=np.float64)
    per_record = 1.0 / f
    n_classes = float(np.sum(per_record))  # each class of size f contributes f * 1/f = 1
    return {
        "records": n,
        "classes": int(round(n_classes)),
        "k": int(f.min()),
        "prosecutor_max": float(per_record.max()),
        "prosecutor_avg": n_classes / n,
        "marketer": n_classes / n,
        "records_at_risk": int(np.sum(per_record > threshold)),
        "records_at_risk_fraction": float(np.mean(per_record > threshold)),
        "sample_uniques": int(np.sum(f == 1)),
        "sample_uniques_fraction": float(np.mean(f == 1)),
    }


def journalist_risks(
    sample: pd.DataFrame,
    quasi_identifiers: Iterable[str],
    *,
    population: pd.DataFrame | None = None,
    population_size: int | None = None,
    threshold: float = 1.0,
) -> dict[str, Any] | None:
    """Journalist and marketer risk against a population table, or estimated from a population size.

    With a population table, F is the size of each record's class in it (the sample's classes must occur there).
    With only a size N, F is estimated as f * N / n (uniform sampling), which is the usual approximation.
    """
    qis = list(quasi_identifiers)
    f = class_sizes(sample, qis).to_numpy(dtype=np.float64)
    if population is not None:
        pop_keys = population[qis].astype("string").fillna("\x00<NA>")
        counts = pop_keys.value_counts(dropna=False)
        keys = sample[qis].astype("string").fillna("\x00<NA>")
        index = pd.MultiIndex.from_frame(keys) if len(qis) > 1 else pd.Index(keys[qis[0]])
        big_f = counts.reindex(index).to_numpy(dtype=np.float64)
        big_f = np.where(np.isnan(big_f), f, np.maximum(big_f, f))  # a class absent from the population: itself
        source = "population table"
    elif population_size:
        if population_size < len(sample):
            raise ValueError(f"population size {population_size} is smaller than the sample ({len(sample)} records)")
        big_f = f * population_size / len(sample)
        source = "population size (F estimated as f*N/n)"
    else:
        return None
    per_record = 1.0 / big_f
    return {
        "source": source,
        "journalist_max": float(per_record.max()),
        "journalist_avg": float(per_record.mean()),
        "marketer": float(per_record.mean()),  # (1/n) * sum over classes of f/F
        "records_at_risk": int(np.sum(per_record > threshold)),
    }


def _hypergeom_one(population: int, successes: int, draws: int) -> float:
    """P(exactly one of `successes` marked items is drawn), drawing `draws` of `population` without replacement."""
    return float(stats.hypergeom.pmf(1, population, successes, draws))


def zayatz(hist: Mapping[int, int], n: int, population_size: int) -> float:
    """Zayatz (1991): estimated number of population uniques, as ARX's ModelZayatz computes it."""
    c1 = hist.get(1, 0)
    if c1 == 0:
        return 0.0
    classes = sum(hist.values())
    total = sum(count / classes * _hypergeom_one(population_size, size, n) for size, count in hist.items())
    conditional = (c1 / classes) * _hypergeom_one(population_size, 1, n) / total
    return c1 * conditional / (n / population_size)


def pitman(hist: Mapping[int, int], n: int, population_size: int) -> float:
    """Pitman sampling-formula model (Hoshino 2001): maximum-likelihood theta, alpha, then population uniques."""
    c1 = float(hist.get(1, 0))
    if c1 == 0:
        return 0.0
    c2 = float(hist.get(2, 0)) or 1.0
    u = float(sum(hist.values()))
    c = c1 * (c1 - 1) / c2
    t0 = (n * u * c - c1 * (n - 1) * (2 * u + c)) / (2 * c1 * u + c1 * c - n * c)
    a0 = (t0 * (c1 - n) + (n - 1) * c1) / (n * u)
    sizes = np.array([s for s in hist if s != 1], dtype=np.float64)
    counts = np.array([hist[int(s)] for s in sizes], dtype=np.float64)

    def equations(x: np.ndarray) -> list[float]:
        t, a = x
        o1 = (special.digamma(u - 1 + t / a + 1) - special.digamma(t / a + 1)) / a
        o3 = (-t * special.digamma(u - 1 + t / a + 1) + a * (u - 1) + t * special.digamma(t / a + 1)) / (a * a)
        o2 = special.digamma(n + t) - special.digamma(t + 1)
        o4 = float(np.sum(counts * (special.digamma(sizes - a) - special.digamma(1 - a))))
        return [o1 - o2, o3 - o4]

    solution, _, ok, _ = optimize.fsolve(equations, [t0, a0], full_output=True, xtol=1e-10)
    t, a = (float(v) for v in solution)
    if ok != 1 or not (0 < a < 1) or t <= -a or not math.isfinite(t):
        return float("nan")
    value = math.exp(special.gammaln(t + 1) - special.gammaln(t + a) + a * math.log(population_size))
    return value if 0 <= value <= population_size else float("nan")


def _shlosser_classes(hist: Mapping[int, int], classes: float, c1: float, f: float) -> float:
    """Shlosser's estimate of the number of non-empty population classes, as ARX's ModelSNB writes it."""
    v1 = v2 = v3 = v4 = 0.0
    f2 = f * f
    for size, count in hist.items():
        damp = (1 - f) ** size * count
        v1 += size * f2 * (1 - f2) ** (size - 1) * count
        v2 += damp * (1 + f) ** size - 1
        v3 += damp
        v4 += size * f * (1 - f) ** (size - 1) * count
    return classes + c1 * (v1 / v2) * (v3 / v4) ** 2


def snb(hist: Mapping[int, int], n: int, population_size: int) -> float:
    """Slide negative binomial model (Chen and Keller-McNulty 1998), with ARX's equations for alpha and beta."""
    c1 = float(hist.get(1, 0))
    if c1 == 0:
        return 0.0
    c2 = float(hist.get(2, 0))
    f = n / population_size
    k = _shlosser_classes(hist, float(sum(hist.values())), c1, f)

    def equations(x: np.ndarray) -> list[float]:
        a, b = x
        d = (1 - f) * (1 - b)
        e1 = k * f * (b / (1 - d)) ** a * (a * d / (1 - d) + 1) - c1
        e2 = k * a * b**a * f * f * (1 - b) / 2 * (1 - d) ** (a + 2) * (2 - (1 - a) * d) - c2
        return [e1, e2]

    # Like ARX's solver, try several starting points and keep the first root that gives a valid estimate.
    for start in [(a0, b0) for a0 in (1.0, 0.5, 2.0, 0.1, 5.0) for b0 in (0.5, 0.1, 0.9, 0.3, 0.7)]:
        with np.errstate(all="ignore"):
            solution, _, ok, _ = optimize.fsolve(equations, start, full_output=True, xtol=1e-10)
        a, b = (float(v) for v in solution)
        if ok != 1 or not (0 < b < 1) or a <= 0:
            continue
        value = k * b**a
        if math.isfinite(value) and 0 <= value <= population_size:
            return value
    return float("nan")


def population_uniqueness(hist: Mapping[int, int], n: int, population_size: int) -> dict[str, Any]:
    """Estimated population uniques (fraction of the population) by Zayatz, Pitman, SNB and Dankar's rule."""
    if population_size < n:
        raise ValueError(f"population size {population_size} is smaller than the sample ({n} records)")
    fraction = n / population_size
    if hist.get(1, 0) == 0:
        return {"sampling_fraction": fraction, "zayatz": 0.0, "pitman": 0.0, "snb": 0.0, "dankar": 0.0,
                "dankar_model": "none (no sample uniques)"}
    with np.errstate(all="ignore"):
        estimates = {"zayatz": zayatz(hist, n, population_size), "pitman": pitman(hist, n, population_size),
                     "snb": snb(hist, n, population_size)}

    def valid(v: float) -> bool:
        return math.isfinite(v) and v != 0

    # Dankar et al. (2012), as ARX applies it: Pitman for small sampling fractions, else the smaller of SNB and Zayatz.
    if fraction <= 0.1:
        model = "pitman" if valid(estimates["pitman"]) else "zayatz"
    elif valid(estimates["snb"]):
        model = "zayatz" if estimates["zayatz"] < estimates["snb"] else "snb"
    else:
        model = "zayatz"
    result: dict[str, Any] = {"sampling_fraction": fraction}
    for name, value in estimates.items():
        result[name] = value / population_size if valid(value) else None
    result["dankar"] = result[model]
    result["dankar_model"] = model
    return result


def assess(
    table: pd.DataFrame,
    quasi_identifiers: Iterable[str],
    thresholds: Thresholds,
    *,
    population: pd.DataFrame | None = None,
    population_size: int | None = None,
) -> dict[str, Any]:
    """Every table-level re-identification measure, plus the checks the gate applies (k and highest risk)."""
    qis = list(quasi_identifiers)
    sizes = class_sizes(table, qis)
    metrics = sample_risks(sizes, thresholds.threshold)
    metrics["quasi_identifiers"] = qis
    metrics["class_size_histogram"] = {str(k): v for k, v in class_histogram(table, qis).items()}
    size = population_size if population_size else (len(population) if population is not None else None)
    journalist = journalist_risks(table, qis, population=population, population_size=size,
                                  threshold=thresholds.threshold)
    if journalist is not None:
        metrics["journalist"] = journalist
    if size:
        metrics["population_uniqueness"] = population_uniqueness(class_histogram(table, qis), len(table), int(size))
    checks = [
        {"name": f"k-anonymity: every class has at least {thresholds.k} records", "passed": metrics["k"] >= thresholds.k,
         "value": metrics["k"], "limit": thresholds.k, "higher_is_better": True,
         "detail": f"achieved k = {metrics['k']} over {len(qis)} quasi-identifiers "
                   "(required by risk.reidentification.k, which defaults to tables.privacy.k)"},
        {"name": f"prosecutor risk at most {thresholds.threshold:g}",
         "passed": metrics["prosecutor_max"] <= thresholds.threshold,
         "value": metrics["prosecutor_max"], "limit": thresholds.threshold,
         "detail": f"highest {metrics['prosecutor_max']:.4f}, average {metrics['prosecutor_avg']:.4f}, "
                   f"{metrics['records_at_risk']} records above the threshold (risk.reidentification.threshold)"},
    ]
    return {"metrics": metrics, "checks": checks}


def distinct_l(table: pd.DataFrame, quasi_identifiers: Iterable[str], sensitive: str) -> int:
    """Distinct l-diversity: the fewest distinct sensitive values in any equivalence class."""
    qis = list(quasi_identifiers)
    keys = table[qis].astype("string").fillna("\x00<NA>")
    values = table[sensitive].astype("string").fillna("\x00<NA>")
    return int(values.groupby([keys[c] for c in qis], dropna=False).nunique().min())


def risk_before(table: pd.DataFrame, quasi_identifiers: list[str], thresholds: Thresholds,
                population_size: int | None = None) -> dict[str, Any] | None:
    """The same risk measures on the input table (before generalization), for the report's before/after view.

    Only counts and risks leave this function, never a value; a table that lacks a quasi-identifier gives None."""
    if not len(table) or any(c not in table.columns for c in quasi_identifiers):
        return None
    metrics = sample_risks(class_sizes(table, quasi_identifiers), thresholds.threshold)
    metrics["class_size_histogram"] = {str(k): v for k, v in class_histogram(table, quasi_identifiers).items()}
    if population_size and population_size >= len(table):
        journalist = journalist_risks(table, quasi_identifiers, population_size=int(population_size),
                                      threshold=thresholds.threshold)
        if journalist is not None:
            metrics["journalist"] = journalist
    return metrics


def value_loss(before: pd.DataFrame, after: pd.DataFrame, quasi_identifiers: list[str]) -> dict[str, dict]:
    """Per quasi-identifier: distinct values in the input and in the release, and the share of released cells
    generalized to `*` (nothing left). Counts only, never a value."""
    out = {}
    for column in quasi_identifiers:
        released = after[column].astype("string")
        out[column] = {"distinct_before": int(before[column].nunique(dropna=True)),
                       "distinct_after": int(released[released != "*"].nunique(dropna=True)),
                       "suppressed_fraction": float((released == "*").mean()) if len(released) else 0.0}
    return out


def tables_section(tables: Mapping[str, pd.DataFrame], quasi_identifiers: list[str], sensitive: list[str],
                   cfg: Mapping[str, Any], population: pd.DataFrame | None = None,
                   originals: Mapping[str, pd.DataFrame] | None = None) -> dict[str, Any]:
    """The `tables` risk section: each released table that holds the quasi-identifiers, assessed and gated
    (with the same measures on its input table under `before`, when `originals` gives it)."""
    thresholds = Thresholds.from_config(cfg)
    section: dict[str, Any] = {"section": "reidentification", "title": "Re-identification risk of released tables",
                               "metrics": {"thresholds": {"threshold": thresholds.threshold, "k": thresholds.k,
                                                          "preset": cfg.get("preset")}},
                               "checks": [], "tables": []}
    assessed = 0
    for name, table in sorted(tables.items()):
        if not quasi_identifiers or any(c not in table.columns for c in quasi_identifiers):
            continue
        assessed += 1
        result = assess(table, quasi_identifiers, thresholds, population=population,
                        population_size=cfg.get("population_size"))
        metrics = result["metrics"]
        for column in sensitive:
            if column in table.columns:
                metrics.setdefault("distinct_l", {})[column] = distinct_l(table, quasi_identifiers, column)
        if originals and name in originals:
            before = risk_before(originals[name], quasi_identifiers, thresholds, cfg.get("population_size"))
            if before is not None:
                metrics["before"] = before
                metrics["information_loss"] = value_loss(originals[name], table, quasi_identifiers)
        section["metrics"][name] = metrics
        section["checks"] += [{**c, "name": f"{name}: {c['name']}"} for c in result["checks"]]
        section["tables"].append({"title": f"{name}: equivalence class sizes",
                                  "rows": [{"class size": k, "classes": v}
                                           for k, v in metrics["class_size_histogram"].items()]})
    if not assessed:
        section["checks"].append({"name": "released tables assessed", "passed": not quasi_identifiers,
                                  "detail": "no released table holds every quasi-identifier "
                                            f"{quasi_identifiers}" if quasi_identifiers else
                                            "no quasi-identifiers declared: nothing to assess"})
    return section
