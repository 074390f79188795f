"""Cell-level protection on hand-computed cases and against peers: local suppression (fewest cells to k), MDAV
microaggregation, PRAM with its transition matrix and epsilon, Benedetti-Franconi individual risk against sdcMicro's
published figures, SUDA minimal sample uniques; and the methods wired into a release (pycanon confirms k)."""

from __future__ import annotations

import json
import math
import subprocess

import numpy as np
import pandas as pd
import pytest
from test_tabular_release import PEERS, config, make_study, release

from deidflow.secrets import SecretStore
from deidflow.tabular import microaggregation, pram, risk, suppression
from deidflow.tabular.models import PrivacyError, PrivacyModel
from deidflow.tabular.noise import NoiseStore


def frame(rows: list[str]) -> pd.DataFrame:
    return pd.DataFrame([list(r) for r in rows], columns=["a", "b", "c"][:len(rows[0])])


def test_local_suppression_blanks_the_fewest_cells_by_hand():
    table = frame(["A1x", "A1x", "A2x", "A3x", "B1y", "B1y"])
    out = suppression.local_suppression(table, ["a", "b", "c"], k=2)
    assert out.count == 2 and out.per_column(["a", "b", "c"]) == {"a": 0, "b": 2, "c": 0}
    assert out.table.values.tolist()[2:4] == [["A", "*", "x"], ["A", "*", "x"]]
    assert out.table.values.tolist()[:2] == table.values.tolist()[:2], "records already safe are untouched"


def test_importance_keeps_the_important_column():
    table = frame(["A1", "A2", "B1", "B2"])
    # either column alone reaches k=2; the more important one is kept
    keep_a = suppression.local_suppression(table, ["a", "b"], 2, importance={"a": 5, "b": 1}).table
    keep_b = suppression.local_suppression(table, ["a", "b"], 2, importance={"a": 1, "b": 5}).table
    assert set(keep_a["b"]) == {"*"} and list(keep_a["a"]) == ["A", "A", "B", "B"]
    assert set(keep_b["a"]) == {"*"} and list(keep_b["b"]) == ["1", "2", "1", "2"]


def test_leftovers_are_fully_suppressed_and_topped_up_to_k():
    # three uniques and a class of 5 at k=4: the uniques plus one spare record of the class make the `*` class
    table = frame(["A1x", "B2y", "C3z", "D4w", "D4w", "D4w", "D4w", "D4w"])
    out = suppression.local_suppression(table, ["a", "b", "c"], k=4)
    assert out.table.astype(str).value_counts().to_dict() == {("D", "4", "w"): 4, ("*", "*", "*"): 4}
    assert out.count == 12
    # with no spare record (a class of exactly 4) the class joins the `*` class
    tight = suppression.local_suppression(frame(["A1x", "B2y", "C3z", "D4w", "D4w", "D4w", "D4w"]), ["a", "b", "c"], 4)
    assert (tight.table == "*").all(axis=None)


def test_suppression_refuses_k_over_the_table():
    with pytest.raises(suppression.SuppressionError, match="k = 9 is larger than the table"):
        suppression.local_suppression(frame(["A1x"]), ["a"], 9)


def test_mdav_groups_by_hand():
    table = pd.DataFrame({"x": ["1", "2", "3", "10", "11", "12", "20", "21", "22"]})
    out = microaggregation.mdav(table, ["x"], 3, decimals=0)
    assert out.table["x"].tolist() == ["2", "2", "2", "11", "11", "11", "21", "21", "21"]
    x = np.array([1, 2, 3, 10, 11, 12, 20, 21, 22], float)
    assert out.sse_sst == pytest.approx(6 / ((x - x.mean()) ** 2).sum())
    with pytest.raises(microaggregation.MicroaggregationError, match="column 'x' .*row 3 is not a number"):
        microaggregation.mdav(pd.DataFrame({"x": ["1", "oops", "3"]}), ["x"], 2)


