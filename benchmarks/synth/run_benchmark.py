"""NAPSU-MQ (deidflow's twinify driver) vs smartnoise-synth MST on ADULT's 9 columns at epsilon 1, one run.

Run from the repository root with the twinify environment:
    PYTHONPATH=scripts .venv-synth/bin/python benchmarks/synth/run_benchmark.py [rows [warmup draws [napsu_limit_s]]]
smartnoise-synth runs in its own environment (.venv-smartnoise: `pip install smartnoise-synth==1.0.8`), as a child
process of this one. NAPSU-MQ runs in a child process too, stopped after napsu_limit_s seconds (default 1500), so
that MST and the baseline are still scored if it does not finish (with `napsu.inference: auto` it takes about a
minute on ADULT: 1,134 parameters, so the posterior mode is used). Writes
benchmarks/synth/results.json and prints a Markdown table.
"""

import json
import multiprocessing
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from deidflow.risk.utility import marginal_scores
from deidflow.synth import napsu
from deidflow.synth.encode import select_columns
from deidflow.synth.twin import split_control, synthesize

ROOT = Path(__file__).resolve().parents[2]
ADULT = Path("/work/shared/data/adult")
EPSILON, DELTA, SEED = 1.0, 1e-5, 20261124
SELECTION_SHARE = 0.3


def load(rows: int | None) -> pd.DataFrame:
    """ADULT with age in the hierarchy's 5-year bins (level 1), the one public generalization both tools get."""
    data = pd.read_csv(ADULT / "adult.csv", sep=";", dtype=str)
    if rows:
        data = data.sample(n=rows, random_state=SEED).reset_index(drop=True)
    hierarchy = pd.read_csv(ADULT / "adult_hierarchy_age.csv", sep=";", header=None, dtype=str)
    data["age"] = data["age"].map(dict(zip(hierarchy[0], hierarchy[1])))
    return data


def settings_for(data: pd.DataFrame, warmup: int, draws: int) -> dict:
    return {"columns": list(data.columns), "method": "napsu", "epsilon": EPSILON, "delta": DELTA,
            "selection": "mst", "selection_share": SELECTION_SHARE, "queries": [], "seed": SEED, "max_levels": 100,
            "control_fraction": 0.2, "min_rows": 10, "rows": None,
            "napsu": {"num_warmup": warmup, "num_samples": draws, "num_chains": 1}}


