"""Cell-level protection of participants.tsv (`tables.privacy.method`): local suppression, or MDAV microaggregation of
the numeric quasi-identifiers followed by local suppression of the categorical ones, reaching k-anonymity and, with
`privacy.l`, l-diversity of the sensitive column (the suppression step checks each class it forms for both); and the
record-level risk figures (Benedetti-Franconi individual risk, SUDA) that every method reports."""

from __future__ import annotations

import time
from typing import Any, Mapping

import numpy as np
import pandas as pd

from . import lattice, metrics, microaggregation, risk, suppression
from .models import PrivacyError, PrivacyModel, achieved, contingency
from .roles import Column, RoleError

METHODS = ("recoding", "local_suppression", "microaggregation")
SUDA_MAX_ROWS = 200_000


def numeric_quasi(quasi: Mapping[str, Column]) -> list[str]:
    """Quasi-identifiers microaggregation averages: `microaggregate: true`, or an intervals hierarchy unless false."""
    def numeric(c: Column) -> bool:
        return bool(c.options.get("microaggregate", (c.options.get("hierarchy") or {}).get("type") == "intervals"))

    return [n for n, c in quasi.items() if numeric(c)]


def protect(table: pd.DataFrame, quasi: Mapping[str, Column], hierarchies: Mapping[str, pd.DataFrame],
            sensitive: list[str], cfg: Mapping[str, Any], table_name: str
            ) -> tuple[dict[str, np.ndarray], np.ndarray, dict[str, Any]]:
    """Apply the cell-level method; returns the released quasi-identifier columns, the rows kept, and the summary."""
    privacy = cfg.get("privacy", {})
    method = privacy.get("method", "recoding")
    model = PrivacyModel.from_config(privacy)
    if model.t is not None:
        raise PrivacyError(f"{table_name}: tables.privacy.method {method} reaches k-anonymity and l-diversity; "
                           "t-closeness needs method recoding (or drop privacy.t)")
    target = privacy.get("sensitive") or (sensitive[0] if sensitive else None)
    if model.l is not None and (target is None or target not in table.columns):
        raise RoleError(f"{table_name}: l-diversity needs a column with role sensitive (or tables.privacy.sensitive)")
    if model.k > len(table):
        raise PrivacyError(f"{table_name}: k = {model.k} is larger than the table ({len(table)} rows)")
    started = time.perf_counter()
    problem = lattice.encode(table, hierarchies, None, table_name)
    node = [min(int(quasi[n].options.get("level", 0)), h) for n, h in zip(problem.names, problem.heights)]
    recoded = pd.DataFrame(lattice.recode(problem, node), index=table.index).astype(object)
    info: dict[str, Any] = {"search": method, "model": model.__dict__.copy(), "levels": dict(zip(problem.names, node))}
    importance = {n: float(c.options["importance"]) if "importance" in c.options else -float(recoded[n].nunique())
                  for n, c in quasi.items()}
    allowed = list(quasi)
    loss = np.zeros((len(table), len(quasi)))
    if method == "microaggregation":
        numeric = numeric_quasi(quasi)
        if not numeric:
            raise RoleError(f"{table_name}: tables.privacy.method microaggregation needs a numeric quasi-identifier "
                            "(an intervals hierarchy or microaggregate: true)")
        aggregated = microaggregation.mdav(table, numeric, model.k, privacy.get("decimals", 1), table_name)
        for n in numeric:
            recoded[n] = aggregated.table[n].to_numpy(dtype=object)
            x = pd.to_numeric(table[n]).to_numpy(dtype=float)
            span = x.max() - x.min()
            loss[:, list(quasi).index(n)] = np.abs(x - pd.to_numeric(recoded[n]).to_numpy()) / (span or 1.0)
        info["microaggregated"] = {"columns": numeric, "groups": int(aggregated.groups.max() + 1),
                                   "sse_sst": round(aggregated.sse_sst, 6)}
        allowed = [n for n in quasi if n not in numeric]
    elif method != "local_suppression":
        raise PrivacyError(f"tables.privacy.method = {method!r}: use one of {', '.join(METHODS)}")
    try:
        result = suppression.local_suppression(
            recoded, list(quasi), model.k, importance, allowed,
            table[target].astype(str).tolist() if model.l is not None else None, model if model.l is not None else None)
    except suppression.SuppressionError as exc:
        where = f"column {target!r} (sensitive): " if model.l is not None else ""
        raise PrivacyError(f"{table_name}: {where}{exc}") from exc
    out = result.table
    drop = privacy.get("suppressed_rows", "star") == "drop"
    full = (out[list(quasi)] == suppression.STAR).all(axis=1).to_numpy()
    keep_rows = ~full if drop else np.ones(len(table), dtype=bool)
    info["seconds"] = round(time.perf_counter() - started, 3)
    info["suppressed_cells"] = result.count
    info["suppressed_cells_per_column"] = result.per_column(list(quasi))
    info["suppressed_rows"] = int(full.sum())
    info["suppressed_handling"] = "dropped" if drop else "kept with * in every quasi-identifier"
    kept = out.loc[keep_rows, list(quasi)]
    counts = kept.astype("string").value_counts(dropna=False).to_numpy()
    table_s = overall = None
    if target is not None and target in table.columns:
        inverse = risk.keys(kept, list(quasi))
        values = table.loc[keep_rows, target].astype(str).to_numpy()
        uniques = sorted(set(table[target].astype(str)))
        codes = pd.Index(uniques).get_indexer(values)
        table_s = contingency(inverse, int(inverse.max()) + 1, codes, len(uniques))
        overall = np.bincount(pd.Index(uniques).get_indexer(table[target].astype(str)), minlength=len(uniques))
    info["achieved"] = achieved(np.asarray(counts), table_s, overall, int(model.l or 2))
    info["sensitive"] = target
    generalized = [np.asarray(problem.leaf_loss[i][node[i]])[problem.leaf[i][problem.rows]]
                   for i in range(len(problem.names))]
    for i, n in enumerate(problem.names):
        j = list(quasi).index(n)
        if n not in info.get("microaggregated", {}).get("columns", []):
            loss[:, j] = generalized[i]
    loss[out[list(quasi)].to_numpy() == suppression.STAR] = 1.0
    info["utility"] = metrics.utility(np.asarray(counts), info["suppressed_rows"], len(table), model.k,
                                      float(loss.mean()), None)
    info["utility"]["suppressed_cells"] = info["suppressed_cells"]
    return {n: out[n].to_numpy(dtype=object) for n in quasi}, keep_rows, info


