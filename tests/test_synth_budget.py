"""The twin's privacy budget is spent once: twinify's own fit() would spend it twice, the driver does not."""

import ast
import subprocess
from pathlib import Path

import pytest

from conftest import SYNTH_PYTHON, run_in_synth_env

pytestmark = pytest.mark.skipif(not SYNTH_PYTHON.exists(), reason="the twinify environment .venv-synth is not built")


def _twinify_source() -> str:
    out = subprocess.run([str(SYNTH_PYTHON), "-c", "import twinify.napsu_mq.napsu_mq as m; print(m.__file__)"],
                         capture_output=True, text=True, check=True)
    return Path(out.stdout.strip()).read_text()


def test_twinify_fit_without_query_sets_spends_epsilon_twice():
    """Read twinify 2.0.0's NapsuMQModel.fit: MST selection and the measurement both get the full epsilon."""
    tree = ast.parse(_twinify_source())
    fit = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "fit")
    calls = {}
    for node in ast.walk(fit):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            calls[name] = [ast.unparse(a) for a in node.args]
    assert calls["MST_selection"][1:3] == ["epsilon", "delta"]
    assert calls["sigma"][:2] == ["epsilon", "delta"]


SPY = r"""
import json, sys
import numpy as np, pandas as pd
import twinify.mst, twinify.napsu_mq.privacy_accounting as acc, twinify.napsu_mq.maximum_entropy_inference as mei
from twinify.napsu_mq import NapsuMQModel
from deidflow.synth.twin import synthesize

calls = {"mst": [], "sigma": [], "stats": []}
real_mst, real_sigma = twinify.mst.MST_selection, acc.sigma
def mst(data, eps, delta, **kw):
    calls["mst"].append([eps, delta]); return real_mst(data, eps, delta, **kw)
def sigma(eps, delta, sens, *a, **kw):
    calls["sigma"].append([eps, delta, sens]); return real_sigma(eps, delta, sens, *a, **kw)
class Fake:
    def __init__(self, d): self.d = d
    def get_samples(self): return {"norm_lambdas": np.zeros((3, self.d))}
def mcmc(rng, stats, n, sigma_dp, network, laplace_approx, **kw):
    calls["stats"].append(np.asarray(stats).round(6).tolist()); return Fake(len(stats)), lambda x: x
def refuse(*a, **k): raise AssertionError("twinify's own fit() must not be used")
twinify.mst.MST_selection, acc.sigma, NapsuMQModel.fit = mst, sigma, refuse
mei.run_numpyro_mcmc_normalised = mcmc

rng = np.random.default_rng(0); n = 60
table = pd.DataFrame({"sex": rng.choice(["F", "M"], n), "age": rng.choice(["20-39", "40-59", "60+"], n),
                      "dx": rng.choice(["a", "b", "c"], n)})
base = {"columns": ["sex", "age", "dx"], "method": "auto", "epsilon": 1.0, "delta": 1e-5, "selection_share": 0.3,
        "queries": [], "seed": 5, "max_levels": 20, "control_fraction": 0.25, "min_rows": 10}
out = {}
for selection in ("public", "mst"):
    calls.update(mst=[], sigma=[])
    twin = synthesize(table, {**base, "selection": selection})
    if selection == "public":
        first_train = twin.train
    out[selection] = {"mst": list(calls["mst"]), "sigma": list(calls["sigma"]), "card": twin.card,
                      "values": sorted(set(twin.synthetic["age"]))}
again = synthesize(table, {**base, "selection": "public"})
out["same_noise"] = calls["stats"][0] == calls["stats"][-1]
out["same_split"] = again.train.equals(first_train)
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def spied():
    return run_in_synth_env(SPY, timeout=300)


def test_public_queries_spend_the_whole_budget_once_on_measurement(spied):
    public = spied["public"]
    assert public["mst"] == []
    assert public["sigma"] == [[1.0, 1e-5, pytest.approx((2 * 3) ** 0.5)]]
    card = public["card"]
    assert (card["epsilon"], card["delta"]) == (1.0, 1e-5)
    assert card["queries"] == [["sex", "age"], ["sex", "dx"], ["age", "dx"]]
    assert card["method"] == "NAPSU-MQ" and card["seed"] == 5 and card["training_rows"] == 45
    assert set(public["values"]) <= {"20-39", "40-59", "60+"}  # decoded back to the original labels


def test_mst_selection_and_measurement_split_the_budget(spied):
    mst = spied["mst"]
    assert mst["mst"] == [[pytest.approx(0.3), pytest.approx(3e-6)]]
    assert [s[:2] for s in mst["sigma"]] == [[pytest.approx(0.7), pytest.approx(7e-6)]]
    budget = mst["card"]["budget"]
    assert budget["selection"]["epsilon"] + budget["measurement"]["epsilon"] == pytest.approx(mst["card"]["epsilon"])
    assert mst["card"]["epsilon"] == 1.0


def test_same_seed_same_split_and_same_noise(spied):
    assert spied["same_split"] and spied["same_noise"]
