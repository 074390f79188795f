"""What the risk report shows, in the order a data steward decides: the verdict and the checks that decide it, what to
change, what was released and withheld, then one area per kind of risk with labelled, rounded tables and figures.

`build_view(report, public)` turns risk.json into plain data (strings already formatted) for the Jinja2 templates.
The public view leaves out everything that may show an original: figures marked `"private": true` and every raster
figure not marked `"private": false` (QC renders of un-defaced heads, frames that failed a face check), input paths
of withheld files (a folder can be named by a PatientID) and file names inside the withheld reasons.
"""

from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from typing import Any, Callable, Iterable, Mapping

from . import svg

log = logging.getLogger(__name__)

STATES = {"passed": "passed", "failed": "FAILED", "reported": "reported, not gated"}
NEAR = 0.2  # a gated check within 20 % of its limit is shown as near the threshold
MODALITY = {"dicom": "DICOM", "nifti": "NIfTI (MRI)", "photo": "photos", "video": "videos",
            "transcript": "transcripts", "scans": "scans tables", "tables": "tables", "table": "tables",
            "synth": "synthetic twin", "dataset": "dataset description", "dataset_description": "dataset description",
            "unknown": "files no rule knows"}
AREAS = [("tables", "Tables: re-identification risk and information loss"),
         ("synthetic", "Synthetic twin: utility and privacy risk"),
         ("budget", "Privacy budget ledger"),
         ("leaks", "Leak scan coverage"),
         ("faces", "Photos and videos: face checks"),
         ("mri", "MRI defacing"),
         ("transcripts", "Transcripts"),
         ("other", "Other sections")]
# What to change when a check fails or comes near its limit, by check name (first match wins); config keys named.
REMEDIES: list[tuple[str, str]] = [
    (r"k-anonymity|prosecutor risk|released tables assessed",
     "Generalize the quasi-identifiers further (coarser hierarchies under tables.participants.<column>.hierarchy), "
     "raise tables.privacy.k or allow more suppression (tables.privacy.suppression); the gate's limits are "
     "risk.reidentification.preset / .threshold / .k."),
    (r"l-diversity", "Raise tables.privacy.l, generalize the quasi-identifiers further or allow more suppression "
                     "(tables.privacy.suppression); the sensitive column is tables.privacy.sensitive."),
    (r"t-closeness", "Lower the distance by generalizing further, or relax tables.privacy.t."),
    (r"suppression limit", "Suppression went past tables.privacy.suppression: coarsen the hierarchies "
                           "(tables.participants.<column>.hierarchy) or raise the limit."),
    (r"tables: DP budget", "Lower the per-column epsilon under tables.participants.<column> (role noise) or raise "
                           "tables.noise_budget.epsilon."),
    (r"beats independent marginals", "Give the twin more budget (synth.epsilon) or fixed queries (synth.queries); "
                                     "whether this gates is risk.synthetic.require_beats_baseline."),
    (r"anonymeter", "Lower synth.epsilon, synthesize fewer columns (synth.columns), or change the limits in "
                    "risk.synthetic.max_risk; more attacks (risk.synthetic.n_attacks) narrow the interval."),
    (r"privacy budget", "Keep the twin's budget within synth.epsilon / synth.delta (query selection and "
                        "measurement both count)."),
    (r"known identifier", "The detail names the released file and the identifier's kind: give the column a role "
                          "under tables.participants / tables.phenotype, clean DICOM descriptors "
                          "(dicom.clean_descriptors), or list a term in text.deny_list; identifiers.extra adds "
                          "needles."),
    (r"face found", "Blur more: lower media.threshold, raise media.mask_scale or use media.replacement: solid; "
                    "media.verify.min_confidence sets the independent check."),
    (r"metadata", "A tag survived cleaning: the detail names it; report it, the file is not released as it is."),
    (r"brain kept", "Brain voxels were removed: check the registration (mri.registration) or the bound "
                    "mri.max_brain_loss."),
    (r"transcripts", "Add the missed term to text.deny_list or lower text.score_threshold."),
]
# Captions under the charts the view draws: what to read in them.
CAPTIONS = {
    "class_sizes": "Grey: the input; blue: the release. Records in classes below k can be singled out.",
    "risk": "Risk of a record = 1 / its class size; the red line is the gate's threshold.",
    "one_way": "Lower is better: 0 means the column's distribution is reproduced exactly.",
    "two_way": "A twin that learnt how columns relate has shorter blue bars than orange ones.",
    "anonymeter": "Dots: risk estimates; lines: 95 % confidence intervals; red: the configured limit.",
    "needles": "Each identifier is searched in the forms people write it (tokens, initials, digits, date styles).",
    "bytes": "Every released byte is scanned, including decompressed .gz content.",
    "brain": "Red line: the bound an image must stay under (mri.max_brain_loss).",
    "entities": "Replaced by surrogates, consistently within a subject.",
    "release": "Blue: files in the release; orange: inputs withheld with a reason.",
}
PATHLIKE = re.compile(r"\S*(?:/|sub-|ses-)\S*")


