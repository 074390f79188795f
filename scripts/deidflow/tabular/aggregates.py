"""Differentially private aggregates of participants.tsv, an alternative (or an addition) to releasing its rows:
noisy counts per group, histograms of a categorical column per group, and means of a numeric column per group, each
through OpenDP's Laplace samplers and charged to the release ledger.

Each person is one row of participants.tsv, so under add/remove-one-person neighbours a vector of disjoint counts
moves by at most 1 in L1 (Laplace scale 1/epsilon), and a vector of per-group sums of values clamped to [lower, upper]
moves by at most max(|lower|, |upper|). A mean spends half its epsilon on the sums and half on the counts and
releases their ratio (post-processing). Group keys (and histogram categories) must be declared in the config: keys
read from the data would reveal which values occur, which the noise does not cover. Values outside the declared keys
fall in no group.

The noisy results are kept in the release ledger under a digest of the query and the data: a rerun on the same data
releases the same numbers without spending again; changed data draws afresh and charges every person again.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from typing import Any, Mapping, Sequence

import numpy as np
import opendp.prelude as dp
import pandas as pd

from .noise import BudgetError, NoiseStore

dp.enable_features("contrib")
KINDS = ("count", "histogram", "mean")


def _laplace_int(values: np.ndarray, scale: float) -> np.ndarray:
    meas = dp.m.make_laplace(dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int), scale=scale)
    return np.asarray(meas([int(v) for v in values]), dtype=float)


def _laplace_float(values: np.ndarray, scale: float) -> np.ndarray:
    meas = dp.m.make_laplace(dp.vector_domain(dp.atom_domain(T=float, nan=False)), dp.l1_distance(T=float),
                             scale=scale)
    return np.asarray(meas([float(v) for v in values]), dtype=float)


def check_query(query: Mapping[str, Any], table: pd.DataFrame, table_name: str) -> None:
    """Refuse a query that names unknown columns, undeclared keys or bounds, or no epsilon (the message names it)."""
    name = query.get("name", "?")
    where = f"{table_name}: tables.aggregates {name!r}"
    if query.get("kind") not in KINDS:
        raise BudgetError(f"{where}: kind {query.get('kind')!r}: use one of {', '.join(KINDS)}")
    if not query.get("epsilon") or float(query["epsilon"]) <= 0:
        raise BudgetError(f"{where}: set epsilon > 0")
    groups = query.get("groups") or {}
    for column in [*groups, *([query["column"]] if query.get("column") else [])]:
        if column not in table.columns:
            raise BudgetError(f"{where}: column {column!r} is not in the table")
    for column, keys in groups.items():
        if not keys:
            raise BudgetError(f"{where}: declare the keys of group column {column!r} (groups: {{{column}: [...]}}); "
                              "keys read from the data would reveal which values occur")
    if query["kind"] in ("histogram", "mean") and not query.get("column"):
        raise BudgetError(f"{where}: a {query['kind']} needs 'column'")
    if query["kind"] == "histogram" and not query.get("categories"):
        raise BudgetError(f"{where}: declare the histogram's categories")
    if query["kind"] == "mean" and (query.get("lower") is None or query.get("upper") is None
                                    or float(query["upper"]) <= float(query["lower"])):
        raise BudgetError(f"{where}: a mean needs bounds lower < upper")


def _cells(query: Mapping[str, Any]) -> list[tuple[str, ...]]:
    groups = query.get("groups") or {}
    keys = [tuple(str(v) for v in values) for values in groups.values()]
    if query["kind"] == "histogram":
        keys.append(tuple(str(v) for v in query["categories"]))
    return list(itertools.product(*keys)) if keys else [()]


def compute(table: pd.DataFrame, query: Mapping[str, Any]) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The noisy aggregate (one row per declared cell) and its description."""
    groups = list((query.get("groups") or {}).keys())
    columns = groups + ([query["column"]] if query["kind"] == "histogram" else [])
    cells = _cells(query)
    epsilon = float(query["epsilon"])
    text = table[columns].astype("string").fillna("\x00") if columns else pd.DataFrame(index=table.index)
    index = {cell: i for i, cell in enumerate(cells)}
    where = (np.array([index.get(tuple(r), -1) for r in text.itertuples(index=False)], dtype=int) if columns
             else np.zeros(len(table), dtype=int))
    inside = where >= 0
    counts = np.bincount(where[inside], minlength=len(cells))
    out = pd.DataFrame(cells, columns=columns) if columns else pd.DataFrame(index=[0])
    info: dict[str, Any] = {"kind": query["kind"], "epsilon": epsilon, "mechanism": "laplace (OpenDP)",
                            "groups": {g: [str(v) for v in query["groups"][g]] for g in groups},
                            "records_outside_declared_keys": "not released (would disclose)"}
    if query["kind"] in ("count", "histogram"):
        scale = 1.0 / epsilon
        out["count"] = np.maximum(np.round(_laplace_int(counts, scale)), 0).astype(int)
        info["scale"] = scale
    else:
        lower, upper = float(query["lower"]), float(query["upper"])
        values = np.clip(pd.to_numeric(table[query["column"]], errors="coerce").to_numpy(dtype=float), lower, upper)
        present = inside & ~np.isnan(values)
        sums = np.bincount(where[present], weights=values[present], minlength=len(cells))
        n = np.bincount(where[present], minlength=len(cells))
        sum_scale = max(abs(lower), abs(upper)) / (epsilon / 2)
        count_scale = 1.0 / (epsilon / 2)
        noisy_sum = _laplace_float(sums, sum_scale)
        noisy_n = np.maximum(_laplace_int(n, count_scale), 1.0)
        decimals = int(query.get("decimals", 2))
        out["mean"] = np.round(np.clip(noisy_sum / noisy_n, lower, upper), decimals)
        out["count"] = np.maximum(np.round(noisy_n), 0).astype(int)
        info.update({"column": query["column"], "lower": lower, "upper": upper, "sum_scale": sum_scale,
                     "count_scale": count_scale, "split": "epsilon/2 on the sums, epsilon/2 on the counts"})
    if query["kind"] == "histogram":
        info["column"] = query["column"]
        info["categories"] = [str(v) for v in query["categories"]]
    return out, info