def test_mdav_groups_have_at_least_k_and_keep_the_mean():
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"x": rng.normal(50, 10, 53).round(1).astype(str),
                          "y": rng.integers(0, 100, 53).astype(str)})
    out = microaggregation.mdav(table, ["x", "y"], 5)
    assert np.bincount(out.groups).min() >= 5 and out.table.groupby(["x", "y"]).size().min() >= 5
    assert pd.to_numeric(out.table["x"]).mean() == pytest.approx(pd.to_numeric(table["x"]).mean())


@pytest.mark.parametrize("m, keep", [(2, 0.75), (4, 0.7), (5, 0.2), (3, 0.1)])
def test_randomized_response_epsilon_is_derived_from_the_matrix(m, keep):
    matrix = pram.randomized_response(m, keep)
    assert np.allclose(matrix.sum(axis=1), 1)
    swap = (1 - keep) / (m - 1)
    expected = math.log(keep * (m - 1) / (1 - keep)) if keep >= 1 / m else math.log((1 - keep) / ((m - 1) * keep))
    assert pram.epsilon_of(matrix) == pytest.approx(expected) == pytest.approx(abs(math.log(keep / swap)))
    assert pram.rr_epsilon(m, keep) == pytest.approx(expected)
    assert pram.epsilon_of(np.array([[1.0, 0.0], [0.5, 0.5]])) is None, "a zero next to a non-zero: no DP bound"
    assert pram.epsilon_of(pram.randomized_response(4, 0.25)) == pytest.approx(0.0)


def test_pram_keeps_with_probability_p_and_is_keyed():
    values = pd.Series(["a", "b", "c", "d"] * 1000)
    persons = [f"p{i}" for i in range(len(values))]
    out = pram.pram(values, b"k" * 32, 0.7, persons, "participants.tsv", "dx")
    assert (out.values == values).mean() == pytest.approx(0.7, abs=0.03)
    assert out.epsilon == pytest.approx(math.log(0.7 * 3 / 0.3))
    again = pram.pram(values, b"k" * 32, 0.7, persons, "participants.tsv", "dx")
    other = pram.pram(values, b"j" * 32, 0.7, persons, "participants.tsv", "dx")
    assert again.values.equals(out.values) and not other.values.equals(out.values)
    with pytest.raises(pram.PramError, match="column 'dx' \\(pram\\): a value is not among"):
        pram.pram(values, b"k" * 32, 0.7, persons, "participants.tsv", "dx", categories=["a", "b"])


# sdcMicro's documented example (freqCalc on francdat with weights w, then indivRisk): sample frequency fk,
# weighted population estimate Fk, and the published individual risk rk
# (https://sdctools.github.io/sdcMicro/reference/localSupp.html)
FK = [2, 2, 2, 1, 1, 1, 1, 2]
BIG_FK = [110.0, 84.5, 84.5, 17.0, 541.0, 8.0, 5.0, 110.0]
RK = [0.01714426, 0.02204233, 0.02204233, 0.17707583, 0.01165448, 0.29706308, 0.40235948, 0.01714426]


def test_benedetti_franconi_risk_matches_sdcmicro_published_figures():
    assert [round(risk.bf_risk(f, F), 8) for f, F in zip(FK, BIG_FK)] == RK
    assert risk.bf_risk(3, 3) == pytest.approx(1 / 3), "the sample is the population: 1/f"
    # the same classes as a table (rows 1 and 8 share a key, 2 and 3 share one) with francdat's weights w
    table = pd.DataFrame({"key": ["k0", "k1", "k1", "k3", "k4", "k5", "k6", "k0"]})
    weights = [18, 45.5, 39, 17, 541, 8, 5, 92]
    assert risk.individual_risk(table, ["key"], weights).round(8).tolist() == RK


# sdcMicro's measure_risk example on its testdata (keys urbrur, roof, walls, water, sex; w = sampling_weight), first
# six records: fk, Fk and the published risk (https://sdctools.github.io/sdcMicro/reference/measure_risk.html).
# sdcMicro takes p / (f - (1 - p)) for classes this large; the exact integral agrees to 6 significant digits
LARGE = [(359, 35900, 2.793218e-05), (351, 35100, 2.857061e-05), (161, 16100, 6.249609e-05),
         (150, 15000, 6.710959e-05)]