# ---------------------------------------------------------------------------------------------- formatting helpers
def pct(value: Any, digits: int = 1) -> str:
    """A fraction as a percentage ('12.5 %'); blank when missing."""
    if value is None or value == "":
        return "–"
    return f"{float(value) * 100:.{digits}f}\u00a0%"  # no break between number and unit


def num(value: Any, digits: int = 3) -> str:
    """A number rounded for people: integers with separators, floats to `digits` significant figures."""
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) < 1e15):
        return f"{int(value):,}"
    if isinstance(value, float):
        return rounded(value, digits)
    return str(value)


def rounded(value: float, digits: int = 3) -> str:
    """`digits` significant figures without an exponent for everyday magnitudes (1,234 / 12.3 / 0.0123)."""
    import math

    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 1e-3:
        decimals = max(0, digits - 1 - math.floor(math.log10(magnitude)))
        return f"{value:.{decimals}f}".rstrip("0").rstrip(".") if decimals else f"{value:.0f}"
    return f"{value:.{digits}g}"


def size(nbytes: Any) -> str:
    """Bytes in the unit people read (kB, MB, GB; powers of 1000)."""
    value = float(nbytes or 0)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f}\u00a0{unit}" if unit == "B" else f"{value:.1f}\u00a0{unit}"
        value /= 1000
    return f"{value:.1f} TB"


