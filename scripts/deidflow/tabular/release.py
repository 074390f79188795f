"""Apply a table's column roles, run the privacy search on participants.tsv, and describe what was released."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from ..subjects import SubjectRecord
from . import hierarchies as hz
from . import lattice, metrics, mondrian, noise, roles
from .models import PrivacyModel, achieved, contingency

STAR = hz.STAR


@dataclass
class Released:
    """A de-identified table, its column descriptions, and the figures for the summary."""

    table: pd.DataFrame
    columns: dict[str, dict[str, Any]]
    summary: dict[str, Any] = field(default_factory=dict)
    noise: list[noise.NoiseSpec] = field(default_factory=list)


def read_table(path: str | Path) -> pd.DataFrame:
    """A BIDS TSV as strings (`n/a` and empty cells are missing)."""
    path = Path(path)
    try:
        table = pd.read_csv(path, sep="\t", dtype=object, keep_default_na=False, na_values=["n/a", ""])
    except pd.errors.EmptyDataError:
        raise roles.RoleError(f"{path.name}: the table is empty") from None
    return table


def _hierarchy(name: str, options: Mapping[str, Any], values: pd.Series, base_dir: Path, table_name: str
               ) -> pd.DataFrame:
    try:
        return hz.build(options.get("hierarchy", {"type": "suppress"}), list(values.dropna().astype(str)), base_dir)
    except hz.HierarchyError as err:
        raise hz.HierarchyError(f"{table_name}: column {name!r}: {err}") from None


def release_table(table: pd.DataFrame, spec: Mapping[str, Any], cfg: Mapping[str, Any],
                  records: Mapping[str, SubjectRecord], key: bytes, table_name: str, base_dir: str | Path = ".",
                  private: bool = True, levels: Mapping[str, int] | None = None,
                  store: noise.NoiseStore | None = None) -> Released:
    """De-identify one table: `private` runs the privacy model (participants.tsv); otherwise quasi-identifiers are
    generalized to a fixed level (`level` in the column's config, else the level chosen for participants.tsv, else
    fully suppressed)."""
    base_dir = Path(base_dir)
    columns = roles.parse_roles(table, spec, table_name)
    out = pd.DataFrame(index=table.index)
    described: dict[str, dict[str, Any]] = {}
    summary: dict[str, Any] = {"table": table_name, "rows_in": int(len(table))}
    shifts = None
    if "participant_id" in table.columns and columns["participant_id"].role == "pseudonym":
        pseudo, shifts = roles.subject_lookup(table["participant_id"], records, table_name)
    quasi = {n: c for n, c in columns.items() if c.role == "quasi"}
    sensitive = [n for n, c in columns.items() if c.role == "sensitive"]
    summary["quasi_identifiers"], summary["sensitive_columns"] = list(quasi), sensitive
    keep_rows = np.ones(len(table), dtype=bool)
    if quasi:
        hierarchies = {n: _hierarchy(n, c.options, table[n], base_dir, table_name) for n, c in quasi.items()}
        if private:
            recoded, keep_rows, info = _private(table, hierarchies, sensitive, cfg, table_name)
            summary.update(info)
        else:
            problem = lattice.encode(table, hierarchies, None, table_name)
            node = []
            for i, n in enumerate(problem.names):
                level = quasi[n].options.get("level", (levels or {}).get(n, problem.heights[i]))
                node.append(min(int(level), problem.heights[i]))
            recoded = lattice.recode(problem, node)
            summary["levels"] = dict(zip(problem.names, node))
        chosen = summary.get("levels")
        for n in quasi:
            out[n] = recoded[n]
            described[n] = {"Description": "quasi-identifier, generalized",
                            "Generalization": chosen.get(n) if isinstance(chosen, dict) else "mondrian"}
    specs = []
    for name, column in columns.items():
        options, role = column.options, column.role
        if role in ("drop", "quasi"):
            continue
        values = table[name]
        if role == "pseudonym":
            if name != "participant_id":
                raise roles.RoleError(f"{table_name}: column {name!r}: role pseudonym applies to participant_id")
            out[name] = pseudo
        elif role == "hash":
            out[name] = roles.keyed_hash(values, key, int(options.get("length", cfg.get("hash_length", 16))))
        elif role == "mask":
            out[name] = roles.mask(values, int(options.get("keep_last", 4)))
        elif role == "date":
            out[name] = roles.dates(values, options, shifts, name, table_name)
        elif role == "bucket":
            out[name] = roles.bucket(values, key, options.get("buckets"), name, table_name)
        elif role == "noise":
            spec_ = noise.NoiseSpec.from_config(name, options)
            out[name], scale = noise.add_noise(values, spec_, table_name, store)
            specs.append(spec_)
            options = {**options, "scale": scale}
        else:  # keep, sensitive
            out[name] = values
        described[name] = {"Description": f"role {role}", **{k: v for k, v in options.items()
                                                               if k in ("keep_last", "truncate", "shift", "buckets",
                                                                        "mechanism", "epsilon", "delta", "lower",
                                                                        "upper", "scale")}}
    order = [c for c in table.columns if c in out.columns]
    released = out.loc[keep_rows, order].reset_index(drop=True)
    summary["rows_out"] = int(len(released))
    summary["dropped_columns"] = [n for n, c in columns.items() if c.role == "drop"]
    return Released(released, {c: described[c] for c in order}, summary, specs)


def _private(table: pd.DataFrame, hierarchies: Mapping[str, pd.DataFrame], sensitive: list[str],
             cfg: Mapping[str, Any], table_name: str) -> tuple[dict[str, np.ndarray], np.ndarray, dict[str, Any]]:
    """Run the configured search; suppressed rows get `*` in every quasi-identifier, or are dropped."""
    privacy = cfg.get("privacy", {})
    model = PrivacyModel.from_config(privacy)
    target = privacy.get("sensitive") or (sensitive[0] if sensitive else None)
    if model.needs_sensitive and target is None:
        raise roles.RoleError(f"{table_name}: l-diversity / t-closeness need a column with role sensitive "
                              "(or tables.privacy.sensitive)")
    problem = lattice.encode(table, hierarchies, target if model.needs_sensitive else None, table_name)
    if model.k > problem.n:
        raise lattice.PrivacyError(f"{table_name}: k = {model.k} is larger than the table ({problem.n} rows)")
    method = cfg.get("search", "optimal")
    metric = cfg.get("metric", "loss")
    started = time.perf_counter()
    info: dict[str, Any] = {"search": method, "metric": metric, "model": model.__dict__.copy()}
    if method == "mondrian":
        result = mondrian.partition(problem, model)
        recoded = mondrian.recode(problem, result)
        row_class = result.part[problem.rows]
        passed = result.passed[row_class]
        info["levels"] = "mondrian (per partition)"
        loss = result.score
        precision = None
    elif method == "optimal":
        found = lattice.search(problem, model, metric)
        best = found.best
        recoded = lattice.recode(problem, best.node)
        row_class = best.classes[problem.rows]
        passed = best.passed[row_class]
        info["levels"] = dict(zip(problem.names, best.node))
        info["lattice"] = {"nodes": found.nodes, "checked": found.checked}
        loss = lattice.evaluate(problem, model, best.node, "loss").score
        precision = lattice.evaluate(problem, model, best.node, "precision").score
    else:
        raise lattice.PrivacyError(f"tables.search = {method!r}: use optimal or mondrian")
    info["seconds"] = round(time.perf_counter() - started, 3)
    suppressed = ~passed
    drop = privacy.get("suppressed_rows", "star") == "drop"
    for name in recoded:
        recoded[name] = np.where(suppressed, STAR, recoded[name]).astype(object)
    keep_rows = ~suppressed if drop else np.ones(len(table), dtype=bool)
    kept = ~suppressed
    inverse = pd.factorize(row_class[kept])[0]
    counts = np.bincount(inverse)
    table_s = overall = None
    if target is not None and target in table.columns:
        values = table[target].astype(str).to_numpy()
        uniques = sorted(set(values), key=float) if hz.is_numeric_like(list(set(values))) else sorted(set(values))
        codes = pd.Index(uniques).get_indexer(values)
        table_s = contingency(inverse, len(counts), codes[kept], len(uniques))
        overall = np.bincount(codes, minlength=len(uniques))
    info["achieved"] = achieved(counts, table_s, overall, int(model.l or 2))
    info["suppressed_rows"] = int(suppressed.sum())
    info["suppressed_handling"] = "dropped" if drop else "kept with * in every quasi-identifier"
    info["sensitive"] = target
    info["utility"] = metrics.utility(counts, int(suppressed.sum()), problem.n, model.k, loss, precision)
    return recoded, keep_rows, info


def risk_section(summary: Mapping[str, Any], cfg: Mapping[str, Any]) -> dict[str, Any]:
    """The `tables` risk section: achieved figures as metrics, one check per configured requirement."""
    privacy = cfg.get("privacy", {})
    main = summary.get("participants", {})
    got = main.get("achieved", {})
    checks = []
    if "achieved" in main:
        k = got.get("k")
        checks.append({"name": "tables: k-anonymity", "passed": k is not None and k >= privacy.get("k", 1),
                       "value": k, "limit": privacy.get("k", 1), "higher_is_better": True,
                       "detail": f"participants.tsv: smallest class {k}, required {privacy.get('k', 1)}"})
        if privacy.get("l") is not None:
            kind = privacy.get("l_kind", "distinct")
            value = {"distinct": got.get("l_distinct"), "entropy": got.get("l_entropy")}.get(kind)
            if kind == "recursive":
                ok = got.get("c_recursive") is not None and got["c_recursive"] < privacy.get("c", 0)
                detail = f"largest r1/tail {got.get('c_recursive')}, required < c = {privacy.get('c')}"
            else:
                ok = value is not None and value >= privacy["l"] - 1e-9
                detail = f"{kind} l = {value}, required {privacy['l']}"
            checks.append({"name": f"tables: {kind} l-diversity", "passed": bool(ok), "detail": detail,
                           **({"value": value, "limit": privacy["l"], "higher_is_better": True}
                              if kind != "recursive" and value is not None else {})})
        if privacy.get("t") is not None:
            value = got.get(f"t_{privacy.get('t_kind', 'equal')}")
            checks.append({"name": "tables: t-closeness", "passed": value is not None and value <= privacy["t"] + 1e-9,
                           **({"value": value, "limit": privacy["t"]} if value is not None else {}),
                           "detail": f"largest distance {value}, allowed {privacy['t']}"})
        limit = int(np.floor(privacy.get("suppression", 0) * main.get("rows_in", 0) + 1e-9))
        checks.append({"name": "tables: suppression limit", "passed": main.get("suppressed_rows", 0) <= limit,
                       "value": main.get("suppressed_rows", 0), "limit": limit,
                       "detail": f"{main.get('suppressed_rows', 0)} rows suppressed, limit {limit}"})
    budget = cfg.get("noise_budget", {}) or {}
    spent = summary.get("epsilon_spent", 0.0)
    if budget.get("epsilon") is not None:
        checks.append({"name": "tables: DP budget", "passed": spent <= budget["epsilon"] + 1e-12,
                       "value": spent, "limit": budget["epsilon"],
                       "detail": f"epsilon spent {spent:g}, budget {budget['epsilon']:g}"})
    return {"section": "tables_privacy", "title": "Tables: k-anonymity, l-diversity, t-closeness, DP noise",
            "metrics": {"achieved": got, "suppressed_rows": main.get("suppressed_rows"),
                        "levels": main.get("levels"), "utility": main.get("utility"), "epsilon_spent": spent},
            "checks": checks, "figures": [], "tables": []}


def release_study(tables: list[str | Path], bids_dir: str | Path, cfg: Mapping[str, Any],
                  records: Mapping[str, SubjectRecord], key: bytes, writer: Any, base_dir: str | Path = ".",
                  noise_store: noise.NoiseStore | None = None) -> dict[str, Any]:
    """De-identify participants.tsv (privacy model) and phenotype/*.tsv (roles) into a PartWriter; the summary
    (with the quasi-identifier and sensitive columns of participants.tsv, which the risk and synth steps read)."""
    bids_dir = Path(bids_dir)
    paths = {Path(p).relative_to(bids_dir).as_posix(): Path(p) for p in tables if str(p).endswith(".tsv")}
    summary: dict[str, Any] = {"tables": {}}
    budget = cfg.get("noise_budget") or {}
    planned = [noise.NoiseSpec.from_config(name, opts) for table_spec in
               [cfg.get("participants") or {}, *(cfg.get("phenotype") or {}).values()]
               for name, opts in (table_spec or {}).items() if isinstance(opts, Mapping) and opts.get("role") == "noise"]
    noise.check_budget(planned, budget.get("epsilon"), budget.get("delta"))  # before any noise is drawn
    specs: list[noise.NoiseSpec] = []
    levels: dict[str, int] = {}
    order = sorted(paths, key=lambda rel: (rel != "participants.tsv", rel))
    for rel in order:
        if rel == "participants.tsv":
            spec = cfg.get("participants")
        elif rel.startswith("phenotype/"):
            spec = (cfg.get("phenotype") or {}).get(Path(rel).stem)
        else:
            spec = None
        if not spec:
            raise roles.RoleError(f"{rel}: no column roles configured (tables.participants or "
                                  f"tables.phenotype.{Path(rel).stem}); every table and column needs them")
        result = release_table(read_table(paths[rel]), spec, cfg, records, key, rel, base_dir,
                               private=rel == "participants.tsv", levels=levels, store=noise_store)
        if rel == "participants.tsv" and isinstance(result.summary.get("levels"), dict):
            levels = result.summary["levels"]
        specs.extend(result.noise)
        summary["tables"][rel] = result.summary
        result.table.to_csv(writer.path(rel), sep="\t", index=False, na_rep="n/a", lineterminator="\n")
        sidecar = rel[:-4] + ".json"
        writer.path(sidecar).write_text(json.dumps(result.columns, indent=2, sort_keys=True, default=str) + "\n")
        if cfg.get("parquet", False):
            result.table.astype("string").to_parquet(writer.path(rel[:-4] + ".parquet"), index=False)
    epsilon, delta = noise.check_budget(specs, budget.get("epsilon"), budget.get("delta"))
    summary["epsilon_spent"] = epsilon
    summary["delta_spent"] = delta
    summary["participants"] = summary["tables"].get("participants.tsv", {})
    summary["quasi_identifiers"] = summary["participants"].get("quasi_identifiers", [])
    summary["sensitive"] = summary["participants"].get("sensitive_columns", [])
    if noise_store is not None:
        noise_store.save()
    writer.risk(risk_section(summary, cfg))
    return summary