@pytest.mark.parametrize("f, F, published", LARGE)
def test_benedetti_franconi_risk_of_large_classes_matches_sdcmicro(f, F, published):
    # quadrature over [0, 1] alone returned 2e-19 here: the integrand's mass lies within 1/35,900 of t = 1
    assert risk.bf_risk(f, F) == pytest.approx(published, rel=1e-6)


def test_suda_finds_minimal_sample_uniques_by_hand():
    table = frame(["ax1", "ax1", "ay1", "by1", "by1", "cz3"])
    got = risk.suda(table, ["a", "b", "c"])
    # row 2 is unique on (a, b) only: one MSU of size 2, score (3-2)! = 1, a special unique
    assert got.loc[2].tolist() == [2, 1, 1.0, True]
    # row 5 is unique on each single column: three MSUs of size 1, score 3 * 2! = 6
    assert got.loc[5].tolist() == [1, 3, 6.0, True]
    assert (got.loc[[0, 1, 3, 4], "msus"] == 0).all() and not got.loc[[0, 1, 3, 4], "special_unique"].any()


# SUDA scores published with sdcMicro's suda2 tests (tests/testthat/test_suda2.R): the SDC practice guide's
# 10-record example and the 8-record book example (scores of records 5-8)
GUIDE = pd.DataFrame({
    "Residence": ["Urban"] * 4 + ["Rural"] + ["Urban"] * 5,
    "Gender": ["Female", "Female", "Female", "Male", "Female", "Male", "Female", "Male", "Female", "Female"],
    "Education": ["Secondary incomplete", "Secondary incomplete", "Primary incomplete", "Secondary complete",
                  "Secondary complete", "Secondary complete", "Primary complete", "Post-secondary",
                  "Secondary incomplete", "Secondary incomplete"],
    "Labor": ["Employed", "Employed", "Non-LF", "Employed", "Unemployed", "Employed", "Non-LF", "Unemployed", "Non-LF",
              "Non-LF"]})
BOOK = pd.DataFrame({"age": ["20s"] * 7 + ["60s"], "gender": ["male"] * 4 + ["female"] * 3 + ["male"],
                     "income": ["50k+", "50k+"] + ["50k-"] * 6,
                     "education": ["highschool"] * 4 + ["university", "highschool", "middleschool", "university"]})


def test_suda_scores_match_sdcmicro_published_examples():
    assert risk.suda(GUIDE, list(GUIDE.columns))["score"].tolist() == [0, 0, 6, 0, 12, 0, 6, 10, 0, 0]
    assert risk.suda(BOOK, list(BOOK.columns))["score"].tolist()[4:] == [4, 2, 6, 8]


def test_risk_threshold_selects_the_records_sdcmicro_localsupp_suppresses():
    # localSupp(f, keyVar = "Key4", threshold = 0.15) on francdat: "3 observations has individual risks >= 0.15"
    assert [i for i, r in enumerate(RK) if r >= 0.15] == [3, 5, 6]
    assert sum(risk.bf_risk(f, F) >= 0.15 for f, F in zip(FK, BIG_FK)) == 3


def pycanon_k(path, qis) -> int:
    code = ("import json, sys, pandas as pd\nfrom pycanon import anonymity as a\n"
            "d = pd.read_csv(sys.argv[1], sep='\\t', dtype=str, keep_default_na=False)\n"
            "print(int(a.k_anonymity(d, json.loads(sys.argv[2]))))\n")
    return int(subprocess.run([str(PEERS), "-c", code, str(path), json.dumps(qis)], check=True, capture_output=True,
                              text=True).stdout)


