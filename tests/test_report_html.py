"""The risk report's content: three check states, the gate on gated checks only, every withheld input listed and
counted once, rounded labelled numbers, and a public summary without private figures, input paths or identifiers."""

from __future__ import annotations

import base64
import json
import re

import pytest

from deidflow.risk.leaks import Scanner, build_needles
from deidflow.risk.report import GateFailed, build_report, gate, inventory_section, summarize, write_report
from deidflow.risk.view import build_view, check_state

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n-an-original-face-").decode()
PRIVATE_SVG = "<svg xmlns='http://www.w3.org/2000/svg' width='4' height='4'><desc>un-defaced head</desc></svg>"


def _section(tmp_path, name: str, body: dict) -> str:
    path = tmp_path / f"{name.replace(':', '_')}.json"
    path.write_text(json.dumps({"section": name, **body}))
    return str(path)


def _part(tmp_path, part: str, subject: str, produced: list[str], withheld: list[dict], risk: dict | None = None):
    folder = tmp_path / "parts" / part / subject
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps({"part": part, "subject": subject, "produced": produced,
                                                      "withheld": withheld, "notes": []}))
    if risk:
        (folder / "risk.json").write_text(json.dumps(risk))
    return str(folder)


@pytest.fixture
def study_report(tmp_path):
    """Sections like a real run's: nested metrics with long floats, a reported-not-gated check that is outside its
    limit, MRI QC renders, 300 withheld DICOM files from parts and 20 unknown inputs from the inventory."""
    inventory = _section(tmp_path, "inventory", inventory_section(
        {"dicom": 320, "unknown": 20, "table": 3},
        [{"source": f"sub-ab12/beh/sub-ab12_note{i}.docx", "kind": "unknown", "reason": "no rule handles .docx"}
         for i in range(20)], 3))
    reid = _section(tmp_path, "reidentification", {
        "title": "Re-identification", "metrics": {
            "thresholds": {"threshold": 0.2, "k": 5},
            "participants.tsv": {"k": 5, "records": 40, "classes": 6, "prosecutor_max": 0.2,
                                 "prosecutor_avg": 0.16666666666666666, "marketer": 0.15, "records_at_risk": 0,
                                 "sample_uniques": 0, "quasi_identifiers": ["age", "sex"],
                                 "class_size_histogram": {"5": 2, "6": 1, "12": 2},
                                 "before": {"k": 1, "records": 40, "classes": 38, "prosecutor_max": 1.0,
                                            "prosecutor_avg": 0.95, "marketer": 0.95, "records_at_risk": 37,
                                            "sample_uniques": 36, "class_size_histogram": {"1": 36, "2": 2}}}},
        "checks": [{"name": "participants.tsv: k-anonymity: every class has at least 5 records", "passed": True,
                    "value": 5, "limit": 5, "higher_is_better": True, "detail": "achieved k = 5"}]})
    synth = _section(tmp_path, "synthetic", {
        "title": "Synthetic twin", "metrics": {
            "method": "NAPSU-MQ", "epsilon": 8.0, "delta": 1e-5, "rows": 30, "training_rows": 28, "control_rows": 12,
            "budget": {"selection": {"epsilon": 0.0, "delta": 0.0}, "measurement": {"epsilon": 8.0, "delta": 1e-5}},
            "configured_budget": {"epsilon": 8.0, "delta": 1e-5},
            "utility": {"1-way": {"marginals": 2, "twin_mean_tvd": 0.1234567890123, "twin_max_tvd": 0.2,
                                  "baseline_mean_tvd": 0.1, "baseline_exact_mean_tvd": 0.0},
                        "2-way": {"marginals": 1, "twin_mean_tvd": 0.7179, "twin_max_tvd": 0.7179,
                                  "baseline_mean_tvd": 0.4872, "baseline_exact_mean_tvd": 0.3},
                        "per_column": [{"column": "age", "twin_tvd": 0.1, "baseline_tvd": 0.05}]},
            "anonymeter": {"singling_out": {"risk": 0.05, "ci": [0.0, 0.11], "attack_rate": 0.1, "baseline_rate": 0.02,
                                            "control_rate": 0.06, "attacks": 12}}},
        "checks": [{"name": "synthetic twin beats independent marginals on 2-way marginals", "passed": False,
                    "gated": False, "detail": "mean 2-way TVD 0.7179 (twin) vs 0.4872 (independent marginals)"},
                   {"name": "anonymeter singling_out risk", "passed": True, "gated": False, "value": 0.05,
                    "limit": 0.2, "detail": "reported, not gated: 12 attacks"}],
        "tables": [{"title": "2-way marginal TVD per pair",
                    "rows": [{"columns": "age x sex", "twin_tvd": 0.7179, "baseline_tvd": 0.4872}]}]})
    mri = {"section": "mri", "title": "MRI defacing", "metrics": {"images_defaced": 1},
           "checks": [{"name": "brain kept in sub-ab12/anat/sub-ab12_T1w.nii.gz", "passed": True, "value": 0.0,
                       "limit": 0.01, "detail": "0.000% removed"}],
           "figures": [{"title": "sub-ab12/anat/sub-ab12_T1w.nii.gz: before and after", "png_base64": PNG},
                       {"title": "un-defaced render", "svg": PRIVATE_SVG, "private": True}],
           "tables": [{"title": "MRI defacing per image", "rows": [
               {"file": "sub-ab12/anat/sub-ab12_T1w.nii.gz", "status": "defaced", "brain_loss": 0.0, "nmi": 1.4965}]}]}
    dicom_withheld = [{"source": f"sourcedata/dicom/sub-ab12/JodiCastro_T1/IM{i:04d}",
                       "reason": "T1w series: its pixels can show the face"} for i in range(300)]
    parts = [_part(tmp_path, "dicom", "ab12", ["sub-ab12/dicom/x.dcm"] * 5, dicom_withheld),
             _part(tmp_path, "nifti", "ab12", ["sub-ab12/anat/sub-ab12_T1w.nii.gz"], [], mri)]
    return build_report([inventory, reid, synth], parts)


