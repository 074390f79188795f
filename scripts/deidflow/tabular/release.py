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
from . import aggregates, cells, geo, lattice, metrics, mondrian, noise, pram, roles, sets
from .models import PrivacyModel, achieved, contingency

STAR = hz.STAR
# the column options a released table's JSON sidecar repeats (never anything derived from the values)
DESCRIBED = ("keep_last", "keep_first", "truncate", "shift", "buckets", "mechanism", "epsilon", "delta", "lower",
             "upper", "scale", "keep", "categories", "transition_matrix", "guarantee", "method", "cloaked_to_k",
             "km_anonymity", "sep", "cleaned_by", "cells_withheld")


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
    if isinstance(options.get("_prebuilt"), pd.DataFrame):
        return options["_prebuilt"]
    try:
        return hz.build(options.get("hierarchy", {"type": "suppress"}), list(values.dropna().astype(str)), base_dir)
    except hz.HierarchyError as err:
        raise hz.HierarchyError(f"{table_name}: column {name!r}: {err}") from None


def release_table(table: pd.DataFrame, spec: Mapping[str, Any], cfg: Mapping[str, Any],
                  records: Mapping[str, SubjectRecord], key: bytes, table_name: str, base_dir: str | Path = ".",
                  private: bool = True, levels: Mapping[str, int] | None = None,
                  store: noise.NoiseStore | None = None, text_cfg: Mapping[str, Any] | None = None,
                  languages: Mapping[str, str] | None = None) -> Released:
    """De-identify one table: `private` runs the privacy model (participants.tsv); otherwise quasi-identifiers are
    generalized to a fixed level (`level` in the column's config, else the level chosen for participants.tsv, else
    fully suppressed). `languages`: {participant_id: language code} for free-text columns (`subject_languages`)."""
    base_dir = Path(base_dir)
    columns = roles.parse_roles(table, spec, table_name)
    out = pd.DataFrame(index=table.index)
    described: dict[str, dict[str, Any]] = {}
    summary: dict[str, Any] = {"table": table_name, "rows_in": int(len(table))}
    shifts = pseudo = None
    if "participant_id" in table.columns and columns["participant_id"].role == "pseudonym":
        pseudo, shifts = roles.subject_lookup(table["participant_id"], records, table_name)
    table, columns, cloaked = _geo_columns(table, columns, cfg, table_name, summary)
    quasi = {n: c for n, c in columns.items() if c.role == "quasi"}
    sensitive = [n for n, c in columns.items() if c.role == "sensitive"]
    summary["quasi_identifiers"], summary["sensitive_columns"] = list(quasi), sensitive
    keep_rows = np.ones(len(table), dtype=bool)
    if quasi:
        hierarchies = {n: _hierarchy(n, c.options, table[n], base_dir, table_name) for n, c in quasi.items()}
        if private and cfg.get("privacy", {}).get("method", "recoding") != "recoding":
            recoded, keep_rows, info = cells.protect(table, quasi, hierarchies, sensitive, cfg, table_name)
            summary.update(info)
        elif private:
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
            if summary.get("search") in cells.METHODS[1:]:
                described[n]["Protection"] = ("microaggregated (MDAV group means)"
                                              if n in summary.get("microaggregated", {}).get("columns", [])
                                              else "local suppression (`*` marks a suppressed cell)")
    specs = []
    for name, column in columns.items():
        options, role = column.options, column.role
        if role in ("drop", "quasi") or (role == "geo" and name not in cloaked):
            continue
        values = table[name]
        if role == "pseudonym":
            if name != "participant_id":
                raise roles.RoleError(f"{table_name}: column {name!r}: role pseudonym applies to participant_id")
            out[name] = pseudo
        elif role == "hash":
            out[name] = roles.keyed_hash(values, key, int(options.get("length", cfg.get("hash_length", 16))))
        elif role == "mask":
            out[name] = roles.mask(values, int(options.get("keep_last", 4)), int(options.get("keep_first", 0)),
                                   str(options.get("char", "*")), bool(options.get("keep_separators", True)))
        elif role == "date":
            out[name] = roles.dates(values, options, shifts, name, table_name)
        elif role == "bucket":
            out[name] = roles.bucket(values, key, options.get("buckets"), name, table_name)
        elif role == "noise":
            spec_ = noise.NoiseSpec.from_config(name, options)
            out[name], scale = noise.add_noise(values, spec_, table_name, store, pseudo)
            specs.append(spec_)
            options = {**options, "scale": scale}
        elif role == "geo":
            out[name] = cloaked[name]
            options = {"method": options.get("method", "geohash"), "cloaked_to_k": summary["geo"][name]["cloaked_to_k"]}
        elif role == "set":
            sep = str(options.get("sep", ";"))
            try:
                hierarchy = sets.item_hierarchy(values, options.get("hierarchy"), sep, str(base_dir))
            except hz.HierarchyError as err:
                raise hz.HierarchyError(f"{table_name}: column {name!r} (role set): {err}") from None
            k_m = int(options.get("k", cfg.get("privacy", {}).get("k", 2)))
            done = sets.km_anonymize(values, hierarchy, k_m, int(options.get("m", 2)), sep)
            out[name] = done.values
            summary.setdefault("set_valued", {})[name] = {"k": k_m, "m": int(options.get("m", 2)),
                                                          "k_achieved": done.k_achieved,
                                                          "items_removed": done.removed,
                                                          "items_generalized": sum(v > 0 for v in done.levels.values())}
            options = {"km_anonymity": f"k={k_m}, m={int(options.get('m', 2))}", "sep": sep}
        elif role == "text":
            from . import freetext

            persons = (pseudo.astype(str).tolist() if pseudo is not None
                       else [f"{table_name}:row{i}" for i in range(len(values))])
            row_languages = ([(languages or {}).get(str(label).strip()) for label in table["participant_id"]]
                             if "participant_id" in table.columns else None)
            out[name], info = freetext.clean(values, table, options, persons,
                                             None if shifts is None else shifts.tolist(), text_cfg,
                                             table_name, name, languages=row_languages)
            summary.setdefault("free_text", {})[name] = info
            options = {"cleaned_by": f"Presidio ({info['model']}) with the row's identifiers, in the row's "
                                     f"language ({', '.join(info['languages']) or 'none needed'})",
                       "cells_withheld": info["cells_withheld"]}
        elif role == "pram":
            persons = (pseudo.astype(str).tolist() if pseudo is not None
                       else [f"{table_name}:row{i}" for i in range(len(values))])
            done = pram.pram(values, roles.table_key(key, "pram"), float(options.get("keep", 0.8)), persons,
                             table_name, name, options.get("categories"))
            out[name] = done.values
            _charge_pram(store, table_name, name, done, values, persons)
            options = {**options, "categories": done.categories, "transition_matrix": done.matrix.round(12).tolist(),
                       "epsilon": done.epsilon,
                       "guarantee": (f"randomized response: {done.epsilon:.6g}-DP per person for this column"
                                     if done.epsilon is not None else "none (a zero in the transition matrix)")}
            summary.setdefault("pram", {})[name] = {"epsilon": done.epsilon, "categories": len(done.categories),
                                                    "keep": float(options.get("keep", 0.8))}
        else:  # keep, sensitive
            out[name] = values
        described[name] = {"Description": f"role {role}",
                           **{k: v for k, v in options.items() if k in DESCRIBED}}
    order = [c for c in table.columns if c in out.columns]
    released = out.loc[keep_rows, order].reset_index(drop=True)
    if private and quasi:
        weights = cells.sampling_weights(table, cfg.get("privacy", {}), table_name)
        if isinstance(weights, np.ndarray):
            weights = weights[keep_rows]
        summary["record_risk"] = cells.record_risk(released, list(quasi), cfg.get("privacy", {}), weights, table_name)
    summary["rows_out"] = int(len(released))
    summary["dropped_columns"] = [n for n, c in columns.items() if c.role == "drop"]
    return Released(released, {c: described[c] for c in order}, summary, specs)