def napsu_child(rows: int | None, warmup: int, draws: int, out: str) -> None:
    """Child process: deidflow's synthesize() (NAPSU-MQ), timed; writes the twin, its training split and card."""
    data = load(rows)
    start = time.perf_counter()
    twin = synthesize(data, settings_for(data, warmup, draws), source="adult.csv")
    seconds = time.perf_counter() - start
    twin.synthetic.to_csv(Path(out) / "napsu.tsv", sep="\t", index=False)
    twin.train.to_csv(Path(out) / "napsu_train.tsv", sep="\t", index=False)
    (Path(out) / "napsu.json").write_text(json.dumps({"fit_sample_s": seconds, "card": twin.card}, default=str))


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1] != "all" else None
    warmup, draws = (int(sys.argv[2]), int(sys.argv[3])) if len(sys.argv) > 3 else (200, 200)
    limit = float(sys.argv[4]) if len(sys.argv) > 4 else 1500.0
    data = load(rows)
    # the training split synthesize() makes (same columns, fraction, seed): MST gets exactly these records
    columns, _ = select_columns(data, list(data.columns), "adult.csv")
    train, _ = split_control(data[columns], 0.2, SEED, 10, "adult.csv")
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        train.to_csv(Path(tmp) / "train.tsv", sep="\t", index=False)
        child = multiprocessing.get_context("spawn").Process(target=napsu_child, args=(rows, warmup, draws, tmp))
        start = time.perf_counter()
        child.start()
        child.join(limit)
        napsu_wall = time.perf_counter() - start
        if child.is_alive():
            child.terminate()
            child.join()
            napsu_out = None
            napsu_status = f"stopped after {napsu_wall:.0f} s (limit {limit:.0f} s), no twin"
        elif child.exitcode != 0:
            raise SystemExit(f"NAPSU-MQ child failed with exit code {child.exitcode}")
        else:
            napsu_out = json.loads((Path(tmp) / "napsu.json").read_text())
            napsu_syn = pd.read_csv(Path(tmp) / "napsu.tsv", sep="\t", dtype=str)
            if not pd.read_csv(Path(tmp) / "napsu_train.tsv", sep="\t", dtype=str).equals(
                    pd.read_csv(Path(tmp) / "train.tsv", sep="\t", dtype=str)):
                raise SystemExit("the NAPSU-MQ child's training split differs from the one given to MST")
            napsu_status = "finished"
        start = time.perf_counter()
        out = subprocess.run([str(ROOT / ".venv-smartnoise/bin/python"), str(Path(__file__).with_name("mst_smartnoise.py")),
                              str(Path(tmp) / "train.tsv"), str(Path(tmp) / "mst.tsv"), str(EPSILON), str(DELTA), str(SEED)],
                             capture_output=True, text=True, check=True)
        mst_wall = time.perf_counter() - start
        mst_times = json.loads(out.stdout.strip().splitlines()[-1])
        mst = pd.read_csv(Path(tmp) / "mst.tsv", sep="\t", dtype=str)
    load_after = os.getloadavg()
    mst_scores = marginal_scores(train, mst, ways=(1, 2), max_level=100)
    mst_s = mst_times["fit_s"] + mst_times["sample_s"]
    planned = napsu.split_budget(EPSILON, DELTA, "mst", SELECTION_SHARE).as_dict()
    napsu_result = {"status": napsu_status, "wall_s": napsu_wall, "budget_planned": planned}
    if napsu_out is not None:
        napsu_scores = marginal_scores(train, napsu_syn, ways=(1, 2), max_level=100)
        napsu_result.update({"fit_sample_s": napsu_out["fit_sample_s"], "card_budget": napsu_out["card"]["budget"],
                             "queries": napsu_out["card"]["queries"], "details": napsu_out["card"]["details"],
                             "tvd_1way": napsu_scores["1-way"]["twin_mean_tvd"],
                             "tvd_2way": napsu_scores["2-way"]["twin_mean_tvd"],
                             "time_ratio_napsu_over_mst": napsu_out["fit_sample_s"] / mst_s})
    results = {
        "machine": f"{platform.node()} ({platform.processor() or platform.machine()}, {os.cpu_count()} cores), "
                   f"shared 2-core container",
        "load_average_1_5_15_before": load_before, "load_average_1_5_15_after": load_after,
        "command": "PYTHONPATH=scripts .venv-synth/bin/python benchmarks/synth/run_benchmark.py " + " ".join(sys.argv[1:]),
        "rows_train": len(train), "napsu_mcmc": {"warmup": warmup, "draws": draws, "chains": 1},
        "columns": list(train.columns), "epsilon": EPSILON, "delta": DELTA,
        "napsu_mq": napsu_result,
        "smartnoise_mst": {"fit_s": mst_times["fit_s"], "sample_s": mst_times["sample_s"], "wall_s": mst_wall,
                           "epsilon": EPSILON, "delta": DELTA, "preprocessor_eps": 0.0,
                           "tvd_1way": mst_scores["1-way"]["twin_mean_tvd"],
                           "tvd_2way": mst_scores["2-way"]["twin_mean_tvd"]},
        # a same-size table drawn column by column from the training split (seed 0 in marginal_scores)
        "independent_baseline": {"tvd_1way": mst_scores["1-way"]["baseline_mean_tvd"],
                                 "tvd_2way": mst_scores["2-way"]["baseline_mean_tvd"],
                                 "tvd_2way_exact_product": mst_scores["2-way"]["baseline_exact_mean_tvd"]},
        "pairs_mst": mst_scores["pairs"],
    }
    Path(__file__).with_name("results.json").write_text(json.dumps(results, indent=2) + "\n")
    print("| method | fit+sample (s) | mean 1-way TVD | mean 2-way TVD | epsilon, delta spent |\n|---|---|---|---|---|")
    if napsu_out is not None:
        print(f"| NAPSU-MQ (twinify 2.0.0, MST selection 0.3 eps + measurement 0.7 eps) | {napsu_out['fit_sample_s']:.1f} | "
              f"{napsu_result['tvd_1way']:.4f} | {napsu_result['tvd_2way']:.4f} | {EPSILON}, {DELTA} |")
    else:
        print(f"| NAPSU-MQ (twinify 2.0.0) | {napsu_status} | - | - | none released |")
    print(f"| smartnoise-synth 1.0.8 MST (method=\"sample\") | {mst_s:.1f} | "
          f"{results['smartnoise_mst']['tvd_1way']:.4f} | {results['smartnoise_mst']['tvd_2way']:.4f} | {EPSILON}, {DELTA} |")
    base = results["independent_baseline"]
    print(f"| independent marginals (sampled, non-private) | - | {base['tvd_1way']:.4f} | {base['tvd_2way']:.4f} "
          f"(exact product: {base['tvd_2way_exact_product']:.4f}) | not private |")


if __name__ == "__main__":
    main()