def record_risk(released: pd.DataFrame, quasi: list[str], privacy: Mapping[str, Any], weights: Any,
                table_name: str) -> dict[str, Any]:
    """Benedetti-Franconi individual risk (with the sampling weights) and SUDA figures of the released records."""
    if not quasi or not len(released):
        return {}
    rows = released[quasi].astype("string")
    individual = risk.individual_risk(rows, quasi, weights)
    out: dict[str, Any] = {"individual": risk.individual_section(individual, privacy.get("risk_threshold"))}
    if len(rows) > SUDA_MAX_ROWS:  # one group-by per subset of up to max_msu columns: costly on large tables
        out["suda"] = {"skipped": f"more than {SUDA_MAX_ROWS} records"}
        return out
    scores = risk.suda(rows, quasi, privacy.get("suda_max_msu", 3))
    out["suda"] = {"special_uniques": int(scores["special_unique"].sum()),
                   "records_with_msu": int((scores["msus"] > 0).sum()),
                   "max_score": float(scores["score"].max()), "max_msu": privacy.get("suda_max_msu", 3)}
    return out


def sampling_weights(table: pd.DataFrame, privacy: Mapping[str, Any], table_name: str) -> Any:
    """`tables.privacy.weights`: a column of participants.tsv (per-record weights) or one number (1 / sampling
    fraction); None means the sample is the population."""
    spec = privacy.get("weights")
    if spec is None or isinstance(spec, (int, float)):
        return spec
    if spec not in table.columns:
        raise RoleError(f"{table_name}: tables.privacy.weights names column {spec!r}, which is not in the table")
    values = pd.to_numeric(table[spec], errors="coerce")
    if values.isna().any() or (values < 1).any():
        raise RoleError(f"{table_name}: column {spec!r} (sampling weights): every row needs a number >= 1")
    return values.to_numpy(dtype=float)

