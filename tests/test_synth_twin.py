"""End to end in the twinify environment: a NAPSU-MQ twin part with its card, its risk section, and a DPVI twin."""

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ROOT / ".venv-synth/bin/python"
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not PYTHON.exists(), reason="the twinify environment .venv-synth is not built")]
ENV = {"PYTHONPATH": str(ROOT / "scripts"), "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "JAX_PLATFORMS": "cpu",
       "HOME": os.environ.get("HOME", "/tmp")}


def _run(script: str, *args: str) -> None:
    out = subprocess.run([str(PYTHON), str(ROOT / "scripts" / script), *args], capture_output=True, text=True,
                         env=ENV, timeout=400)
    assert out.returncode == 0, out.stderr[-3000:]


@pytest.fixture(scope="module")
def twin(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("synth")
    rng = np.random.default_rng(3)
    n = 60
    age = rng.choice(["20-39", "40-59", "60-79"], n)
    dx = np.where(age == "60-79", rng.choice(["Hypertension", "Diabetes"], n), rng.choice(["Migraine", "Asthma"], n))
    table = pd.DataFrame({"participant_id": [f"sub-{i:03d}" for i in range(n)], "sex": rng.choice(["F", "M"], n),
                          "age": age, "diagnosis": dx, "site": "A"})
    table.to_csv(tmp / "participants.tsv", sep="\t", index=False)
    work = tmp / "work"
    settings = {"columns": ["sex", "age", "diagnosis", "site"], "method": "auto", "epsilon": 4.0, "delta": 1e-5,
                "selection": "public", "selection_share": 0.3, "queries": [["sex", "age"], ["age", "diagnosis"]],
                "seed": 7, "max_levels": 20, "control_fraction": 0.3, "min_rows": 10,
                "napsu": {"num_warmup": 30, "num_samples": 30, "num_chains": 1}}
    part, holdout = work / "parts/synth/_global", work / "synth/holdout"
    _run("synthesize.py", "--settings", json.dumps(settings), "--input", str(tmp / "participants.tsv"),
         "--holdout", str(holdout), "--output", str(part), "--log", str(tmp / "fit.log"), "--work-dir", str(work))
    risk = {"n_attacks": 100, "seed": 1, "secrets": ["diagnosis"], "max_risk": {"singling_out": 0.5}, "min_attacks": 1}
    _run("risk_synth.py", "--settings", json.dumps(risk), "--holdout", str(holdout), "--part", str(part),
         "--output", str(work / "risk/synthetic.json"), "--log", str(tmp / "risk.log"), "--work-dir", str(work))
    return {"part": part, "work": work, "original": table, "log": tmp / "fit.log"}


def test_twin_part_has_synthetic_table_and_true_card(twin):
    files = twin["part"] / "files/derivatives/synthetic"
    synthetic = pd.read_csv(files / "participants_synthetic.tsv", sep="\t", dtype=str)
    assert list(synthetic.columns) == ["sex", "age", "diagnosis"]  # no pseudonym, the constant column skipped
    assert len(synthetic) == 42
    for column in synthetic.columns:  # decoded back to the original labels
        assert set(synthetic[column]) <= set(twin["original"][column])
    card = json.loads((files / "participants_synthetic_card.json").read_text())
    assert (card["method"], card["epsilon"], card["delta"], card["seed"]) == ("NAPSU-MQ", 4.0, 1e-5, 7)
    assert card["budget"]["selection"]["epsilon"] == 0.0 and card["budget"]["measurement"]["epsilon"] == 4.0
    assert card["queries"] == [["sex", "age"], ["age", "diagnosis"]]
    assert card["versions"]["twinify"] == "2.0.0"
    manifest = json.loads((twin["part"] / "manifest.json").read_text())
    assert manifest["notes"] == ["column site not synthesized: single-valued column: nothing to synthesize"]
    assert json.loads((twin["work"] / "provenance/synthesize/all.json").read_text())["tools"]["twinify"] == "2.0.0"


def test_twin_risk_section_reports_utility_against_baseline_and_anonymeter_risks(twin):
    section = json.loads((twin["work"] / "risk/synthetic.json").read_text())
    utility = section["metrics"]["utility"]
    assert {"1-way", "2-way", "3-way"} <= set(utility)
    assert utility["2-way"]["baseline_mean_tvd"] > 0
    risks = section["metrics"]["anonymeter"]
    assert set(risks) == {"singling_out", "linkability", "inference:diagnosis"}
    for result in risks.values():
        assert "skipped" in result or (0 <= result["ci"][0] <= result["risk"] <= result["ci"][1] <= 1)
    names = [c["name"] for c in section["checks"]]
    assert names[0] == "synthetic twin beats independent marginals on 2-way marginals"
    assert any("singling_out risk at most 0.5" in n for n in names)
    assert section["figures"][0]["svg"].startswith("<svg")


DPVI = r"""
import json, numpy as np, pandas as pd
from deidflow.synth.twin import synthesize
rng = np.random.default_rng(0); n = 80
table = pd.DataFrame({"sex": rng.choice(["F", "M"], n), "spent": rng.gamma(2.0, 300.0, n).round(2)})
settings = {"columns": ["sex", "spent"], "method": "auto", "epsilon": 1.0, "delta": 1e-5, "selection": "public",
            "selection_share": 0.3, "queries": [], "seed": 3, "max_levels": 20, "control_fraction": 0.25,
            "min_rows": 10, "dpvi": {"components": 2, "epochs": 5, "subsample_ratio": 0.2}}
twin = synthesize(table, settings)
print(json.dumps({"card": twin.card, "sex": sorted(set(twin.synthetic["sex"])),
                  "spent_numeric": bool(pd.api.types.is_numeric_dtype(twin.synthetic["spent"])),
                  "rows": len(twin.synthetic)}))
"""


def test_mixed_table_gets_a_dpvi_twin():
    out = subprocess.run([str(PYTHON), "-c", DPVI], capture_output=True, text=True, env=ENV, timeout=400)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["card"]["method"] == "DPVI"
    assert (result["card"]["epsilon"], result["card"]["delta"]) == (1.0, 1e-5)
    assert set(result["sex"]) <= {"F", "M"} and result["spent_numeric"] and result["rows"] == 60