def _geo_columns(table: pd.DataFrame, columns: dict[str, roles.Column], cfg: Mapping[str, Any], table_name: str,
                 summary: dict[str, Any]) -> tuple[pd.DataFrame, dict[str, roles.Column], dict[str, pd.Series]]:
    """Fold each latitude/longitude pair (role geo on both; the latitude names its `longitude`) into one location
    code: a quasi-identifier with a geohash, grid or H3 hierarchy, or, with `cloak: true`, cloaked to k on its own."""
    geos = {n: c for n, c in columns.items() if c.role == "geo"}
    if not geos:
        return table, columns, {}
    pairs = {n: c.options.get("longitude") for n, c in geos.items() if c.options.get("longitude")}
    for n in geos:
        if n not in pairs and n not in pairs.values():
            raise roles.RoleError(f"{table_name}: column {n!r} has role geo but no latitude column names it as its "
                                  "longitude (latitude: {role: geo, longitude: <column>})")
    for lat, lon in pairs.items():
        if geos.get(lon) is None:
            raise roles.RoleError(f"{table_name}: column {lat!r}: its longitude {lon!r} needs role geo too")
    table = table.copy()
    columns = dict(columns)
    cloaked: dict[str, pd.Series] = {}
    for lat, lon in pairs.items():
        options = geos[lat].options
        codes, hierarchy = geo.encode(table, lat, options, table_name)
        info = {"method": options.get("method", "geohash"), "longitude": lon}
        if options.get("cloak", False):
            k = int(options.get("k", cfg.get("privacy", {}).get("k", 2)))
            cloaked[lat], info["levels_used"] = geo.cloak(codes, hierarchy, k)
            info["cloaked_to_k"] = k
        else:
            table[lat] = codes
            columns[lat] = roles.Column(lat, "quasi", {**options, "_prebuilt": hierarchy})
            info["cloaked_to_k"] = None
        columns[lon] = roles.Column(lon, "drop", {})
        summary.setdefault("geo", {})[lat] = info
    return table, columns, cloaked