def test_three_check_states_and_the_gate_decides_on_gated_checks_only(study_report, tmp_path):
    states = {c["name"]: check_state(c) for s in study_report["sections"] for c in s.get("checks", [])}
    assert states["synthetic twin beats independent marginals on 2-way marginals"] == "reported"
    assert states["participants.tsv: k-anonymity: every class has at least 5 records"] == "passed"
    assert check_state({"name": "an old section's check", "passed": False}) == "failed"  # no `gated`: gated
    assert study_report["summary"]["passed"] and study_report["summary"]["reported"] == 2
    write_report(study_report, str(tmp_path / "risk.json"), str(tmp_path / "risk.html"))
    gate(str(tmp_path / "risk.json"), str(tmp_path / "gate.passed"), True, __import__("logging").getLogger())
    # one gated failure anywhere fails it, and the gate names it
    study_report["sections"][1]["checks"].append({"name": "tables: DP budget", "passed": False, "detail": "over"})
    study_report = summarize(study_report)
    write_report(study_report, str(tmp_path / "risk.json"), str(tmp_path / "risk.html"))
    with pytest.raises(GateFailed, match="tables: DP budget"):
        gate(str(tmp_path / "risk.json"), str(tmp_path / "gate2.passed"), True, __import__("logging").getLogger())


def test_report_lists_every_withheld_input_once_and_the_counts_agree(study_report, tmp_path):
    write_report(study_report, str(tmp_path / "risk.json"), str(tmp_path / "risk.html"))
    page = (tmp_path / "risk.html").read_text()
    assert study_report["summary"]["withheld"] == 320
    assert "320 inputs withheld" in page
    for i in range(300):  # no cut-off: every file, in an expandable list
        assert f"JodiCastro_T1/IM{i:04d}</li>" in page
    view = build_view(study_report)
    rows = {r[0]: r for r in view["release"]["tables"][0]["rows"]}
    assert rows["DICOM"][3] == "300" and rows["files no rule knows"][3] == "20" and rows["all"][3] == "320"
    assert rows["DICOM"][2] == "5"  # released files come from the parts' manifests
    assert re.search(r"<span class=\"count\">300</span> × T1w series: its pixels can show the face", page)


