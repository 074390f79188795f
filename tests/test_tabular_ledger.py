"""The release ledger: a second release with a new subject reuses every value already released, draws only for the
new (or changed) values, and reports and caps the cumulative epsilon per person; a sensitivity below the bounds is
refused."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from test_tabular_release import config, make_study, release

from deidflow.secrets import SecretStore
from deidflow.subjects import SubjectRecord
from deidflow.tabular.noise import BudgetError, NoiseSpec, NoiseStore
from deidflow.tabular.release import risk_section


def add_subject(study, records, income: str = "4321") -> dict:
    """Append participant P900 to participants.tsv and visits.tsv; the records with its pseudonym."""
    table = pd.read_csv(study / "participants.tsv", sep="\t", dtype=str)
    row = table.iloc[[0]].copy()
    row["participant_id"], row["income"], row["email"] = "sub-P900", income, "new@example.org"
    pd.concat([table, row]).to_csv(study / "participants.tsv", sep="\t", index=False)
    visits = pd.read_csv(study / "phenotype" / "visits.tsv", sep="\t", dtype=str)
    extra = visits.iloc[[0]].copy()
    extra["participant_id"] = "sub-P900"
    pd.concat([visits, extra]).to_csv(study / "phenotype" / "visits.tsv", sep="\t", index=False)
    return {**records, "XNEW": SubjectRecord("P900", "XNEW", 5)}


def incomes(tables) -> dict[str, str]:
    out = tables["participants.tsv"]
    return dict(zip(out["participant_id"], out["income"]))


@pytest.fixture
def first(tmp_path):
    study, records = make_study(tmp_path, n=20)
    cfg = config(k=2)
    cfg["noise_budget"]["person_epsilon"] = 0.75
    summary, tables, _ = release(tmp_path, study, records, cfg, "r1", NoiseStore(SecretStore(tmp_path / "s")))
    return tmp_path, study, records, cfg, summary, tables


def test_second_release_reuses_old_values_and_draws_only_for_the_new_subject(first):
    tmp, study, records, cfg, summary1, tables1 = first
    assert summary1["ledger"] == {"releases": 1, "persons": 20, "person_epsilon_max": 0.5, "person_delta_max": 0.0,
                                  "columns": {"participants.tsv:income": {"epsilon": 0.5, "delta": 0.0,
                                                                          "covered": 20, "drawn": 20, "reused": 0}}}
    records = add_subject(study, records)
    summary2, tables2, _ = release(tmp, study, records, cfg, "r2", NoiseStore(SecretStore(tmp / "s")))
    old, new = incomes(tables1), incomes(tables2)
    assert {p: new[p] for p in old} == old, "values already released are released again unchanged"
    assert "sub-XNEW" in new and 0 <= float(new["sub-XNEW"]) <= 100000
    ledger = summary2["ledger"]
    assert ledger["releases"] == 2 and ledger["persons"] == 21
    assert ledger["columns"]["participants.tsv:income"] == {"epsilon": 0.5, "delta": 0.0, "covered": 21, "drawn": 1,
                                                            "reused": 20}
    assert ledger["person_epsilon_max"] == 0.5, "nobody was charged twice"
    check = [c for c in risk_section(summary2, cfg)["checks"] if c["name"] == "tables: cumulative DP loss per person"]
    assert check[0]["passed"] and "0.5, cap 0.75" in check[0]["detail"] and "2 release(s)" in check[0]["detail"]
    stored = json.loads((tmp / "s" / NoiseStore.NAME).read_text())
    assert [len(r["columns"]["participants.tsv:income"]["drawn"]) for r in stored["releases"]] == [20, 1]
    assert stored["persons"]["sub-XNEW"]["epsilon"] == 0.5
    summary3, tables3, _ = release(tmp, study, records, cfg, "r3", NoiseStore(SecretStore(tmp / "s")))
    assert incomes(tables3) == new and summary3["ledger"]["releases"] == 2, "a rerun draws nothing and adds nothing"


def test_a_changed_value_is_drawn_again_charged_and_gated(first):
    tmp, study, records, cfg, _, tables1 = first
    table = pd.read_csv(study / "participants.tsv", sep="\t", dtype=str)
    table.loc[3, "income"] = str(int(table.loc[3, "income"]) + 1)
    table.to_csv(study / "participants.tsv", sep="\t", index=False)
    ledger_file = tmp / "s" / NoiseStore.NAME
    before = ledger_file.read_bytes()
    with pytest.raises(BudgetError, match=r"1 person\(s\) would reach a cumulative epsilon of 1 .*"
                                          r"tables.noise_budget.person_epsilon is 0.75"):
        release(tmp, study, records, cfg, "r2", NoiseStore(SecretStore(tmp / "s")))
    assert ledger_file.read_bytes() == before and not (tmp / "r2").exists(), "a refused release records nothing"
    cfg["noise_budget"]["person_epsilon"] = 1.0
    summary, tables2, _ = release(tmp, study, records, cfg, "r2", NoiseStore(SecretStore(tmp / "s")))
    assert summary["ledger"]["person_epsilon_max"] == 1.0
    assert summary["ledger"]["columns"]["participants.tsv:income"]["drawn"] == 1
    changed = tables2["participants.tsv"]["participant_id"][3]
    assert {p: v for p, v in incomes(tables2).items() if p != changed} == \
        {p: v for p, v in incomes(tables1).items() if p != changed}


def test_the_risk_check_fails_when_a_ledger_exceeds_the_cap():
    summary = {"epsilon_spent": 0.5, "ledger": {"releases": 3, "person_epsilon_max": 1.5}}
    check = risk_section(summary, {"noise_budget": {"person_epsilon": 1.0}})["checks"][-1]
    assert check["name"] == "tables: cumulative DP loss per person" and not check["passed"]


def test_a_sensitivity_below_the_bounds_is_refused_naming_the_key():
    cfg = {"role": "noise", "epsilon": 1.0, "lower": 0, "upper": 100, "sensitivity": 10}
    with pytest.raises(BudgetError, match="column 'income': sensitivity 10 is below upper - lower = 100"):
        NoiseSpec.from_config("income", cfg)
    assert NoiseSpec.from_config("income", {**cfg, "sensitivity": 100}).d_in == 100