def _charge_pram(store: noise.NoiseStore | None, table_name: str, column: str, done: pram.Pram, values: pd.Series,
                 persons: list[str]) -> None:
    """Charge the ledger for each person's first release of this value under these PRAM settings (later releases
    give the same keyed draw and cost nothing)."""
    if store is None or done.epsilon is None:
        return
    settings = {"mechanism": "pram", "epsilon": done.epsilon, "delta": 0.0, "categories": done.categories}
    entry = store.column(table_name, column, settings)
    occurrence = pd.Series(persons).groupby(persons).cumcount().to_list()
    store.cover(table_name, column, [p for p, v in zip(persons, values) if not pd.isna(v)])
    for person, nth, value in zip(persons, occurrence, values):
        if pd.isna(value):
            continue
        digest = noise.NoiseStore.value_digest(value)
        seen = entry["draws"].setdefault(person, {})
        if seen.get(str(nth), {}).get("value") != digest:
            seen[str(nth)] = {"value": digest, "released": None}
            store.charge(table_name, column, person, done.epsilon, 0.0)


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
                       "detail": f"participants.tsv: smallest class {k}, required {privacy.get('k', 1)} "
                                 "(tables.privacy.k)"})
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
    individual = (main.get("record_risk") or {}).get("individual") or {}
    if privacy.get("risk_threshold") is not None and individual:
        checks.append({"name": "tables: individual risk", "passed": individual.get("records_over", 0) == 0,
                       "detail": f"participants.tsv: {individual.get('records_over', 0)} records with a "
                                 f"Benedetti-Franconi risk over {privacy['risk_threshold']:g} (largest "
                                 f"{individual.get('max', 0):.4g})"})
    ledger = summary.get("ledger") or {}
    if budget.get("person_epsilon") is not None and ledger:
        worst = ledger.get("person_epsilon_max", 0.0)
        checks.append({"name": "tables: cumulative DP loss per person",
                       "passed": worst <= budget["person_epsilon"] + 1e-12,
                       "detail": f"largest cumulative epsilon of one person over {ledger.get('releases', 0)} "
                                 f"release(s) {worst:g}, cap {budget['person_epsilon']:g}"})
    return {"section": "tables_privacy", "title": "Tables: k-anonymity, l-diversity, t-closeness, DP noise",
            "metrics": {"achieved": got, "suppressed_rows": main.get("suppressed_rows"),
                        "levels": main.get("levels"), "utility": main.get("utility"), "epsilon_spent": spent,
                        "ledger": ledger, "method": main.get("search"),
                        "suppressed_cells": main.get("suppressed_cells"), "record_risk": main.get("record_risk"),
                        "pram": main.get("pram")},
            "checks": checks, "figures": [], "tables": []}