def test_report_shows_rounded_labelled_numbers_not_python_reprs(study_report, tmp_path):
    write_report(study_report, str(tmp_path / "risk.json"), str(tmp_path / "risk.html"))
    page = (tmp_path / "risk.html").read_text()
    text = re.sub(r"data:image/png;base64,[^\"']+", "", page)
    assert "{'" not in text and "0.16666666666666666" not in text and "0.1234567890123" not in text
    assert not re.search(r"\d\.\d{7,}", text)
    assert "16.7\u00a0%" in page and "100.0\u00a0%" in page  # prosecutor risk after and before, as percentages
    view = build_view(study_report)
    # the reported twin check is shown as reported with its measured outcome and a remedy naming config keys
    twin = next(c for c in view["reported"] if c["name"].startswith("synthetic twin beats"))
    assert twin["label"] == "reported, not gated" and twin["outcome"] == "outside its limit"
    assert "synth.epsilon" in twin["remedy"]
    # k exactly at its limit is a passed check near the threshold, with what to change
    near = [c["name"] for c in view["near"]]
    assert "participants.tsv: k-anonymity: every class has at least 5 records" in near
    assert {a["id"] for a in view["areas"]} >= {"tables", "synthetic", "budget", "mri"}


def test_public_summary_has_no_private_figure_input_path_or_identifier(study_report, tmp_path):
    needles = build_needles({"subjects": {"ab12": [{"value": "Jodi Castro", "kind": "name", "column": "full_name"}]},
                             "global": []})
    out = write_report(study_report, str(tmp_path / "risk.json"), str(tmp_path / "risk.html"),
                       str(tmp_path / "risk_summary.html"), Scanner(needles))
    public = (tmp_path / "risk_summary.html").read_text()
    private = (tmp_path / "risk.html").read_text()
    assert PNG in private and "un-defaced head" in private  # the secure-area report keeps them
    assert PNG not in public and "<img" not in public and "un-defaced head" not in public
    assert "sourcedata/" not in public and "JodiCastro" not in public
    assert "300" in public and "Public summary" in public
    check = next(c for s in out["sections"] if s["section"] == "public_summary" for c in s["checks"])
    assert check["passed"] and out["summary"]["passed"]
    assert not Scanner(needles).scan_bytes(public.encode(), "risk_summary.html")


def test_an_identifier_in_the_summary_fails_the_gate_and_withholds_the_summary(study_report, tmp_path):
    # a section that (wrongly) names a value in a check detail: the summary's own leak scan catches it
    study_report["sections"][1]["checks"].append({"name": "a careless check", "passed": True,
                                                  "detail": "found Jodi Castro in a file"})
    needles = build_needles({"subjects": {"ab12": [{"value": "Jodi Castro", "kind": "name", "column": "full_name"}]},
                             "global": []})
    out = write_report(summarize(study_report), str(tmp_path / "risk.json"), str(tmp_path / "risk.html"),
                       str(tmp_path / "risk_summary.html"), Scanner(needles))
    assert not out["summary"]["passed"]
    assert "Jodi" not in (tmp_path / "risk_summary.html").read_text()
    with pytest.raises(GateFailed, match="public summary"):
        gate(str(tmp_path / "risk.json"), str(tmp_path / "gate.passed"), True, __import__("logging").getLogger())


def test_ungated_synthetic_checks_are_reported_with_their_outcome_not_passed():
    from deidflow.risk.synthetic import risk_checks

    risks = {"singling_out": {"risk": 0.5, "ci": [0.3, 0.7], "attacks": 8, "attack_rate": 0.6, "control_rate": 0.1},
             "linkability": {"skipped": "ValueError: too few records"},
             "inference:diagnosis": {"risk": 0.1, "ci": [0.0, 0.2], "attacks": 400, "attack_rate": 0.2,
                                     "control_rate": 0.1}}
    checks = {c["name"]: c for c in risk_checks(risks, {"singling_out": 0.2, "inference": 0.2}, min_attacks=20)}
    few = checks["anonymeter singling_out risk"]
    assert check_state(few) == "reported" and few["passed"] is False  # too few attacks to gate, and over its limit
    assert check_state(checks["anonymeter linkability risk"]) == "reported"
    assert checks["anonymeter linkability risk"]["passed"] is None
    assert check_state(checks["anonymeter inference:diagnosis risk at most 0.2"]) == "passed"


