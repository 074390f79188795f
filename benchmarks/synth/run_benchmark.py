"""NAPSU-MQ (deidflow's twinify driver) vs smartnoise-synth MST on ADULT's 9 columns at epsilon 1, one run.

Run from the repository root with the twinify environment:
    PYTHONPATH=scripts .venv-synth/bin/python benchmarks/synth/run_benchmark.py [rows [warmup draws]]
smartnoise-synth runs in its own environment (.venv-smartnoise: `pip install smartnoise-synth==1.0.8`), as a child
process of this one. Writes benchmarks/synth/results.json and prints a Markdown table.
"""

import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from deidflow.risk.utility import marginal_scores
from deidflow.synth.twin import synthesize

ROOT = Path(__file__).resolve().parents[2]
ADULT = Path("/work/shared/data/adult")
EPSILON, DELTA, SEED = 1.0, 1e-5, 20261124


def load(rows: int | None) -> pd.DataFrame:
    """ADULT with age in the hierarchy's 5-year bins (level 1), the one public generalization both tools get."""
    data = pd.read_csv(ADULT / "adult.csv", sep=";", dtype=str)
    if rows:
        data = data.sample(n=rows, random_state=SEED).reset_index(drop=True)
    hierarchy = pd.read_csv(ADULT / "adult_hierarchy_age.csv", sep=";", header=None, dtype=str)
    data["age"] = data["age"].map(dict(zip(hierarchy[0], hierarchy[1])))
    return data


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1] != "all" else None
    warmup, draws = (int(sys.argv[2]), int(sys.argv[3])) if len(sys.argv) > 3 else (200, 200)
    data = load(rows)
    settings = {"columns": list(data.columns), "method": "napsu", "epsilon": EPSILON, "delta": DELTA,
                "selection": "mst", "selection_share": 0.3, "queries": [], "seed": SEED, "max_levels": 100,
                "control_fraction": 0.2, "min_rows": 10, "rows": None,
                "napsu": {"num_warmup": warmup, "num_samples": draws, "num_chains": 1}}
    start = time.perf_counter()
    twin = synthesize(data, settings, source="adult.csv")
    napsu_s = time.perf_counter() - start
    train = twin.train
    with tempfile.TemporaryDirectory() as tmp:
        train.to_csv(Path(tmp) / "train.tsv", sep="\t", index=False)
        start = time.perf_counter()
        out = subprocess.run([str(ROOT / ".venv-smartnoise/bin/python"), str(Path(__file__).with_name("mst_smartnoise.py")),
                              str(Path(tmp) / "train.tsv"), str(Path(tmp) / "mst.tsv"), str(EPSILON), str(SEED)],
                             capture_output=True, text=True, check=True)
        mst_wall = time.perf_counter() - start
        mst_times = json.loads(out.stdout.strip().splitlines()[-1])
        mst = pd.read_csv(Path(tmp) / "mst.tsv", sep="\t", dtype=str)
    napsu_scores = marginal_scores(train, twin.synthetic, ways=(1, 2), max_level=100)
    mst_scores = marginal_scores(train, mst, ways=(1, 2), max_level=100)
    results = {
        "machine": f"{platform.node()} ({platform.processor() or platform.machine()}), shared 2-core container",
        "rows_train": len(train), "napsu_mcmc": {"warmup": warmup, "draws": draws}, "columns": list(data.columns), "epsilon": EPSILON, "delta": DELTA,
        "napsu_mq": {"fit_sample_s": napsu_s, "card_budget": twin.card["budget"], "queries": twin.card["queries"],
                     "tvd_1way": napsu_scores["1-way"]["twin_mean_tvd"], "tvd_2way": napsu_scores["2-way"]["twin_mean_tvd"]},
        "smartnoise_mst": {"fit_s": mst_times["fit_s"], "sample_s": mst_times["sample_s"], "wall_s": mst_wall,
                           "tvd_1way": mst_scores["1-way"]["twin_mean_tvd"], "tvd_2way": mst_scores["2-way"]["twin_mean_tvd"]},
        "independent_baseline_tvd_2way": napsu_scores["2-way"]["baseline_mean_tvd"],
    }
    Path(__file__).with_name("results.json").write_text(json.dumps(results, indent=2) + "\n")
    print("| method | fit+sample (s) | mean 1-way TVD | mean 2-way TVD |\n|---|---|---|---|")
    print(f"| NAPSU-MQ (twinify 2.0.0, MST selection 0.3 eps + measurement 0.7 eps) | {napsu_s:.1f} | "
          f"{results['napsu_mq']['tvd_1way']:.4f} | {results['napsu_mq']['tvd_2way']:.4f} |")
    print(f"| smartnoise-synth 1.0.8 MST (method=\"sample\") | {mst_times['fit_s'] + mst_times['sample_s']:.1f} | "
          f"{results['smartnoise_mst']['tvd_1way']:.4f} | {results['smartnoise_mst']['tvd_2way']:.4f} |")
    print(f"| independent marginals (exact, non-private) | - | 0 | {results['independent_baseline_tvd_2way']:.4f} |")


if __name__ == "__main__":
    main()