def cell(value: Any) -> str:
    """Any metric value as text: numbers rounded, lists joined, mappings as 'key: value' pairs (never a dict repr)."""
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {cell(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(cell(v) for v in value)
    return num(value)


def table(caption: str, columns: list[str], rows: list[list[Any]], note: str = "") -> dict[str, Any]:
    return {"caption": caption, "columns": columns, "rows": [[c if isinstance(c, str) else cell(c) for c in r]
                                                             for r in rows], "note": note}


def humanize(key: str) -> str:
    return key.replace("_", " ")


# -------------------------------------------------------------------------------------------------------- checks
def check_state(check: Mapping[str, Any]) -> str:
    """passed, failed or reported (not gated); a check without `gated` is gated (sections written before the field)."""
    if check.get("state") in STATES:
        return check["state"]
    if check.get("gated", True) is False:
        return "reported"
    return "passed" if check.get("passed") else "failed"


def near_threshold(check: Mapping[str, Any]) -> bool:
    """A passed gated check whose value lies within NEAR of its limit (value and limit given by the section)."""
    value, limit = check.get("value"), check.get("limit")
    if not isinstance(value, (int, float)) or not isinstance(limit, (int, float)) or check_state(check) != "passed":
        return False
    if check.get("higher_is_better"):
        return value <= limit * (1 + NEAR)
    return limit > 0 and value >= limit * (1 - NEAR)


def remedy(name: str) -> str:
    for pattern, text in REMEDIES:
        if re.search(pattern, name, re.IGNORECASE):
            return text
    return "See the check's detail; the section's settings are under the matching config key."


def area_of(section: str) -> str:
    if section == "public_summary":
        return "summary"
    if section in ("reidentification", "tables_privacy", "tables"):
        return "tables"
    if section == "synthetic":
        return "synthetic"
    if section == "leaks":
        return "leaks"
    if section.startswith("media_"):
        return "faces"
    if section == "mri":
        return "mri"
    if section.startswith("transcript"):
        return "transcripts"
    if section == "inventory":
        return "release"
    return "other"


def check_rows(sections: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for s in sections:
        for c in s.get("checks", []):
            state = check_state(c)
            rows.append({"area": area_of(str(s.get("section", ""))), "section": s.get("section", ""),
                         "source": s.get("source", ""), "name": str(c.get("name", "")), "state": state,
                         "label": STATES[state], "detail": str(c.get("detail", "")), "near": near_threshold(c),
                         "outcome": "" if state != "reported" or c.get("passed") is None else
                         ("within its limit" if c.get("passed") else "outside its limit")})
    return rows


# ---------------------------------------------------------------------------------------------------------- areas
def _sections(report: Mapping[str, Any], area: str) -> list[dict[str, Any]]:
    return [s for s in report["sections"] if area_of(str(s.get("section", ""))) == area]


def _figures(sections: Iterable[Mapping[str, Any]], public: bool) -> list[dict[str, Any]]:
    out = []
    for s in sections:
        for fig in s.get("figures", []):
            private = bool(fig.get("private", "png_base64" in fig))
            if public and private:
                continue
            if "svg" in fig:
                out.append({"title": fig.get("title", ""), "svg": fig["svg"], "private": private})
            elif "png_base64" in fig:
                out.append({"title": fig.get("title", ""), "png": fig["png_base64"], "private": private})
    return out


SIZE_BUCKETS = [(1, 1), (2, 2), (3, 4), (5, 9), (10, 19), (20, 49), (50, 10**12)]


def _records_by_class_size(hist: Mapping[str, int]) -> list[int]:
    out = [0] * len(SIZE_BUCKETS)
    for k, classes in hist.items():
        k = int(k)
        for i, (lo, hi) in enumerate(SIZE_BUCKETS):
            if lo <= k <= hi:
                out[i] += k * int(classes)
    return out


def _bucket_label(lo: int, hi: int) -> str:
    return f"{lo}" if lo == hi else (f"{lo}+" if hi > 10**6 else f"{lo}-{hi}")


def tables_area(report: Mapping[str, Any], public: bool) -> dict[str, Any] | None:
    sections = _sections(report, "tables")
    if not sections:
        return None
    area: dict[str, Any] = {"tables": [], "figures": [], "lead": ""}
    reid = next((s for s in sections if s.get("section") == "reidentification"), {})
    privacy = next((s for s in sections if s.get("section") == "tables_privacy"), {})
    thresholds = reid.get("metrics", {}).get("thresholds", {})
    for name, m in sorted(reid.get("metrics", {}).items()):
        if name == "thresholds" or not isinstance(m, Mapping) or "k" not in m:
            continue
        before = m.get("before", {})
        j_after, j_before = m.get("journalist", {}), before.get("journalist", {})
        pop = m.get("population_uniqueness", {})
        rows = [["records", num(before.get("records")), num(m.get("records")), ""],
                ["equivalence classes", num(before.get("classes")), num(m.get("classes")), ""],
                ["smallest class (k)", num(before.get("k")), num(m.get("k")), f"at least {num(thresholds.get('k'))}"],
                ["prosecutor risk, highest", pct(before.get("prosecutor_max")), pct(m.get("prosecutor_max")),
                 f"at most {pct(thresholds.get('threshold'))}"],
                ["prosecutor risk, average", pct(before.get("prosecutor_avg")), pct(m.get("prosecutor_avg")), ""],
                ["marketer risk", pct(before.get("marketer")), pct(m.get("marketer")), ""],
                ["records above the risk threshold", num(before.get("records_at_risk")), num(m.get("records_at_risk")),
                 ""],
                ["sample uniques (classes of one)", num(before.get("sample_uniques")), num(m.get("sample_uniques")),
                 ""]]
        if j_after:
            rows += [["journalist risk, highest", pct(j_before.get("journalist_max")),
                      pct(j_after.get("journalist_max")), j_after.get("source", "")],
                     ["journalist risk, average", pct(j_before.get("journalist_avg")),
                      pct(j_after.get("journalist_avg")), ""]]
        else:
            rows.append(["journalist risk", "–", "–", "needs risk.reidentification.population_size"])
        if pop:
            rows.append(["population uniques (Dankar)", "–", pct(pop.get("dankar"), 2),
                         str(pop.get("dankar_model", ""))])
        qis = ", ".join(m.get("quasi_identifiers", []))
        area["tables"].append(table(f"{name}: re-identification risk before and after de-identification",
                                    ["measure", "before (input)", "after (released)", "gate"], rows,
                                    f"Quasi-identifiers: {qis}. Risk of a record = 1 / its class size."
                                    + ("" if before else " The input table was not assessed (no 'before').")))
        for column, value in sorted(m.get("distinct_l", {}).items()):
            area["tables"][-1]["rows"].append([f"distinct l of {column}", "–", num(value), ""])
        labels = [_bucket_label(lo, hi) for lo, hi in SIZE_BUCKETS]
        series = {"after (released)": _records_by_class_size(m.get("class_size_histogram", {}))}
        if before:
            series = {"before (input)": _records_by_class_size(before.get("class_size_histogram", {})), **series}
        area["figures"].append({"title": CAPTIONS["class_sizes"],
                                "svg": svg.bar_chart(labels, series, title=f"{name}: records by class size",
                                                     unit="records"), "private": False})
        risk_labels = ["prosecutor, highest", "prosecutor, average", "marketer"]
        risk_series = {"after (released)": [m.get("prosecutor_max"), m.get("prosecutor_avg"), m.get("marketer")]}
        if j_after:
            risk_labels.append("journalist, highest")
            risk_series["after (released)"].append(j_after.get("journalist_max"))
        if before:
            risk_series = {"before (input)": [before.get("prosecutor_max"), before.get("prosecutor_avg"),
                                              before.get("marketer")] + ([j_before.get("journalist_max")]
                                                                         if j_after else []), **risk_series}
        area["figures"].append({"title": CAPTIONS["risk"],
                                "svg": svg.bar_chart(risk_labels, risk_series, title=f"{name}: risk per record",
                                                     unit="%", limit=thresholds.get("threshold"),
                                                     limit_label="gate threshold"), "private": False})
    pm = privacy.get("metrics", {})
    if pm:
        levels = pm.get("levels") or {}
        loss = next((m.get("information_loss") for n, m in sorted(reid.get("metrics", {}).items())
                     if isinstance(m, Mapping) and m.get("information_loss")), None) or {}
        if levels or loss:
            columns = list(dict.fromkeys([*levels, *loss]))
            area["tables"].append(table(
                "Information loss per quasi-identifier (participants.tsv)",
                ["quasi-identifier", "generalization level", "distinct values before", "distinct values after",
                 "cells generalized to *"],
                [[q, num(levels.get(q)), num(loss.get(q, {}).get("distinct_before")),
                  num(loss.get(q, {}).get("distinct_after")), pct(loss.get(q, {}).get("suppressed_fraction"))]
                 for q in columns],
                "Level 0 keeps the value as collected; each level up is one step of the column's hierarchy "
                "(tables.participants.<column>.hierarchy). Fewer distinct values after means coarser data."))
        achieved = pm.get("achieved") or {}
        utility = pm.get("utility") or {}
        rows = [[humanize(k), num(v)] for k, v in achieved.items()]
        rows += [["rows suppressed", num(pm.get("suppressed_rows"))],
                 ["DP epsilon spent on noise", num(pm.get("epsilon_spent"))]]
        rows += [[f"utility: {humanize(k)}", num(v)] for k, v in utility.items() if k != "suppressed_rows"]
        area["tables"].append(table("Privacy model achieved and utility (participants.tsv)", ["measure", "value"], rows,
                                    "loss and precision are ARX's measures (0 = nothing lost, 1 = everything); "
                                    "discernibility sums the squared class sizes."))
    return area


def synthetic_area(report: Mapping[str, Any], public: bool) -> dict[str, Any] | None:
    sections = _sections(report, "synthetic")
    if not sections:
        return None
    s = sections[0]
    m = s.get("metrics", {})
    area: dict[str, Any] = {"tables": [], "figures": [], "lead": ""}
    if "skipped" in m:
        area["lead"] = f"No synthetic twin was made: {m['skipped']}"
        return area
    area["tables"].append(table("The twin", ["measure", "value"],
                                [["method", str(m.get("method", ""))], ["epsilon", num(m.get("epsilon"))],
                                 ["delta", num(m.get("delta"))], ["synthetic rows", num(m.get("rows"))],
                                 ["training rows", num(m.get("training_rows"))],
                                 ["held-out control rows", num(m.get("control_rows"))]]))
    utility = m.get("utility", {})
    rows = [[order, num(u.get("marginals")), num(u.get("twin_mean_tvd")), num(u.get("twin_max_tvd")),
             num(u.get("baseline_mean_tvd")), num(u.get("baseline_exact_mean_tvd"))]
            for order, u in utility.items() if isinstance(u, Mapping)]
    if rows:
        area["tables"].append(table("Marginals: total variation distance to the original (0 = same, 1 = disjoint; "
                                    "lower is better)",
                                    ["marginals", "count", "twin, mean", "twin, worst", "independent baseline, mean",
                                     "independence, exact"], rows,
                                    "The baseline draws every column independently from the original: a twin no "
                                    "closer than it on 2-way marginals has learnt nothing about how columns relate."))
    singles = utility.get("per_column") or []
    if singles:
        area["figures"].append({"title": CAPTIONS["one_way"], "private": False, "svg": svg.bar_chart(
            [p["column"] for p in singles], {"synthetic twin": [p["twin_tvd"] for p in singles],
                                              "independent baseline": [p["baseline_tvd"] for p in singles]},
            title="1-way marginals: TVD to the original per column")})
    for single in singles:
        values = single.get("shares") or []
        if values:
            area["figures"].append({"title": f"1-way marginal of {single['column']}: shares of rows per value.",
                                    "private": False,
                                    "svg": svg.bar_chart([str(v["value"]) for v in values],
                                                         {"original": [v["original"] for v in values],
                                                          "synthetic twin": [v["twin"] for v in values],
                                                          "independent baseline": [v["baseline"] for v in values]},
                                                         title=f"{single['column']}: share of rows per value",
                                                         unit="%")})
    pairs = next((t.get("rows", []) for t in s.get("tables", []) if "2-way" in t.get("title", "")), [])
    if pairs:
        area["figures"].append({"title": CAPTIONS["two_way"], "private": False, "svg": svg.bar_chart(
            [p["columns"] for p in pairs], {"synthetic twin": [p["twin_tvd"] for p in pairs],
                                            "independent baseline": [p["baseline_tvd"] for p in pairs]},
            title="2-way marginals: TVD to the original per pair")})
    risks = m.get("anonymeter", {})
    limits = {}
    for c in s.get("checks", []):
        match = re.match(r"anonymeter (\S+) risk", str(c.get("name", "")))
        if match:
            limits[match.group(1)] = (c.get("limit"), check_state(c))
    rows, chart = [], []
    for name, r in risks.items():
        limit, state = limits.get(name, (None, ""))
        if "skipped" in r:
            rows.append([name, "skipped", "–", "–", "–", "–", "–", pct(limit, 0), STATES.get(state, state)])
            continue
        ci = r.get("ci", [None, None])
        rows.append([name, pct(r.get("risk")), f"{pct(ci[0])} – {pct(ci[1])}", num(r.get("attacks")),
                     pct(r.get("attack_rate")), pct(r.get("baseline_rate")), pct(r.get("control_rate")),
                     pct(limit, 0), STATES.get(state, state)])
        chart.append((name, float(r.get("risk", 0)), float(ci[0] or 0), float(ci[1] or 0), limit))
    if rows:
        area["tables"].append(table("anonymeter attacks on the twin (risk = attack success beyond the held-out "
                                    "control, with its 95 % confidence interval)",
                                    ["attack", "risk", "95 % CI", "attacks", "attack success", "random guess",
                                     "control success", "limit", "check"], rows))
    if chart:
        area["figures"].append({"title": CAPTIONS["anonymeter"], "private": False, "svg": svg.interval_chart(
            [c[:4] for c in chart], limits=[c[4] for c in chart], title="anonymeter risk with 95 % CI (red: limit)")})
    return area


def budget_area(report: Mapping[str, Any], public: bool) -> dict[str, Any] | None:
    rows = []
    for s in report["sections"]:
        name = s.get("section")
        m = s.get("metrics", {})
        if name == "tables_privacy" and m.get("epsilon_spent") is not None:
            limit = next((c.get("limit") for c in s.get("checks", []) if c.get("name") == "tables: DP budget"), None)
            rows.append(["tables: DP noise on released columns (OpenDP)", num(m.get("epsilon_spent")), "–",
                         num(limit), "tables.noise_budget.epsilon"])
        if name == "synthetic" and "epsilon" in m:
            budget = m.get("budget") or {}
            configured = m.get("configured_budget") or {}
            for step in ("selection", "measurement"):
                if isinstance(budget.get(step), Mapping):
                    rows.append([f"synthetic twin: query {step}", num(budget[step].get("epsilon")),
                                 num(budget[step].get("delta")), "", ""])
            rows.append(["synthetic twin: total", num(m.get("epsilon")), num(m.get("delta")),
                         f"{num(configured.get('epsilon'))}, {num(configured.get('delta'))}" if configured else "–",
                         "synth.epsilon, synth.delta"])
    if not rows:
        return None
    return {"lead": "Every differentially private mechanism and what it spent. Budgets of separate releases add up.",
            "tables": [table("Privacy budget ledger", ["mechanism", "epsilon", "delta", "budget", "config key"],
                             rows)], "figures": []}


def leaks_area(report: Mapping[str, Any], public: bool) -> dict[str, Any] | None:
    sections = _sections(report, "leaks")
    if not sections:
        return None
    m = sections[0].get("metrics", {})
    area: dict[str, Any] = {"tables": [], "figures": [],
                            "lead": "Every released file and file name is searched for every identifier known from "
                                    "the input, in the forms people write them."}
    area["tables"].append(table("Scan", ["measure", "value"],
                                [["files scanned", num(m.get("files_scanned"))],
                                 ["bytes scanned", size(m.get("bytes_scanned"))],
                                 ["needles (identifier forms searched)", num(m.get("needles"))],
                                 ["hits", num(m.get("hits"))]]))
    kinds = m.get("needles_by_kind") or {}
    if kinds:
        area["tables"].append(table("Needles by kind", ["kind", "needles"], [[k, num(v)] for k, v in kinds.items()]))
        area["figures"].append({"title": CAPTIONS["needles"], "private": False, "svg": svg.bar_chart(
            list(kinds), {"needles": list(kinds.values())}, title="Identifier forms searched, by kind")})
    formats = m.get("scanned_by_format") or {}
    if formats:
        area["tables"].append(table("Released bytes scanned, by format", ["format", "files", "size"],
                                    [[k, num(v.get("files")), size(v.get("bytes"))] for k, v in formats.items()]))
        area["figures"].append({"title": CAPTIONS["bytes"], "private": False, "svg": svg.bar_chart(
            list(formats), {"MB": [round(v.get("bytes", 0) / 1e6, 2) for v in formats.values()]},
            title="Released megabytes scanned, by format")})
    for t in sections[0].get("tables", []):
        rows = t.get("rows", [])
        if rows:
            cols = list(dict.fromkeys(k for r in rows for k in r))
            area["tables"].append(table(t.get("title", "hits"), cols, [[cell(r.get(c, "")) for c in cols]
                                                                       for r in rows]))
    return area


def faces_area(report: Mapping[str, Any], public: bool) -> dict[str, Any] | None:
    sections = _sections(report, "faces")
    if not sections:
        return None
    totals: dict[str, Counter] = defaultdict(Counter)
    subjects: Counter = Counter()
    for s in sections:
        kind = str(s["section"]).removeprefix("media_")
        subjects[kind] += 1
        totals[kind].update({k: v for k, v in s.get("metrics", {}).items() if isinstance(v, (int, float))})
    rows = [[MODALITY.get(k, k), num(subjects[k]), num(t["files"]), num(t["released"]), num(t["withheld"]),
             num(t["faces_blurred"]), num(t["frames"]), num(t["failed_checks"])] for k, t in sorted(totals.items())]
    checks = check_rows(sections)
    failing = [c for c in checks if c["state"] == "failed"]
    area = {"tables": [table("Faces blurred and checked (an independent detector, MTCNN, looks for faces the blur "
                             "missed; exiftool lists the metadata left)",
                             ["kind", "subjects", "files", "released", "withheld", "faces blurred",
                              "frames checked", "failed checks"], rows)],
            "figures": _figures(sections, public),
            "lead": f"{len(checks) - len(failing)} of {len(checks)} per-file checks passed."}
    if failing:
        area["tables"].append(table("Files that failed a check", ["check", "detail"],
                                    [[c["name"], c["detail"]] for c in failing]))
    if public and any("png_base64" in f for s in sections for f in s.get("figures", [])):
        area["lead"] += " Frames that failed a face check are shown only in the private report."
    return area


MRI_COLUMNS = [("file", "file", lambda v: str(v).rsplit("/", 1)[-1]), ("status", "status", str),
               ("brain_loss", "brain loss", lambda v: pct(v, 2)),
               ("nmi", "NMI", lambda v: f"{float(v):.3f}"), ("face_voxels", "face voxels zeroed", num),
               ("face_fraction_of_head", "face share of head", pct), ("scale_min", "scale min", num),
               ("scale_max", "scale max", num), ("translation_mm", "shift (mm)", num),
               ("registration_seconds", "time (s)", num), ("reason", "reason withheld", str)]


def mri_area(report: Mapping[str, Any], public: bool) -> dict[str, Any] | None:
    sections = _sections(report, "mri")
    if not sections:
        return None
    rows = [r for s in sections for t in s.get("tables", []) for r in t.get("rows", [])]
    limit = next((c.get("limit") for s in sections for c in s.get("checks", []) if c.get("limit") is not None), None)
    body = []
    for r in rows:
        line = []
        for key, _, fmt in MRI_COLUMNS:
            value = r.get(key)
            text = "" if value is None else fmt(value)
            if key == "reason" and public:
                text = PATHLIKE.sub("<file>", text)
            line.append(text)
        body.append(line)
    defaced = [r for r in rows if r.get("status") == "defaced"]
    area = {"tables": [table("Defacing per image", [c[1] for c in MRI_COLUMNS], body,
                             f"Brain loss: share of the template's brain voxels zeroed (bound "
                             f"{pct(limit, 2)}, mri.max_brain_loss). NMI: registration quality (mri.min_nmi).")],
            "figures": [], "lead": f"{len(defaced)} of {len(rows)} anatomical images defaced; the rest are withheld."}
    if defaced:
        area["figures"].append({"title": CAPTIONS["brain"], "private": False, "svg": svg.bar_chart(
            [str(r["file"]).rsplit("/", 1)[-1] for r in defaced],
            {"brain loss": [r.get("brain_loss", 0) for r in defaced]},
            title="Brain voxels removed per defaced image", unit="%", limit=limit, limit_label="bound")})
    area["figures"] += _figures(sections, public)
    if public:
        area["lead"] += " QC renders show the face before defacing: they are in the private report only."
    return area


def transcripts_area(report: Mapping[str, Any], public: bool) -> dict[str, Any] | None:
    sections = _sections(report, "transcripts")
    if not sections:
        return None
    entities: Counter = Counter()
    rows = []
    for s in sections:
        m = s.get("metrics", {})
        found = m.get("entities_replaced", {}) or {}
        entities.update(found)
        rows.append([str(s.get("source", s.get("section", ""))).split("/")[-1], num(m.get("released")),
                     num(m.get("withheld")), num(sum(found.values()))])
    area = {"tables": [table("Transcripts per subject", ["subject (pseudonym)", "released", "withheld",
                                                         "identifiers replaced"], rows),
                       table("Identifiers replaced, by type", ["type", "replaced"],
                             [[k, num(v)] for k, v in sorted(entities.items())])],
            "figures": [], "lead": ""}
    if entities:
        area["figures"].append({"title": CAPTIONS["entities"], "private": False, "svg": svg.bar_chart(
            sorted(entities), {"replaced": [entities[k] for k in sorted(entities)]},
            title="Identifiers replaced in transcripts, by type")})
    return area


def other_area(report: Mapping[str, Any], public: bool) -> dict[str, Any] | None:
    return generic_area(_sections(report, "other"), public)


def generic_area(sections: list[dict[str, Any]], public: bool) -> dict[str, Any] | None:
    """Sections no area knows: their metrics as labelled rows (rounded, never a dict repr), tables and figures."""
    if not sections:
        return None
    area: dict[str, Any] = {"tables": [], "figures": _figures(sections, public), "lead": ""}
    for s in sections:
        rows = [[humanize(k), cell(v)] for k, v in s.get("metrics", {}).items()]
        if rows:
            area["tables"].append(table(s.get("title", s.get("section", "")), ["measure", "value"], rows))
        for t in s.get("tables", []):
            data = t.get("rows", [])
            cols = list(dict.fromkeys(k for r in data for k in r))
            area["tables"].append(table(t.get("title", ""), cols, [[cell(r.get(c, "")) for c in cols] for r in data]))
    return area


BUILDERS: dict[str, Callable[[Mapping[str, Any], bool], dict[str, Any] | None]] = {
    "tables": tables_area, "synthetic": synthetic_area, "budget": budget_area, "leaks": leaks_area,
    "faces": faces_area, "mri": mri_area, "transcripts": transcripts_area, "other": other_area}


# -------------------------------------------------------------------------------------------------- the release
def reason_category(reason: str) -> str:
    """A withheld reason without its file names, so files withheld for the same cause group together."""
    return PATHLIKE.sub("<file>", reason).strip()


def release_area(report: Mapping[str, Any], public: bool) -> dict[str, Any]:
    inventory = next((s for s in report["sections"] if s.get("section") == "inventory"), {})
    inputs = {k.removeprefix("files_"): v for k, v in inventory.get("metrics", {}).items() if k.startswith("files_")}
    released = report.get("released", {})
    groups: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for item in report.get("withheld", []):
        label = MODALITY.get(item.get("kind", ""), item.get("kind", ""))
        groups[label][reason_category(str(item.get("reason", "")))].append(str(item.get("source", "")))
    by_label: dict[str, dict[str, int]] = defaultdict(lambda: {"inputs": 0, "released": 0, "withheld": 0})
    for kind, count in inputs.items():
        by_label[MODALITY.get(kind, kind)]["inputs"] += int(count)
    for part, count in released.items():
        by_label[MODALITY.get(part, part)]["released"] += int(count)
    for label, reasons in groups.items():
        by_label[label]["withheld"] += sum(len(v) for v in reasons.values())
    labels = sorted(by_label)
    rows = [[label, num(by_label[label]["inputs"]), num(by_label[label]["released"]), num(by_label[label]["withheld"])]
            for label in labels]
    total_withheld = sum(v["withheld"] for v in by_label.values())
    rows.append(["all", num(sum(v["inputs"] for v in by_label.values())),
                 num(sum(v["released"] for v in by_label.values())), num(total_withheld)])
    withheld = []
    for label in sorted(groups):
        reasons = [{"reason": reason, "count": len(sources), "sources": [] if public else sorted(sources)}
                   for reason, sources in sorted(groups[label].items(), key=lambda kv: (-len(kv[1]), kv[0]))]
        withheld.append({"modality": label, "count": sum(r["count"] for r in reasons), "reasons": reasons})
    figure = svg.bar_chart(labels, {"released files": [by_label[x]["released"] for x in labels],
                                    "withheld inputs": [by_label[x]["withheld"] for x in labels]},
                           title="Released files and withheld inputs, by modality")
    return {"tables": [table("Per modality (the step that handles it)",
                             ["modality", "input files", "released files", "withheld"], rows,
                             "Counts are per step: DICOM series are scrubbed as DICOM by one step and converted to "
                             "NIfTI by another, and each step withholds what it cannot de-identify (a file or a "
                             "whole series), so a modality's released and withheld counts need not add up to its "
                             "input count.")],
            "figures": [{"title": CAPTIONS["release"], "svg": figure, "private": False}],
            "withheld": withheld, "total_withheld": total_withheld,
            "lead": f"{num(sum(released.values()))} files released; {num(total_withheld)} inputs withheld, each "
                    "with a reason (fail closed: what no rule de-identifies is not released)."
                    + "".join(f" {note}." for note in inventory.get("notes", []))}


# ---------------------------------------------------------------------------------------------------- the view
def build_view(report: Mapping[str, Any], public: bool = False) -> dict[str, Any]:
    """Everything the template shows, top first, as already formatted strings."""
    summary = report["summary"]
    checks = check_rows(report["sections"])
    failed = [c for c in checks if c["state"] == "failed"]
    near = [c for c in checks if c["near"]]
    reported = [c for c in checks if c["state"] == "reported"]
    for c in failed + near:
        c["remedy"] = remedy(c["name"])
    for c in reported:
        c["remedy"] = remedy(c["name"]) if c["outcome"] == "outside its limit" else ""
    titles = dict(AREAS)
    by_area: dict[str, dict[str, int]] = {}
    for c in checks:
        counts = by_area.setdefault(c["area"], {"passed": 0, "failed": 0, "reported": 0})
        counts[c["state"]] += 1
    titles.update(release="Release inventory", summary="Public summary: leak scan of risk_summary.html")
    check_groups = [{"area": titles.get(a, a), "counts": counts,
                     "checks": [c for c in checks if c["area"] == a]} for a, counts in by_area.items()]
    areas = []
    for key, title in AREAS:
        try:
            area = BUILDERS[key](report, public)
        except Exception:  # a section this view cannot lay out is shown raw rather than stopping the report
            log.exception("risk report: cannot lay out the %s area; showing its sections as they are", key)
            area = generic_area(_sections(report, key), public)
        if area:
            area.update(id=key, title=title,
                        checks=[c for c in checks if c["area"] == key and c["state"] != "passed"])
            areas.append(area)
    return {
        "public": public,
        "passed": bool(summary.get("passed")),
        "line": summary.get("line", ""),
        "counts": {"passed": sum(c["state"] == "passed" for c in checks), "failed": len(failed),
                   "reported": len(reported), "near": len(near)},
        "failed": failed, "near": near, "reported": reported, "check_groups": check_groups,
        "release": release_area(report, public),
        "areas": areas,
    }
