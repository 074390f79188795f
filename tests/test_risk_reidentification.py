"""Re-identification risk of released tables, checked against hand-computed examples."""

import math

import pandas as pd
import pytest

from deidflow.risk.reidentification import (
    Thresholds,
    assess,
    class_histogram,
    class_sizes,
    journalist_risks,
    population_uniqueness,
    sample_risks,
    zayatz,
)

# Classes over (age, sex): (30,F) x3, (40,M) x2, (50,F) x1  -> sizes 3,3,3,2,2,1
TABLE = pd.DataFrame(
    {
        "age": ["30", "30", "30", "40", "40", "50"],
        "sex": ["F", "F", "F", "M", "M", "F"],
        "diagnosis": ["a", "b", "c", "a", "a", "b"],
    }
)
QIS = ["age", "sex"]


def test_class_sizes_and_histogram_match_hand_count():
    assert class_sizes(TABLE, QIS).tolist() == [3, 3, 3, 2, 2, 1]
    assert class_histogram(TABLE, QIS) == {1: 1, 2: 1, 3: 1}


def test_prosecutor_and_marketer_risk_hand_computed():
    risks = sample_risks(class_sizes(TABLE, QIS), threshold=0.4)
    assert risks["k"] == 1
    assert risks["prosecutor_max"] == 1.0
    # 3 classes over 6 records: average prosecutor risk = 3/6
    assert risks["prosecutor_avg"] == pytest.approx(0.5)
    assert risks["marketer"] == pytest.approx(0.5)
    # records with 1/f > 0.4: the pair (1/2) and the unique (1/1)
    assert risks["records_at_risk"] == 3
    assert risks["sample_uniques"] == 1


def test_missing_values_form_their_own_class():
    table = pd.DataFrame({"age": ["30", None, None], "sex": ["F", "F", "F"]})
    assert class_sizes(table, ["age", "sex"]).tolist() == [1, 2, 2]


def test_unknown_quasi_identifier_is_named():
    with pytest.raises(KeyError, match="zip"):
        class_sizes(TABLE, ["age", "zip"])


def test_journalist_risk_from_population_table():
    # The population holds 6 records of (30,F), 4 of (40,M), 2 of (50,F).
    population = pd.DataFrame({"age": ["30"] * 6 + ["40"] * 4 + ["50"] * 2, "sex": ["F"] * 6 + ["M"] * 4 + ["F"] * 2})
    risks = journalist_risks(TABLE, QIS, population=population, threshold=0.4)
    assert risks["journalist_max"] == pytest.approx(0.5)
    # per record 1/F: 1/6 x3, 1/4 x2, 1/2 -> mean = (0.5 + 0.5 + 0.5)/6
    assert risks["journalist_avg"] == pytest.approx(0.25)
    assert risks["records_at_risk"] == 1


def test_journalist_risk_from_population_size_scales_class_sizes():
    risks = journalist_risks(TABLE, QIS, population_size=60)
    # F = 10 f, so the unique record's risk is 1/10
    assert risks["journalist_max"] == pytest.approx(0.1)


def test_population_smaller_than_sample_is_an_error():
    with pytest.raises(ValueError, match="smaller than the sample"):
        journalist_risks(TABLE, QIS, population_size=3)


def test_zayatz_on_a_census_is_the_number_of_sample_uniques():
    # Sampling fraction 1: every sample unique is a population unique.
    assert zayatz({1: 4, 2: 3}, n=10, population_size=10) == pytest.approx(4.0)


def test_population_uniqueness_zero_without_sample_uniques():
    result = population_uniqueness({2: 5, 3: 2}, n=16, population_size=1000)
    assert result["dankar"] == 0.0


def test_dankar_rule_uses_pitman_for_small_sampling_fractions():
    hist = {1: 40, 2: 20, 3: 10, 5: 6}
    n = sum(size * count for size, count in hist.items())
    result = population_uniqueness(hist, n, population_size=n * 100)
    assert result["sampling_fraction"] <= 0.1
    assert result["dankar_model"] in {"pitman", "zayatz"}
    assert result["dankar"] == result[result["dankar_model"]]
    assert 0 < result["dankar"] < 40 / n  # fewer population uniques than sample uniques, as a share


def test_dankar_rule_takes_the_smaller_of_snb_and_zayatz_for_large_fractions():
    hist = {1: 30, 2: 15, 3: 8, 4: 4}
    n = sum(size * count for size, count in hist.items())
    result = population_uniqueness(hist, n, population_size=int(n / 0.5))
    assert result["dankar_model"] in {"snb", "zayatz"}
    candidates = [v for v in (result["snb"], result["zayatz"]) if v is not None]
    assert result["dankar"] == pytest.approx(min(candidates))


def test_presets_and_gate_checks():
    assert Thresholds.from_config({"preset": "public"}) == Thresholds(0.09, 11)
    assert Thresholds.from_config({"preset": "controlled", "k": 3}) == Thresholds(0.2, 3)
    with pytest.raises(ValueError, match="unknown"):
        Thresholds.from_config({"preset": "secret"})
    safe = pd.DataFrame({"age": ["30"] * 5 + ["40"] * 5, "sex": ["F"] * 10})
    result = assess(safe, QIS, Thresholds.from_config({"preset": "controlled"}), population_size=1000)
    assert all(check["passed"] for check in result["checks"])
    assert result["metrics"]["k"] == 5
    assert result["metrics"]["population_uniqueness"]["dankar"] == 0.0
    failing = assess(TABLE, QIS, Thresholds.from_config({"preset": "controlled"}))
    assert [c["passed"] for c in failing["checks"]] == [False, False]
    assert "achieved k = 1" in failing["checks"][0]["detail"]
    assert not math.isnan(failing["metrics"]["prosecutor_avg"])


def test_tables_section_gates_each_table_holding_the_quasi_identifiers():
    from deidflow.risk.reidentification import distinct_l, tables_section

    assert distinct_l(TABLE, QIS, "diagnosis") == 1
    section = tables_section({"participants.tsv": TABLE, "phenotype/visits.tsv": TABLE[["diagnosis"]]}, QIS,
                             ["diagnosis"], {"preset": "controlled"})
    assert list(k for k in section["metrics"] if k != "thresholds") == ["participants.tsv"]
    assert section["metrics"]["participants.tsv"]["distinct_l"] == {"diagnosis": 1}
    failed = [c["name"] for c in section["checks"] if not c["passed"]]
    assert failed == ["participants.tsv: k-anonymity: every class has at least 5 records",
                      "participants.tsv: prosecutor risk at most 0.2"]
    missing = tables_section({"participants.tsv": TABLE}, ["zip"], [], {})
    assert not missing["checks"][0]["passed"]
