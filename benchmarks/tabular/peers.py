"""The peer-tool side of the tabular benchmark, run with the peers' Python (.venv-peers: anjana 1.2.3, pycanon 1.3.5).

    .venv-peers/bin/python benchmarks/tabular/peers.py anjana --data DIR --setting a --out released.csv --meta meta.json
    .venv-peers/bin/python benchmarks/tabular/peers.py check --data DIR --setting a --released R.csv --meta m.json

`anjana` anonymizes the ADULT table with anjana under one setting and writes the released table (anjana drops the
suppressed records) and its timing; `check` measures k, distinct l and equal-distance t of a released table with
pycanon. run.py starts both as child processes; this file imports nothing from deidflow.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

SENSITIVE = "salary-class"
# the same settings as run.py (k, distinct l, equal-distance t, suppression limit in %)
SETTINGS = {"a": {"k": 5, "l": None, "t": None, "supp_pct": 1},
            "b": {"k": 5, "l": 2, "t": None, "supp_pct": 1},
            "c": {"k": 5, "l": None, "t": 0.1, "supp_pct": 1},
            "small": {"k": 5, "l": None, "t": None, "supp_pct": 5}}  # small.py: 200-row samples


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load(data: Path, table_file: Path | None = None) -> tuple[pd.DataFrame, list[str]]:
    table = pd.read_csv(table_file or data / "adult.csv", sep=";", dtype=str, keep_default_na=False)
    return table, [c for c in table.columns if c != SENSITIVE]


def hierarchies(data: Path, qis: list[str]) -> dict[str, dict[int, pd.Series]]:
    """anjana's form: {column: {level: values}} from the ARX CSVs (one row per leaf, coarser levels to the right)."""
    out = {}
    for col in qis:
        frame = pd.read_csv(data / f"adult_hierarchy_{col}.csv", sep=";", header=None, dtype=str,
                            keep_default_na=False)
        out[col] = dict(frame)
    return out


def run_anjana(args: argparse.Namespace) -> None:
    import anjana
    from anjana.anonymity import k_anonymity, l_diversity, t_closeness

    table, qis = load(args.data, args.table)
    if args.qis:
        qis = args.qis.split(",")
        table = table[[*qis, SENSITIVE]]
    hier = hierarchies(args.data, qis)
    s = SETTINGS[args.setting]
    rss_before = peak_mib()
    log = io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(log):
        if s["l"] is not None:
            released = l_diversity(table, [], qis, SENSITIVE, s["k"], s["l"], s["supp_pct"], hier)
        elif s["t"] is not None:
            released = t_closeness(table, [], qis, SENSITIVE, s["k"], s["t"], s["supp_pct"], hier)
        else:
            released = k_anonymity(table, [], qis, s["k"], s["supp_pct"], hier)
    seconds = time.perf_counter() - started
    peak = peak_mib()
    meta = {"tool": f"anjana {getattr(anjana, '__version__', '1.2.3')}", "seconds": seconds,
            "peak_mib_self": peak, "rss_before_mib": rss_before, "messages": log.getvalue().strip(),
            "released_rows": int(len(released)), "empty": bool(len(released) == 0)}
    if len(released):
        released = released[[*qis, SENSITIVE]]
        # the generalization level anjana chose per column (its own helper)
        from anjana.anonymity.utils import utils
        meta["levels"] = dict(zip(qis, [int(v) for v in utils.get_transformation(released, qis, hier)]))
    released.to_csv(args.out, sep=";", index=False)
    args.meta.write_text(json.dumps(meta, indent=1))


def t_equal(released: pd.DataFrame, qis: list[str], reference: pd.Series) -> float:
    """Largest equal-distance EMD of a class's sensitive distribution to `reference` (value -> share)."""
    counts = pd.crosstab([released[c] for c in qis], released[SENSITIVE])
    counts = counts.reindex(columns=reference.index, fill_value=0)
    shares = counts.to_numpy() / counts.to_numpy().sum(axis=1, keepdims=True)
    return float((0.5 * np.abs(shares - reference.to_numpy()[None, :]).sum(axis=1)).max())


def check(args: argparse.Namespace) -> None:
    import pycanon
    from pycanon import anonymity

    table, qis = load(args.data)
    s = SETTINGS[args.setting]
    released = pd.read_csv(args.released, sep=";", dtype=str, keep_default_na=False)
    out: dict = {"pycanon": getattr(pycanon, "__version__", "1.3.5"), "rows_in_file": int(len(released))}
    if len(released) == 0:
        out.update(verdict="no output", passed=False)
        args.meta.write_text(json.dumps(out, indent=1))
        return
    starred = (released[qis] == "*").all(axis=1)
    kept = released[~starred].reset_index(drop=True)
    out["rows_checked"] = int(len(kept))
    started = time.perf_counter()
    k = int(anonymity.k_anonymity(kept, qis))
    l_ = int(anonymity.l_diversity(kept, qis, [SENSITIVE]))
    t = float(anonymity.t_closeness(kept, qis, [SENSITIVE]))
    out.update(k=k, l_distinct=l_, t_equal=t, check_seconds=time.perf_counter() - started)
    # pycanon's t takes the checked rows' own distribution as reference; the model's reference is the whole input table
    full = table[SENSITIVE].value_counts(normalize=True)
    out["t_equal_vs_input_table"] = t_equal(kept, qis, full)
    if starred.any():  # the records kept with '*' in every quasi-identifier form one more class when published
        out["with_starred_rows"] = {"k": int(anonymity.k_anonymity(released, qis)),
                                    "l_distinct": int(anonymity.l_diversity(released, qis, [SENSITIVE])),
                                    "t_equal": float(anonymity.t_closeness(released, qis, [SENSITIVE]))}
    parts = [f"k={k}"]
    ok = k >= s["k"]
    if s["l"] is not None:
        parts.append(f"l={l_}")
        ok &= l_ >= s["l"]
    if s["t"] is not None:
        parts.append(f"t={t:.3f}")
        ok &= t <= s["t"] + 1e-9
    out["passed"] = bool(ok)
    out["verdict"] = ("pass " if ok else "FAIL ") + ", ".join(parts)
    args.meta.write_text(json.dumps(out, indent=1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["anjana", "check"])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--setting", choices=sorted(SETTINGS), required=True)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--released", type=Path)
    parser.add_argument("--meta", type=Path, required=True)
    parser.add_argument("--table", type=Path, help="the table to anonymize (default DATA/adult.csv)")
    parser.add_argument("--qis", help="comma-separated quasi-identifiers (default: every column but salary-class)")
    args = parser.parse_args(argv)
    if args.mode == "anjana":
        run_anjana(args)
    else:
        check(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