def subject_languages(participants: Path | None, text_cfg: Mapping[str, Any] | None) -> dict[str, str] | None:
    """{participant_id: language code} from `text.language_column` of participants.tsv, for free-text columns (None
    without the column: every row is in `text.language`). An unsupported code names the column, line and value."""
    column = (text_cfg or {}).get("language_column")
    if not column or participants is None:
        return None
    from ..text.languages import get

    table = read_table(participants)
    if column not in table.columns:
        raise roles.RoleError(f"text.language_column: participants.tsv has no column {column!r}")
    languages = {}
    for line, (label, cell) in enumerate(zip(table["participant_id"], table[column]), start=2):
        if not pd.isna(cell) and str(cell).strip() not in ("", "n/a"):
            languages[str(label).strip()] = get(str(cell).strip(), where=f"text.language_column: participants.tsv "
                                                                          f"column {column!r}, line {line}").code
    return languages


def release_study(tables: list[str | Path], bids_dir: str | Path, cfg: Mapping[str, Any],
                  records: Mapping[str, SubjectRecord], key: bytes, writer: Any, base_dir: str | Path = ".",
                  noise_store: noise.NoiseStore | None = None, text_cfg: Mapping[str, Any] | None = None
                  ) -> dict[str, Any]:
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
    if noise_store is None:
        noise_store = noise.NoiseStore(None)  # this release's accounting only, nothing kept
    specs: list[noise.NoiseSpec] = []
    levels: dict[str, int] = {}
    order = sorted(paths, key=lambda rel: (rel != "participants.tsv", rel))
    languages = subject_languages(paths.get("participants.tsv"), text_cfg)
    mode = cfg.get("release", "microdata")
    if mode not in ("microdata", "aggregates", "both"):
        raise roles.RoleError(f"tables.release = {mode!r}: use microdata, aggregates or both")
    queries = list(cfg.get("aggregates") or [])
    if mode != "microdata" and not queries:
        raise roles.RoleError(f"tables.release = {mode}: configure tables.aggregates (the queries to release)")
    aggregate_epsilon = float(sum(float(q.get("epsilon") or 0) for q in queries)) if mode != "microdata" else 0.0
    planned_epsilon = sum(x.epsilon for x in planned) + aggregate_epsilon
    if budget.get("epsilon") is not None and aggregate_epsilon and planned_epsilon > budget["epsilon"] + 1e-12:
        raise noise.BudgetError(f"the noise columns and tables.aggregates spend epsilon {planned_epsilon:g} but "
                                f"tables.noise_budget.epsilon is {budget['epsilon']:g}; lower an epsilon or raise it")
    if mode != "microdata":
        if "participants.tsv" not in paths:
            raise roles.RoleError("tables.aggregates are computed from participants.tsv, which the study lacks")
        source = read_table(paths["participants.tsv"])
        persons = ([str(p) for p in roles.subject_lookup(source["participant_id"], records, "participants.tsv")[0]]
                   if "participant_id" in source.columns else [f"participants.tsv:row{i}" for i in range(len(source))])
        released_aggregates = aggregates.release_aggregates(source, queries, persons, noise_store,
                                                            "participants.tsv")
        for name, (frame, info) in released_aggregates.items():
            rel = f"derivatives/aggregates/{name}.tsv"
            frame.to_csv(writer.path(rel), sep="\t", index=False, lineterminator="\n")
            writer.path(rel[:-4] + ".json").write_text(json.dumps(info, indent=2, sort_keys=True) + "\n")
        summary["aggregates"] = {name: {"kind": info["kind"], "epsilon": info["epsilon"], "cells": int(len(frame))}
                                 for name, (frame, info) in released_aggregates.items()}
        if mode == "aggregates":
            order = [rel for rel in order if rel != "participants.tsv"]
            summary["participants_withheld"] = "tables.release: aggregates (only the DP aggregates are released)"
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
                               private=rel == "participants.tsv", levels=levels, store=noise_store,
                               text_cfg=text_cfg, languages=languages)
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
    summary["epsilon_spent"] = epsilon + aggregate_epsilon
    summary["delta_spent"] = delta
    summary["participants"] = summary["tables"].get("participants.tsv", {})
    summary["quasi_identifiers"] = summary["participants"].get("quasi_identifiers", [])
    summary["sensitive"] = summary["participants"].get("sensitive_columns", [])
    noise.check_person_budget(noise_store, budget.get("person_epsilon"), budget.get("person_delta"))
    summary["ledger"] = noise_store.summary()
    noise_store.save()
    writer.risk(risk_section(summary, cfg))
    return summary