def test_tables_section_measures_the_input_before_de_identification():
    import pandas as pd

    from deidflow.risk.reidentification import tables_section

    original = pd.DataFrame({"age": [str(20 + i) for i in range(10)], "sex": ["F", "M"] * 5, "dx": ["a"] * 10})
    released = pd.DataFrame({"age": ["[20-30["] * 10, "sex": ["*"] * 10, "dx": ["a"] * 10})
    section = tables_section({"participants.tsv": released}, ["age", "sex"], ["dx"], {"preset": "controlled"},
                             originals={"participants.tsv": original})
    metrics = section["metrics"]["participants.tsv"]
    assert metrics["before"]["k"] == 1 and metrics["before"]["sample_uniques"] == 10
    assert metrics["before"]["prosecutor_max"] == 1.0 and metrics["k"] == 10
    loss = metrics["information_loss"]
    assert loss["age"] == {"distinct_before": 10, "distinct_after": 1, "suppressed_fraction": 0.0}
    assert loss["sex"]["suppressed_fraction"] == 1.0


def test_a_disabled_leak_scan_is_reported_not_passed(tmp_path):
    from deidflow.risk.leaks_section import leak_scan_section

    ids = tmp_path / "ids.json"
    ids.write_text(json.dumps({"subjects": {}, "global": []}))
    section = leak_scan_section([], ids, enabled=False)
    assert check_state(section["checks"][0]) == "reported" and section["checks"][0]["passed"] is None


def test_a_section_no_area_knows_is_shown_as_labelled_rounded_rows(tmp_path):
    other = _section(tmp_path, "eeg", {"title": "EEG headers",
                                       "metrics": {"files": 3, "scrubbed": {"edf": 0.123456789}},
                                       "checks": [{"name": "eeg: no name in headers", "passed": True, "detail": "ok"}]})
    report = build_report([other], [])
    write_report(report, str(tmp_path / "risk.json"), str(tmp_path / "risk.html"))
    page = (tmp_path / "risk.html").read_text()
    assert 'id="section-other"' in page and "EEG headers" in page
    assert "<td>edf: 0.123</td>" in page and "{'" not in page


def test_one_way_marginals_show_original_twin_and_baseline_per_value():
    import numpy as np
    import pandas as pd

    from deidflow.risk.utility import marginal_scores

    rng = np.random.default_rng(0)
    real = pd.DataFrame({"dx": rng.choice(["asthma", "copd", "none"], 200),
                         "age": rng.integers(18, 90, 200).astype(str)})
    twin = real.assign(dx="none")  # a twin that lost the diagnosis column's spread
    columns = {c["column"]: c for c in marginal_scores(real, twin, (1, 2))["per_column"]}
    dx = {v["value"]: v for v in columns["dx"]["shares"]}
    assert dx["none"]["twin"] == 1.0 and dx["asthma"]["twin"] == 0.0
    assert abs(sum(v["original"] for v in dx.values()) - 1) < 1e-3
    assert [v["value"] for v in columns["age"]["shares"]][:2] == ["quantile bin 1", "quantile bin 2"]
    section = {"section": "synthetic", "metrics": {"method": "NAPSU-MQ", "epsilon": 1.0, "delta": 1e-5,
                                                   "utility": {"per_column": list(columns.values())}},
               "checks": [], "tables": []}
    view = build_view({"summary": {"passed": True, "line": "x"}, "sections": [section], "withheld": []})
    synthetic = next(a for a in view["areas"] if a["id"] == "synthetic")
    assert any(f["title"].startswith("1-way marginal of dx") and "asthma" in f["svg"] for f in synthetic["figures"])


def test_suppression_at_its_limit_is_flagged_near_the_threshold_with_the_config_key():
    from deidflow.tabular.release import risk_section

    summary = {"participants": {"achieved": {"k": 7, "l_distinct": 2}, "suppressed_rows": 2, "rows_in": 20},
               "epsilon_spent": 0.2}
    section = risk_section(summary, {"privacy": {"k": 5, "l": 2, "suppression": 0.1},
                                     "noise_budget": {"epsilon": 1.0}})
    view = build_view({"summary": {"passed": True, "line": "x"}, "sections": [section], "withheld": []})
    near = {c["name"]: c for c in view["near"]}
    assert set(near) == {"tables: suppression limit", "tables: distinct l-diversity"}  # k 7 vs 5 and DP 0.2 vs 1: not
    assert "tables.privacy.suppression" in near["tables: suppression limit"]["remedy"]