@pytest.mark.parametrize("method", ["local_suppression", "microaggregation"])
def test_cell_methods_in_a_release_reach_k_and_report_record_risk(tmp_path, method):
    study, records = make_study(tmp_path, n=60, seed=7)
    cfg = config(k=5, method=method, weights=20, risk_threshold=0.2, suppressed_rows="drop")
    cfg["participants"]["sex"]["importance"] = 3
    summary, tables, files = release(tmp_path, study, records, cfg)
    main = summary["tables"]["participants.tsv"]
    out = tables["participants.tsv"]
    qis = ["age", "sex", "postcode"]
    assert out.groupby(qis).size().min() >= 5 and main["achieved"]["k"] >= 5
    if PEERS.exists():
        assert pycanon_k(files / "participants.tsv", qis) == main["achieved"]["k"]
    original = pd.read_csv(study / "participants.tsv", sep="\t", dtype=str)
    if method == "local_suppression":
        dropped = 60 - len(out)  # records suppressed whole are dropped (suppressed_rows: drop)
        assert dropped == main["suppressed_rows"]
        assert main["suppressed_cells"] == int((out[qis] == "*").sum().sum()) + 3 * dropped
        kept = out["age"] != "*"
        assert set(out.loc[kept, "age"]) <= set(original["age"]), "unsuppressed cells keep their true value"
        sidecar = json.loads((files / "participants.json").read_text())
        assert "local suppression" in sidecar["age"]["Protection"]
    else:
        ages = pd.to_numeric(out["age"])
        assert ages.value_counts().min() >= 5 and main["microaggregated"]["columns"] == ["age"]
        assert not set(out["age"]) & set(original["age"])
    assert main["record_risk"]["individual"]["records_over"] == 0
    assert main["record_risk"]["suda"]["special_uniques"] == 0


def test_local_suppression_reaches_l_diversity_by_hand():
    table = frame(["A1", "A1", "A2", "A2", "A2"])
    diagnosis = ["flu", "flu", "flu", "asthma", "diabetes"]
    assert suppression.local_suppression(table, ["a", "b"], 2).count == 0, "k=2 alone holds already"
    # A1 holds flu twice: not 2-diverse. No pattern helps (both A1 records are flu), so they are suppressed whole and
    # the `*` class takes one spare record of A2, the one whose value it lacks (asthma, the first of the two)
    out = suppression.local_suppression(table, ["a", "b"], 2, sensitive=diagnosis, model=PrivacyModel(k=2, l=2))
    assert out.table.values.tolist() == [["*", "*"], ["*", "*"], ["A", "2"], ["*", "*"], ["A", "2"]]
    assert out.count == 6
    # entropy l=2 needs a uniform pair at least: {flu, flu, asthma} is not, and A2 has no spare record left -> all `*`
    entropy = suppression.local_suppression(table, ["a", "b"], 2, sensitive=diagnosis,
                                            model=PrivacyModel(k=2, l=2, l_kind="entropy"))
    assert (entropy.table == "*").all(axis=None)


def test_local_suppression_with_l_uses_the_pattern_that_keeps_both_values():
    table = frame(["A1", "A2", "B1", "B1"])
    # rows 1 and 2 are unique; blanking b joins them as A* holding flu and asthma: 2 cells, k=2 and l=2
    out = suppression.local_suppression(table, ["a", "b"], 2, sensitive=["flu", "asthma", "flu", "asthma"],
                                        model=PrivacyModel(k=2, l=2))
    assert out.table.values.tolist() == [["A", "*"], ["A", "*"], ["B", "1"], ["B", "1"]] and out.count == 2
    # the same table with flu on both A rows: A* would hold one value, so they cannot be protected by b alone
    same = suppression.local_suppression(table, ["a", "b"], 2, sensitive=["flu", "flu", "flu", "asthma"],
                                         model=PrivacyModel(k=2, l=2))
    assert (same.table == "*").all(axis=None)
    with pytest.raises(suppression.SuppressionError, match="l = 3 \\(distinct\\) cannot be reached: the whole"):
        suppression.local_suppression(table, ["a", "b"], 2, sensitive=["flu", "flu", "flu", "asthma"],
                                      model=PrivacyModel(k=2, l=3))


def pycanon_l(path, qis, sensitive) -> int:
    code = ("import json, sys, pandas as pd\nfrom pycanon import anonymity as a\n"
            "d = pd.read_csv(sys.argv[1], sep='\\t', dtype=str, keep_default_na=False)\n"
            "print(int(a.l_diversity(d, json.loads(sys.argv[2]), [sys.argv[3]])))\n")
    return int(subprocess.run([str(PEERS), "-c", code, str(path), json.dumps(qis), sensitive], check=True,
                              capture_output=True, text=True).stdout)


