"""Small-table benchmark: information loss at k=5 on 200-row ADULT samples with local suppression, global recoding
and MDAV microaggregation (deidflow), global recoding by anjana (peer, measured here), plus the record-level risk
before and after (Benedetti-Franconi individual risk with the sampling weight, SUDA special uniques).

    .venv/bin/python benchmarks/tabular/small.py                 # writes small_results.json and small_results.md here
    .venv/bin/python benchmarks/tabular/small.py --no-peer       # without anjana

The samples and the ARX hierarchies are in ./small/ (see README.md there). One loss for every method, per
quasi-identifier cell, mean over all 200 x |QI| cells: a generalized value costs (leaves under it - 1) / (leaves - 1)
(the ADULT README's formula), a suppressed cell (`*`, or a dropped record's cell) costs 1, and a microaggregated age
costs |true age - released mean| / (oldest - youngest leaf of the age hierarchy).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(HERE))

from run import leaves_under, read_hierarchy  # noqa: E402 (the benchmark's own hierarchy parser and loss helper)

from deidflow.tabular import hierarchies as hz  # noqa: E402
from deidflow.tabular import lattice, microaggregation, risk, suppression  # noqa: E402
from deidflow.tabular.models import PrivacyModel  # noqa: E402

DATA = HERE / "small"
SENSITIVE = "salary-class"
QI_SETS = {"4 QIs (sex, age, race, marital-status)": ["sex", "age", "race", "marital-status"],
           "8 QIs (all but salary-class)": ["sex", "age", "race", "marital-status", "education", "native-country",
                                             "workclass", "occupation"]}
K = 5
SUPPRESSION = 0.05
POPULATION = 30162  # the ADULT table the samples are drawn from: sampling weight POPULATION / 200


def cell_loss(released: pd.DataFrame, original: pd.DataFrame, qis: list[str], dropped: np.ndarray) -> float:
    """Mean per-cell loss (module docstring) over len(original) x len(qis) cells."""
    total = 0.0
    for col in qis:
        rows = read_hierarchy(DATA / f"adult_hierarchy_{col}.csv")
        under, leaves = leaves_under(rows)
        values = released[col].astype(str).to_numpy()
        cost = np.ones(len(values))
        for i, v in enumerate(values):
            if dropped[i] or v == "*":
                continue
            if v in under:
                cost[i] = (under[v] - 1) / max(len(leaves) - 1, 1)
            else:  # a microaggregated number
                numbers = [float(x) for x in leaves]
                cost[i] = abs(float(original[col].iloc[i]) - float(v)) / (max(numbers) - min(numbers))
        total += cost.sum()
    return total / (len(original) * len(qis))


def k_of(released: pd.DataFrame, qis: list[str], keep: np.ndarray, starred: bool = True) -> int:
    """Smallest class of the released records; `starred=False` leaves out records with every QI `*` (as ARX)."""
    rows = released.loc[keep, qis].astype(str)
    if not starred:
        rows = rows[~(rows == "*").all(axis=1)]
    return int(rows.value_counts().min())


def l_of(released: pd.DataFrame, qis: list[str], keep: np.ndarray) -> int:
    """Smallest number of distinct salary classes in a class of released records (all-`*` records left out)."""
    rows = released.loc[keep, qis + [SENSITIVE]].astype(str)
    rows = rows[~(rows[qis] == "*").all(axis=1)]
    return int(rows.groupby(qis)[SENSITIVE].nunique().min())


def recoding(table: pd.DataFrame, qis: list[str], hier: dict, l: int | None = None  # noqa: E741
             ) -> tuple[pd.DataFrame, np.ndarray, dict]:
    problem = lattice.encode(table, {c: hier[c] for c in qis}, SENSITIVE if l else None)
    found = lattice.search(problem, PrivacyModel(k=K, l=l, suppression=SUPPRESSION), "loss")
    out = table.copy()
    recoded = lattice.recode(problem, found.best.node)
    passed = found.best.passed[found.best.classes[problem.rows]]
    for c in qis:
        out[c] = np.where(passed, recoded[c], "*")
    return out, np.ones(len(table), bool), {"levels": dict(zip(problem.names, map(int, found.best.node)))}


def local(table: pd.DataFrame, qis: list[str], hier: dict, l: int | None = None  # noqa: E741
          ) -> tuple[pd.DataFrame, np.ndarray, dict]:
    result = suppression.local_suppression(table, qis, K, sensitive=table[SENSITIVE].tolist() if l else None,
                                           model=PrivacyModel(k=K, l=l) if l else None)
    return result.table, np.ones(len(table), bool), {"cells": result.count}


def micro(table: pd.DataFrame, qis: list[str], hier: dict) -> tuple[pd.DataFrame, np.ndarray, dict]:
    aggregated = microaggregation.mdav(table, ["age"], K, decimals=1)
    others = [c for c in qis if c != "age"]
    result = suppression.local_suppression(aggregated.table, qis, K, allowed=others)
    out = result.table
    return out, np.ones(len(table), bool), {"sse_sst_age": round(aggregated.sse_sst, 4), "cells": result.count}


def anjana(sample: Path, qis: list[str], work: Path) -> tuple[pd.DataFrame | None, dict]:
    peers = ROOT / ".venv-peers" / "bin" / "python"
    out, meta = work / "anjana.csv", work / "anjana.json"
    cmd = [str(peers), str(HERE / "peers.py"), "anjana", "--data", str(DATA), "--setting", "small", "--table",
           str(sample), "--qis", ",".join(qis), "--out", str(out), "--meta", str(meta)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    if done.returncode:
        return None, {"error": done.stderr[-500:]}
    info = json.loads(meta.read_text())
    released = pd.read_csv(out, sep=";", dtype=str, keep_default_na=False)
    return released, info


def record_risk(released: pd.DataFrame, qis: list[str], keep: np.ndarray) -> dict:
    rows = released.loc[keep, qis].astype(str)
    r = risk.individual_risk(rows, qis, POPULATION / 200)
    s = risk.suda(rows, qis, 3)
    return {"bf_max": float(r.max()), "bf_expected": float(r.sum()),
            "sample_uniques": int((rows.value_counts() == 1).sum()),
            "suda_special_uniques": int(s["special_unique"].sum())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args(argv)
    hier = {c: hz.from_csv(DATA / f"adult_hierarchy_{c}.csv") for c in QI_SETS["8 QIs (all but salary-class)"]}
    rows = []
    for sample in sorted(DATA.glob("adult_200_s*.csv")):
        table = pd.read_csv(sample, sep=";", dtype=str, keep_default_na=False).reset_index(drop=True)
        for qi_name, qis in QI_SETS.items():
            base = {"sample": sample.stem, "qis": qi_name}
            rows.append({**base, "method": "none (input)", **record_risk(table, qis, np.ones(len(table), bool)),
                         "loss": 0.0, "suppressed_cells": 0, "rows_fully_suppressed": 0,
                         "k": k_of(table, qis, np.ones(len(table), bool)),
                         "k_with_star_rows": k_of(table, qis, np.ones(len(table), bool)),
                         "l": l_of(table, qis, np.ones(len(table), bool))})
            for name, fn in (("global recoding (deidflow, optimal, <= 5 % rows)", recoding),
                             ("local suppression (deidflow)", local),
                             ("MDAV age + local suppression (deidflow)", micro),
                             ("global recoding + distinct l=2 of salary-class (deidflow, optimal, <= 5 % rows)",
                              lambda t, q, h: recoding(t, q, h, 2)),
                             ("local suppression + distinct l=2 of salary-class (deidflow)",
                              lambda t, q, h: local(t, q, h, 2))):
                started = time.perf_counter()
                out, keep, info = fn(table, qis, hier)
                seconds = time.perf_counter() - started
                dropped = ~keep
                rows.append({**base, "method": name, "seconds": round(seconds, 3),
                             "loss": cell_loss(out, table, qis, dropped),
                             "suppressed_cells": int((out[qis] == "*").to_numpy().sum()),
                             "rows_fully_suppressed": int((out[qis] == "*").all(axis=1).sum()),
                             "k": k_of(out, qis, keep, False), "k_with_star_rows": k_of(out, qis, keep),
                             "l": l_of(out, qis, keep), **record_risk(out, qis, keep), **info})
            if not args.no_peer:
                with tempfile.TemporaryDirectory() as tmp:
                    released, info = anjana(sample, qis, Path(tmp))
                if released is None:
                    rows.append({**base, "method": "global recoding (anjana 1.2.3, <= 5 % rows)", **info})
                    continue
                # anjana drops suppressed records: realign by position is impossible, so score kept rows as released
                # and every dropped record's cells as 1
                n_drop = len(table) - len(released)
                released = released.reset_index(drop=True)
                padded = pd.concat([released, pd.DataFrame({c: ["*"] * n_drop for c in released.columns})],
                                   ignore_index=True)
                keep = np.r_[np.ones(len(released), bool), np.zeros(n_drop, bool)]
                rows.append({**base, "method": "global recoding (anjana 1.2.3, <= 5 % rows)",
                             "seconds": round(info["seconds"], 3),
                             "loss": cell_loss(padded, table, qis, ~keep),
                             "suppressed_cells": int(n_drop * len(qis)), "rows_fully_suppressed": n_drop,
                             "k": k_of(padded, qis, keep, False), "k_with_star_rows": k_of(padded, qis, keep),
                             "l": l_of(padded, qis, keep) if SENSITIVE in padded.columns else None,
                             **record_risk(padded, qis, keep),
                             "levels": info.get("levels")})
    frame = pd.DataFrame(rows)
    summary = (frame.groupby(["qis", "method"], sort=False)
               .agg(loss=("loss", "mean"), loss_min=("loss", "min"), loss_max=("loss", "max"),
                    suppressed_cells=("suppressed_cells", "mean"), k_min=("k", "min"),
                    k_star=("k_with_star_rows", "min"), l_min=("l", "min"),
                    rows_full=("rows_fully_suppressed", "mean"),
                    bf_max=("bf_max", "max"),
                    bf_expected=("bf_expected", "mean"), sample_uniques=("sample_uniques", "mean"),
                    special_uniques=("suda_special_uniques", "mean"), seconds=("seconds", "mean"))
               .reset_index())
    machine = {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
               "python": platform.python_version()}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "small_results.json").write_text(json.dumps({"machine": machine, "runs": rows}, indent=1,
                                                            default=str) + "\n")
    lines = ["| QIs | method | loss (mean, min-max over 5 samples) | `*` cells | rows all `*` | k (min; with all-`*` "
             "rows) | l (min) "
             "| BF risk max | expected re-identifications | sample uniques | SUDA special uniques | seconds |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in summary.itertuples():
        lines.append(f"| {r.qis} | {r.method} | {r.loss:.3f} ({r.loss_min:.3f}-{r.loss_max:.3f}) | "
                     f"{r.suppressed_cells:.1f} | {'' if pd.isna(r.rows_full) else f'{r.rows_full:.1f}'} | "
                     f"{r.k_min}; {'' if pd.isna(r.k_star) else int(r.k_star)} | "
                     f"{'' if pd.isna(r.l_min) else int(r.l_min)} | {r.bf_max:.3f} | "
                     f"{r.bf_expected:.2f} | "
                     f"{r.sample_uniques:.1f} | {r.special_uniques:.1f} | "
                     f"{'' if pd.isna(r.seconds) else f'{r.seconds:.3f}'} |")
    (args.out / "small_results.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
