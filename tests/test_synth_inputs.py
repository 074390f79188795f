"""Bad inputs to the synthetic twin stop with a clear message or are reported as skips (no twinify needed)."""

import pandas as pd
import pytest

from deidflow.synth.encode import Encoding, SynthInputError, choose_method, column_kinds, select_columns
from deidflow.synth.napsu import public_queries, split_budget
from deidflow.synth.twin import split_control, synthesize

TABLE = pd.DataFrame({"sex": ["F", "M"] * 10, "age": ["20-39", "40-59", "60+", "60+"] * 5,
                      "site": ["A"] * 20, "empty": [None] * 20})
SETTINGS = {"columns": ["sex", "age"], "method": "auto", "epsilon": 1.0, "delta": 1e-5, "selection": "public",
            "selection_share": 0.3, "queries": [], "seed": 1, "max_levels": 20, "control_fraction": 0.3,
            "min_rows": 10}


def test_single_valued_and_empty_columns_are_skipped_with_a_reason():
    keep, skipped = select_columns(TABLE, ["sex", "site", "empty"], "participants.tsv")
    assert keep == ["sex"]
    assert {s["column"]: s["reason"] for s in skipped} == {
        "site": "single-valued column: nothing to synthesize", "empty": "every value is missing"}


def test_unknown_column_names_the_file():
    with pytest.raises(SynthInputError, match=r"participants.tsv: columns \['zip'\]"):
        select_columns(TABLE, ["zip"], "participants.tsv")


def test_only_single_valued_columns_is_an_error():
    with pytest.raises(SynthInputError, match="no column left"):
        select_columns(TABLE, ["site"], "participants.tsv")


def test_table_too_small_for_a_control_split():
    with pytest.raises(SynthInputError, match="too few to hold out a control split"):
        split_control(TABLE.head(12), 0.3, seed=1, min_rows=10, source="participants.tsv")


@pytest.mark.parametrize("epsilon", [0, -1.0])
def test_epsilon_must_be_positive(epsilon):
    with pytest.raises(SynthInputError, match="epsilon must be > 0"):
        synthesize(TABLE, {**SETTINGS, "epsilon": epsilon})
    with pytest.raises(ValueError, match="epsilon must be > 0"):
        split_budget(epsilon, 1e-5, "public", 0.3)


def test_budget_split_adds_up():
    budget = split_budget(2.0, 1e-5, "mst", 0.25)
    assert (budget.select_epsilon, budget.measure_epsilon) == (0.5, 1.5)
    assert budget.select_delta + budget.measure_delta == pytest.approx(1e-5)
    assert split_budget(2.0, 1e-5, "public", 0.25).measure_epsilon == 2.0


def test_public_queries_cover_every_column():
    assert public_queries(["a", "b", "c"], None) == [("a", "b"), ("a", "c"), ("b", "c")]
    assert public_queries(["a", "b", "c"], [["a", "b"]]) == [("a", "b"), ("c",)]
    with pytest.raises(ValueError, match="not synthesized"):
        public_queries(["a"], [["a", "z"]])


def test_method_follows_column_types():
    mixed = pd.DataFrame({"sex": ["F", "M"] * 20, "spent": [float(i) * 1.5 for i in range(40)]})
    kinds = column_kinds(mixed, max_levels=20)
    assert kinds == {"sex": "categorical", "spent": "continuous"}
    assert choose_method("auto", kinds) == "dpvi"
    assert choose_method("auto", {"sex": "categorical"}) == "napsu"
    with pytest.raises(SynthInputError, match="NAPSU-MQ needs discrete columns"):
        choose_method("napsu", kinds)


def test_integer_encoding_round_trips_labels_and_missing_values():
    table = pd.DataFrame({"dx": ["flu", None, "asthma", "flu"], "n": ["1", "2", "3", "4"]})
    enc = Encoding.fit(table, {"dx": "categorical", "n": "continuous"})
    codes = enc.encode(table)
    assert codes["dx"].tolist() == [2, 0, 1, 2]  # sorted: <missing>, asthma, flu
    decoded = enc.decode(codes)
    assert decoded["dx"].tolist() == ["flu", "", "asthma", "flu"]
    assert decoded["n"].tolist() == [1, 2, 3, 4]


def test_the_gate_checks_the_budget_was_spent_once_and_within_the_configured_one():
    from deidflow.risk.synthetic import budget_check

    honest = {"epsilon": 1.0, "delta": 1e-5, "budget": split_budget(1.0, 1e-5, "mst", 0.3).as_dict()}
    check = budget_check(honest, {"epsilon": 1.0, "delta": 1e-5})
    assert check["passed"] and check["detail"].startswith("epsilon 1 = 0.3 + 0.7")
    # twinify's own fit(): the full budget on selection and again on measurement, while the card says 1
    double = {**honest, "budget": {"epsilon": 1.0, "delta": 1e-5, "selection": {"epsilon": 1.0, "delta": 1e-5},
                                   "measurement": {"epsilon": 1.0, "delta": 1e-5}}}
    check = budget_check(double, {"epsilon": 1.0, "delta": 1e-5})
    assert not check["passed"] and "spent epsilon 2, delta 2e-05, more than the card's 1, 1e-05" in check["detail"]
    check = budget_check({"epsilon": 2.0, "delta": 1e-5, "budget": {"epsilon": 2.0, "delta": 1e-5}},
                         {"epsilon": 1.0, "delta": 1e-5})
    assert not check["passed"] and "exceed the configured synth budget 1, 1e-05" in check["detail"]