def release_aggregates(table: pd.DataFrame, queries: Sequence[Mapping[str, Any]], persons: Sequence[str],
                       store: NoiseStore, table_name: str) -> dict[str, tuple[pd.DataFrame, dict[str, Any]]]:
    """Every configured aggregate, reused from the ledger when query and data are unchanged, else drawn and charged
    to every person in the table."""
    out = {}
    names = [q.get("name") for q in queries]
    if len(set(names)) != len(names) or not all(isinstance(n, str) and n.isidentifier() for n in names):
        raise BudgetError(f"{table_name}: tables.aggregates need distinct names made of letters, digits and _")
    for query in queries:
        check_query(query, table, table_name)
        used = sorted({*(query.get("groups") or {}), *([query["column"]] if query.get("column") else [])})
        data = json.dumps([table[c].astype("string").fillna("").tolist() for c in used] + [list(persons)])
        settings = {"mechanism": f"aggregate:{query['kind']}", "epsilon": float(query["epsilon"]), "delta": 0.0,
                    "query": json.loads(json.dumps(dict(query), default=str))}
        entry = store.column(table_name, f"aggregate:{query['name']}", settings)
        digest = hashlib.sha256(data.encode()).hexdigest()
        kept = entry["draws"].get("_aggregate")
        store.cover(table_name, f"aggregate:{query['name']}", list(persons))
        if kept is not None and kept.get("value") == digest:
            frame = pd.DataFrame(kept["released"]["rows"], columns=kept["released"]["columns"])
            out[query["name"]] = (frame, kept["released"]["info"])
            continue
        frame, info = compute(table, query)
        entry["draws"]["_aggregate"] = {"value": digest, "released": {
            "columns": list(frame.columns), "rows": frame.astype(object).values.tolist(), "info": info}}
        for person in persons:
            store.charge(table_name, f"aggregate:{query['name']}", person, float(query["epsilon"]), 0.0)
        out[query["name"]] = (frame, info)
    return out