@pytest.mark.parametrize("method", ["local_suppression", "microaggregation"])
def test_cell_methods_reach_k_and_l_diversity_in_a_release(tmp_path, method):
    study, records = make_study(tmp_path, n=40, seed=3)
    summary, tables, files = release(tmp_path, study, records, config(k=3, l=2, method=method))
    main = summary["tables"]["participants.tsv"]
    out = tables["participants.tsv"]
    qis = ["age", "sex", "postcode"]
    assert out.groupby(qis)["diagnosis"].nunique().min() >= 2 and out.groupby(qis).size().min() >= 3
    assert main["achieved"]["l_distinct"] >= 2 and main["achieved"]["k"] >= 3
    if PEERS.exists():
        assert pycanon_l(files / "participants.tsv", qis, "diagnosis") == main["achieved"]["l_distinct"]


def test_cell_methods_refuse_t_closeness_and_a_table_that_is_not_l_diverse(tmp_path):
    study, records = make_study(tmp_path, n=30)
    with pytest.raises(PrivacyError, match="t-closeness needs method recoding"):
        release(tmp_path, study, records, config(k=3, t=0.2, method="local_suppression"))
    with pytest.raises(PrivacyError, match="column 'diagnosis' \\(sensitive\\): l = 9 \\(distinct\\) cannot be"):
        release(tmp_path, study, records, config(k=3, l=9, method="local_suppression"), "l9")


def test_pram_in_a_release_records_the_matrix_and_charges_the_ledger_once(tmp_path):
    study, records = make_study(tmp_path, n=40)
    cfg = config(k=2)
    cfg["participants"]["diagnosis"] = {"role": "pram", "keep": 0.7}
    summary, tables, files = release(tmp_path, study, records, cfg, "a", NoiseStore(SecretStore(tmp_path / "s")))
    sidecar = json.loads((files / "participants.json").read_text())["diagnosis"]
    assert sidecar["transition_matrix"][0] == [0.7, 0.1, 0.1, 0.1] and sidecar["epsilon"] == pytest.approx(
        math.log(0.7 * 3 / 0.3))
    assert summary["ledger"]["person_epsilon_max"] == pytest.approx(0.5 + math.log(7))
    again, tables2, _ = release(tmp_path, study, records, cfg, "b", NoiseStore(SecretStore(tmp_path / "s")))
    assert tables2["participants.tsv"]["diagnosis"].tolist() == tables["participants.tsv"]["diagnosis"].tolist()
    assert again["ledger"]["releases"] == 1 and again["ledger"]["person_epsilon_max"] == pytest.approx(
        0.5 + math.log(7))


def aggregate_config(release: str = "both") -> dict:
    cfg = config(k=2)
    cfg["participants"]["income"]["epsilon"] = 0.2
    cfg["release"] = release
    cfg["aggregates"] = [
        {"name": "by_sex", "kind": "count", "groups": {"sex": ["F", "M", "X"]}, "epsilon": 0.3},
        {"name": "diagnosis_by_sex", "kind": "histogram", "column": "diagnosis", "groups": {"sex": ["F", "M"]},
         "categories": ["flu", "asthma", "diabetes", "migraine"], "epsilon": 0.2},
        {"name": "income_mean", "kind": "mean", "column": "income", "groups": {"sex": ["F", "M"]}, "lower": 0,
         "upper": 100000, "epsilon": 0.3, "decimals": 0},
    ]
    return cfg


