"""Utility of a synthetic twin: marginal TVDs against the independent-marginals baseline."""

import pandas as pd
import pytest

from deidflow.risk.utility import beats_baseline, independence_tvd, marginal_scores, tvd

# a and b perfectly associated: (x,p) and (y,q) half each.
REAL = pd.DataFrame({"a": ["x", "x", "y", "y"], "b": ["p", "p", "q", "q"]})


def test_tvd_hand_computed():
    same = REAL.copy()
    assert tvd(REAL, same, ["a", "b"]) == 0.0
    shuffled = pd.DataFrame({"a": ["x", "x", "y", "y"], "b": ["p", "q", "p", "q"]})
    # real: xp .5, yq .5; shuffled: xp, xq, yp, yq .25 each -> 0.5 * (.25+.25+.25+.25) = 0.5
    assert tvd(REAL, shuffled, ["a", "b"]) == pytest.approx(0.5)
    assert tvd(REAL, shuffled, ["a"]) == 0.0


def test_independence_baseline_hand_computed():
    # product of marginals puts .25 on each of 4 cells; the joint has .5 on two: TVD 0.5
    assert independence_tvd(REAL, ["a", "b"]) == pytest.approx(0.5)
    independent = pd.DataFrame({"a": ["x", "x", "y", "y"], "b": ["p", "q", "p", "q"]})
    assert independence_tvd(independent, ["a", "b"]) == pytest.approx(0.0)


def test_gate_fails_a_twin_that_ignores_associations():
    real = pd.concat([REAL] * 5, ignore_index=True)
    copy_twin = real.copy()
    scores = marginal_scores(real, copy_twin, ways=(1, 2))
    assert beats_baseline(scores)[0]
    broken = pd.DataFrame({"a": ["x", "x", "y", "y"] * 5, "b": ["p", "q", "p", "q"] * 5})
    scores = marginal_scores(real, broken, ways=(1, 2))
    passed, detail = beats_baseline(scores)
    assert not passed and "independent marginals" in detail
    assert scores["1-way"]["twin_mean_tvd"] == 0.0  # perfect 1-way marginals do not hide the broken pairs
    assert scores["2-way"]["baseline_exact_mean_tvd"] == pytest.approx(0.5)
    assert scores["pairs"][0]["columns"] == "a x b"


def test_continuous_columns_are_binned():
    real = pd.DataFrame({"v": list(range(100)), "c": ["a", "b"] * 50})
    synth = pd.DataFrame({"v": [x + 0.3 for x in range(100)], "c": ["a", "b"] * 50})
    scores = marginal_scores(real, synth, ways=(1, 2, 3))
    assert scores["1-way"]["twin_mean_tvd"] < 0.05
    assert "3-way" not in scores


def test_baseline_is_a_sample_of_the_same_size_from_independent_marginals():
    from deidflow.risk.utility import independent_sample

    real = pd.concat([REAL] * 25, ignore_index=True)
    base = independent_sample(real, 40, seed=1)
    assert len(base) == 40 and set(base["a"]) <= {"x", "y"}
    assert independent_sample(real, 40, seed=1).equals(base)  # seeded
    scores = marginal_scores(real, real.sample(40, random_state=0), ways=(2,))
    assert scores["2-way"]["twin_mean_tvd"] < scores["2-way"]["baseline_mean_tvd"]
