"""The NAPSU-MQ driver's workarounds for twinify 2.0.0: the one-scatter Markov network gives the same statistics as
twinify's, the Gauss-Newton Laplace approximation finds the posterior mode, and MAP inference makes a useful twin of
a table whose query set is too large for NUTS."""

import pytest

from conftest import SYNTH_PYTHON, run_in_synth_env

pytestmark = pytest.mark.skipif(not SYNTH_PYTHON.exists(), reason="the twinify environment .venv-synth is not built")

SCRIPT = r"""
import json
import numpy as np, pandas as pd
from twinify.dataframe_data import DataFrameData
from twinify.napsu_mq.marginal_query import FullMarginalQuerySet
from twinify.napsu_mq.markov_network import MarkovNetwork
from deidflow.synth import napsu
from deidflow.synth.twin import synthesize
from deidflow.risk.utility import marginal_scores

rng = np.random.default_rng(1)
n = 3000
a = rng.choice(4, n)
b = (a + rng.choice([0, 1], n, p=[0.85, 0.15])) % 4
c = np.where(b < 2, rng.choice(3, n, p=[0.7, 0.2, 0.1]), rng.choice(3, n, p=[0.1, 0.2, 0.7]))
d = rng.choice(5, n)
codes = pd.DataFrame({"a": a, "b": b, "c": c, "d": d}).astype("category")
frame = DataFrameData(codes)
queries = [("a", "b"), ("b", "c"), ("c", "d")]
qs = FullMarginalQuerySet(queries, frame.values_by_col).get_canonical_queries()
ours, theirs = napsu._network(frame.values_by_col, qs), MarkovNetwork(frame.values_by_col, qs)
lam = rng.normal(size=ours.lambda_d)
m1, c1 = ours.suff_stat_mean_and_cov(lam)
m2, c2 = theirs.suff_stat_mean_and_cov(lam)
out = {"same": float(max(np.abs(m1 - m2).max(), np.abs(c1 - c2).max()))}

stats = np.sum(qs.flatten()(frame.int_df.to_numpy()), axis=0).astype(float)
approx = napsu.laplace(ours, stats, n, sigma=1.0)
mean, cov = ours.suff_stat_mean_and_cov(approx.mean)
out["laplace"] = {"converged": approx.converged, "fit": float(np.abs(n * np.asarray(mean) - stats).max()),
                  "symmetric": bool(np.allclose(approx.precision, approx.precision.T)),
                  "positive": bool(np.linalg.eigvalsh(approx.precision).min() > 0)}

table = pd.DataFrame({k: [f"v{x}" for x in v] for k, v in {"a": a, "b": b, "c": c, "d": d}.items()})
settings = {"columns": list(table.columns), "method": "napsu", "epsilon": 2.0, "delta": 1e-5, "selection": "public",
            "selection_share": 0.3, "queries": [list(q) for q in queries], "seed": 3, "max_levels": 20,
            "control_fraction": 0.2, "min_rows": 10, "napsu": {"inference": "auto", "nuts_max_parameters": 5}}
twin = synthesize(table, settings)
again = synthesize(table, settings)
scores = marginal_scores(twin.train, twin.synthetic, ways=(1, 2))
out["map"] = {"details": twin.card["details"], "twin": scores["2-way"]["twin_mean_tvd"],
              "baseline": scores["2-way"]["baseline_mean_tvd"], "same": twin.synthetic.equals(again.synthetic)}
print(json.dumps(out, default=str))
"""


@pytest.fixture(scope="module")
def result():
    return run_in_synth_env(SCRIPT, timeout=600)


def test_the_scatter_network_gives_twinify_s_statistics(result):
    assert result["same"] < 1e-10


def test_the_laplace_mode_fits_noiseless_statistics(result):
    laplace = result["laplace"]
    assert laplace["converged"] and laplace["symmetric"] and laplace["positive"]
    assert laplace["fit"] < 5  # counts out of 3,000 rows, prior N(0, 10^2) barely pulls


def test_map_inference_beats_the_baseline_and_is_recorded(result):
    twin = result["map"]
    assert twin["details"]["inference"] == "posterior mode (MAP)"  # 'auto' above nuts_max_parameters
    assert twin["details"]["laplace"]["converged"]
    assert twin["twin"] < twin["baseline"]
    assert twin["same"]  # same seed, same twin