def test_dp_aggregates_are_released_charged_and_reused(tmp_path):
    study, records = make_study(tmp_path, n=200, seed=11)
    cfg = aggregate_config()
    summary, tables, files = release(tmp_path, study, records, cfg, "a", NoiseStore(SecretStore(tmp_path / "s")))
    original = pd.read_csv(study / "participants.tsv", sep="\t", dtype=str)
    counts = pd.read_csv(files / "derivatives/aggregates/by_sex.tsv", sep="\t", dtype=str, keep_default_na=False)
    assert counts["sex"].tolist() == ["F", "M", "X"], "one row per declared key, absent ones too"
    truth = original["sex"].value_counts()
    got = dict(zip(counts["sex"], counts["count"].astype(int)))
    assert all(abs(got[s] - truth.get(s, 0)) < 40 for s in got)  # Laplace scale 1/0.3: |noise| < 40 w.p. 1 - 1e-5
    hist = pd.read_csv(files / "derivatives/aggregates/diagnosis_by_sex.tsv", sep="\t", dtype=str)
    assert len(hist) == 8 and set(hist.columns) == {"sex", "diagnosis", "count"}
    means = pd.read_csv(files / "derivatives/aggregates/income_mean.tsv", sep="\t")
    assert means["mean"].between(0, 100000).all()
    card = json.loads((files / "derivatives/aggregates/income_mean.json").read_text())
    assert card["sum_scale"] == pytest.approx(100000 / 0.15) and card["epsilon"] == 0.3
    assert summary["epsilon_spent"] == pytest.approx(0.2 + 0.8)
    assert summary["ledger"]["person_epsilon_max"] == pytest.approx(1.0)
    assert "participants.tsv" in tables
    again, _, files2 = release(tmp_path, study, records, cfg, "b", NoiseStore(SecretStore(tmp_path / "s")))
    assert (files2 / "derivatives/aggregates/by_sex.tsv").read_bytes() == \
        (files / "derivatives/aggregates/by_sex.tsv").read_bytes(), "same data: the stored aggregate, no new spend"
    assert again["ledger"]["releases"] == 1 and again["ledger"]["person_epsilon_max"] == pytest.approx(1.0)


def test_aggregates_only_withholds_the_rows_and_undeclared_keys_are_refused(tmp_path):
    study, records = make_study(tmp_path, n=30)
    paths = [study / "participants.tsv", study / "phenotype" / "visits.tsv"]
    from deidflow.parts import PartWriter
    from deidflow.tabular.release import release_study
    with PartWriter(tmp_path / "p", "tables", None) as writer:
        summary = release_study(paths, study, aggregate_config("aggregates"), records, b"k" * 32, writer)
    assert not (tmp_path / "p" / "files" / "participants.tsv").exists()
    assert (tmp_path / "p" / "files" / "derivatives" / "aggregates" / "by_sex.tsv").exists()
    assert "participants_withheld" in summary and summary["quasi_identifiers"] == []
    cfg = aggregate_config()
    cfg["aggregates"][0]["groups"] = {"sex": []}
    with pytest.raises(Exception, match="declare the keys of group column 'sex'"):
        release(tmp_path, study, records, cfg, "c")
    cfg = aggregate_config()
    cfg["noise_budget"]["epsilon"] = 0.5
    with pytest.raises(Exception, match="tables.aggregates spend epsilon 1 but tables.noise_budget.epsilon is 0.5"):
        release(tmp_path, study, records, cfg, "d")


@pytest.mark.skipif(not PEERS.exists(), reason="the peers venv (.venv-peers, suda) is built by `make test`")
def test_smallest_msu_agrees_with_the_suda_package(tmp_path):
    rng = np.random.default_rng(8)
    table = pd.DataFrame({c: rng.choice(list("abcd")[:n], 60) for c, n in (("a", 2), ("b", 3), ("c", 4), ("d", 3))})
    path = tmp_path / "t.csv"
    table.to_csv(path, index=False)
    code = ("import sys, json, pandas as pd\nfrom suda import suda\n"
            "d = pd.read_csv(sys.argv[1], dtype=str)\n"
            "r = suda(d, max_msu=4)\nprint(json.dumps([int(x) for x in r['msu'].sort_index()]))\n")
    peer = json.loads(subprocess.run([str(PEERS), "-c", code, str(path)], check=True, capture_output=True,
                                     text=True).stdout)
    ours = risk.suda(table, list(table.columns), 4)
    assert ours["msu_min"].tolist() == peer
    assert (ours["msu_min"] > 0).sum() > 10, "the table has sample uniques to find"
