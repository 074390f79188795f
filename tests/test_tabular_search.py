"""The lattice search finds the same optimum as exhaustive search; Mondrian partitions satisfy the model; bad
inputs stop with errors naming the column and value."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from deidflow.tabular import hierarchies as hz
from deidflow.tabular import lattice, mondrian
from deidflow.tabular.models import PrivacyError, PrivacyModel, passing

ADULT = str(Path(__file__).parent / "data" / "adult")


def small_table(seed: int, n: int = 120) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    rng = np.random.default_rng(seed)
    table = pd.DataFrame({
        "age": rng.integers(18, 90, n).astype(str),
        "zip": rng.choice(["13053", "13068", "13055", "14850", "14853", "14859"], n),
        "sex": rng.choice(["M", "F"], n),
        "disease": rng.choice(["flu", "cancer", "hiv", "cold"], n, p=[0.4, 0.2, 0.1, 0.3]),
    })
    hierarchies = {
        "age": hz.intervals(table["age"], widths=[10, 20, 40]),
        "zip": hz.prefix(table["zip"], steps=3),
        "sex": hz.build({"type": "suppress"}, table["sex"]),
    }
    return table, hierarchies


MODELS = [
    PrivacyModel(k=5),
    PrivacyModel(k=4, suppression=0.05),
    PrivacyModel(k=3, l=2, suppression=0.04),
    PrivacyModel(k=2, l=2, l_kind="entropy", suppression=0.03),
    PrivacyModel(k=2, l=2, l_kind="recursive", c=3, suppression=0.02),
    PrivacyModel(k=2, t=0.2, suppression=0.05),
    PrivacyModel(k=2, t=0.15, t_kind="ordered"),
]


@pytest.mark.parametrize("metric", ["loss", "precision", "discernibility"])
@pytest.mark.parametrize("model", MODELS, ids=lambda m: f"k{m.k}-l{m.l}{m.l_kind}-t{m.t}-s{m.suppression}")
def test_search_finds_the_exhaustive_optimum(model, metric):
    for seed in (1, 2, 3, 4):
        table, hierarchies = small_table(seed, 60 + 40 * seed)
        problem = lattice.encode(table, hierarchies, "disease")
        found = lattice.search(problem, model, metric).best
        oracle = lattice.exhaustive(problem, model, metric)
        assert found.node == oracle.node
        assert found.score == pytest.approx(oracle.score)
        assert found.suppressed <= model.suppression * len(table)


@pytest.mark.parametrize("model", [PrivacyModel(k=5, suppression=0.01), PrivacyModel(k=3, l=2, suppression=0.02),
                                   PrivacyModel(k=2, t=0.25, suppression=0.03),
                                   PrivacyModel(k=2, l=1.5, l_kind="entropy", suppression=0.05)],
                         ids=["k", "k-l", "k-t", "k-entropy-l"])
def test_search_finds_the_exhaustive_optimum_on_an_adult_subset(model):
    """Real hierarchies, and models that are not monotone with suppression (pruning then relies on k alone)."""
    table = pd.read_csv(f"{ADULT}/adult_subset.csv", sep=";", dtype=str)
    qis = ["sex", "age", "race", "marital-status", "education"]
    hierarchies = {c: hz.from_csv(f"{ADULT}/adult_hierarchy_{c}.csv") for c in qis}
    problem = lattice.encode(table, hierarchies, "salary-class")
    found = lattice.search(problem, model)
    oracle = lattice.exhaustive(problem, model)
    assert (found.best.node, round(found.best.score, 10)) == (oracle.node, round(oracle.score, 10))
    assert found.checked < found.nodes


def test_search_prunes_the_lattice():
    table, hierarchies = small_table(3, 400)
    problem = lattice.encode(table, hierarchies, "disease")
    result = lattice.search(problem, PrivacyModel(k=5, suppression=0.02))
    assert result.checked < result.nodes


def test_adult_subset_k5_meets_the_model_and_beats_full_suppression():
    table = pd.read_csv(f"{ADULT}/adult_subset.csv", sep=";", dtype=str)
    qis = ["sex", "age", "race", "marital-status"]
    hierarchies = {c: hz.from_csv(f"{ADULT}/adult_hierarchy_{c}.csv") for c in qis}
    problem = lattice.encode(table, hierarchies, "salary-class")
    best = lattice.search(problem, PrivacyModel(k=5, suppression=0.01)).best
    released = pd.DataFrame(lattice.recode(problem, best.node))
    kept = ~(~best.passed)[best.classes[problem.rows]]
    sizes = released[kept].value_counts()
    assert sizes.min() >= 5
    assert (~kept).sum() <= 0.01 * len(table)
    assert best.score < 1.0


@pytest.mark.parametrize("model", [PrivacyModel(k=5), PrivacyModel(k=3, l=2), PrivacyModel(k=3, t=0.3)])
def test_mondrian_partitions_satisfy_the_model(model):
    table, hierarchies = small_table(4, 300)
    problem = lattice.encode(table, hierarchies, "disease")
    result = mondrian.partition(problem, model)
    released = pd.DataFrame(mondrian.recode(problem, result))
    assert released.value_counts().min() >= model.k
    sens = pd.Index(problem.sensitive_values).get_indexer(table["disease"])
    rows = result.part[problem.rows]
    table_s = np.zeros((len(result.counts), len(problem.sensitive_values)), dtype=np.int64)
    np.add.at(table_s, (rows, sens), 1)
    assert passing(model, result.counts, table_s, np.bincount(sens)).all()
    # multidimensional recoding keeps more detail than one global level for the whole table
    assert result.score < lattice.search(problem, model).best.score


def test_value_absent_from_hierarchy_names_column_and_value():
    table, hierarchies = small_table(5)
    hierarchies["zip"] = hz.prefix(["13053"], steps=2)
    with pytest.raises(hz.HierarchyError, match=r"'zip'.*'13068'|'zip'.*'1\d+'"):
        lattice.encode(table, hierarchies, "disease", "participants.tsv")


def test_mixed_types_in_an_interval_column_name_the_value():
    with pytest.raises(hz.HierarchyError, match="'forty'"):
        hz.intervals(["31", "forty", "52"], widths=[10])


def test_empty_table_missing_column_and_k_too_large_are_clear_errors():
    table, hierarchies = small_table(6, 10)
    with pytest.raises(PrivacyError, match="no rows"):
        lattice.encode(table.iloc[:0], hierarchies, None, "participants.tsv")
    with pytest.raises(PrivacyError, match="'sex'.*missing"):
        lattice.encode(table.drop(columns="sex"), hierarchies, None, "participants.tsv")
    problem = lattice.encode(table, hierarchies, None)
    with pytest.raises(PrivacyError, match="k = 50 is larger than the table"):
        lattice.search(problem, PrivacyModel(k=50))
    with pytest.raises(PrivacyError, match="k = 50 is larger than the table"):
        mondrian.partition(problem, PrivacyModel(k=50))


def test_hierarchy_that_splits_a_group_is_refused(tmp_path):
    bad = tmp_path / "h.csv"
    bad.write_text("a;x;*\nb;x;*\nc;y;*\n")
    ok = hz.from_csv(bad)
    assert hz.height(ok) == 2
    bad.write_text("a;x;p;*\nb;x;q;*\n")
    table = pd.DataFrame({"c": ["a", "b"]})
    with pytest.raises(hz.HierarchyError, match="splits a group"):
        lattice.encode(table, {"c": hz.from_csv(bad)})


def test_generated_hierarchies():
    ages = hz.intervals(["17", "25", "34", "95"], widths=[10, 20], bottom=18, top=90)
    assert ages.loc["25", 1] == "[20, 30)" and ages.loc["17", 1] == "<18" and ages.loc["95", 2] == ">=90"
    assert ages.iloc[:, -1].eq("*").all()
    days = hz.dates(["2001-04-05"])
    assert list(days.loc["2001-04-05"]) == ["2001-04-05", "2001-04", "2001", "2000s", "*"]
    zips = hz.prefix(["13053"], steps=2)
    assert list(zips.loc["13053"]) == ["13053", "1305*", "130**", "*"]
    adult = hz.from_csv(f"{ADULT}/adult_hierarchy_education.csv")
    assert adult.iloc[:, -1].eq("*").all() and "Bachelors" in adult.index
