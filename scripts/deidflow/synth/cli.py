"""Command line of the synth step, run by `shell:` rules with the twinify environment's interpreter.

Snakemake's `script:` runs the host Python, whose numpy 2 cannot import twinify or anonymeter, so the rules call
`<synth.python> scripts/synthesize.py ...` and this module rebuilds the little of `snakemake` that
`deidflow.provenance.job` needs (rule, files, params, log) from the arguments.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Sequence

import pandas as pd

from ..io import atomic_write_json, read_json
from ..parts import PartWriter
from ..provenance import job

SYNTHETIC_TSV = "derivatives/synthetic/participants_synthetic.tsv"
CARD_JSON = "derivatives/synthetic/participants_synthetic_card.json"
SKIPPED_JSON = "skipped.json"


def _shim(rule: str, inputs: list[str], outputs: list[str], log: str, params: dict[str, Any],
          work_dir: str, secrets_dir: str) -> SimpleNamespace:
    return SimpleNamespace(rule=rule, input=inputs, output=outputs, log=[log], params=params, wildcards={},
                           threads=1, config={"work_dir": work_dir, "secrets_dir": secrets_dir})


def read_table(path: str) -> pd.DataFrame:
    """A released TSV with every value as text (empty cells as missing)."""
    try:
        return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, na_values=[""])
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as err:
        raise ValueError(f"{path}: cannot read the table to synthesize ({err})") from err


def resolve_columns(settings: dict[str, Any], summary_path: str | None) -> list[str]:
    """synth.columns, else the tabular step's quasi-identifiers and sensitive columns (never the pseudonym)."""
    if settings.get("columns"):
        return list(settings["columns"])
    if not summary_path or not Path(summary_path).is_file():
        raise ValueError("synth.columns is empty and no tabular summary gives the quasi-identifiers: set synth.columns")
    summary = read_json(summary_path)
    columns = list(summary.get("quasi_identifiers", [])) + list(summary.get("sensitive", []))
    columns = [c for c in dict.fromkeys(columns) if c != "participant_id"]
    if not columns:
        raise ValueError(f"{summary_path} lists no quasi-identifier or sensitive column: set synth.columns")
    return columns


def cmd_fit(args: argparse.Namespace) -> None:
    from .encode import TooFewRows
    from .twin import synthesize

    settings = json.loads(args.settings)
    shim = _shim("synthesize", [args.input] + ([args.summary] if args.summary else []), [args.output, args.holdout],
                 args.log, settings, args.work_dir, args.secrets_dir)
    with job(shim) as log:
        table = read_table(args.input)
        settings["columns"] = resolve_columns(settings, args.summary)
        holdout = Path(args.holdout)
        holdout.mkdir(parents=True, exist_ok=True)
        try:
            twin = synthesize(table, settings, source=Path(args.input).name)
        except TooFewRows as err:  # a clearly reported skip: no twin is released, no budget is spent
            atomic_write_json(holdout / SKIPPED_JSON, {"skipped": str(err)})
            with PartWriter(args.output, "synth", None) as part:
                part.note(f"no synthetic twin: {err}")
            log.warning("no synthetic twin: %s", err)
            return
        twin.train.to_csv(holdout / "train.tsv", sep="\t", index=False)
        twin.control.to_csv(holdout / "control.tsv", sep="\t", index=False)
        with PartWriter(args.output, "synth", None) as part:
            twin.synthetic.to_csv(part.path(SYNTHETIC_TSV), sep="\t", index=False)
            atomic_write_json(part.path(CARD_JSON), twin.card)
            for skip in twin.card["skipped_columns"]:
                part.note(f"column {skip['column']} not synthesized: {skip['reason']}")
        log.info("%s twin: %d rows, epsilon %.3g, delta %.3g", twin.card["method"], twin.card["rows"],
                 twin.card["epsilon"], twin.card["delta"])


def synthetic_section(train: pd.DataFrame, control: pd.DataFrame, synthetic: pd.DataFrame, card: dict[str, Any],
                      settings: dict[str, Any]) -> dict[str, Any]:
    """The risk section of the twin: utility against the baseline, anonymeter risks, and the gate's checks."""
    from ..risk.synthetic import anonymeter_risks, budget_check, risk_checks
    from ..risk.utility import beats_baseline, comparison_svg, marginal_scores

    ways = (1, 2, 3) if len(train.columns) <= int(settings.get("three_way_max_columns", 8)) else (1, 2)
    scores = marginal_scores(train, synthetic, ways, seed=int(settings.get("seed", 0)))
    passed, detail = beats_baseline(scores)
    # Reported as it is: a twin no better than the baseline is not labelled passed when the gate does not require it.
    gated = bool(settings.get("require_beats_baseline", True))
    checks = [{"name": "synthetic twin beats independent marginals on 2-way marginals", "passed": passed,
               "gated": gated, "detail": detail if gated else f"{detail} (reported, not gated: "
               "risk.synthetic.require_beats_baseline is false)"},
              budget_check(card, settings.get("budget"))]
    risks = anonymeter_risks(train, synthetic, control, settings)
    checks += risk_checks(risks, settings.get("max_risk", {}), int(settings.get("min_attacks", 20)))
    pairs = scores.pop("pairs")
    return {
        "section": "synthetic",
        "title": "Synthetic twin: utility and privacy risk",
        "metrics": {"method": card["method"], "epsilon": card["epsilon"], "delta": card["delta"],
                    "rows": card["rows"], "training_rows": len(train), "control_rows": len(control),
                    "utility": scores, "anonymeter": risks, "budget": card.get("budget") or {},
                    "configured_budget": settings.get("budget") or {}},
        "checks": checks,
        "figures": [{"title": "2-way marginals: TVD of the twin vs independent marginals", "svg": comparison_svg(pairs)}]
        if pairs else [],
        "tables": [{"title": "2-way marginal TVD per pair", "rows": pairs}],
    }


def cmd_risk(args: argparse.Namespace) -> None:
    settings = json.loads(args.settings)
    holdout = Path(args.holdout)
    part = Path(args.part) / "files"
    shim = _shim("risk_synth", [args.holdout, args.part], [args.output], args.log, settings, args.work_dir,
                 args.secrets_dir)
    with job(shim) as log:
        if (holdout / SKIPPED_JSON).is_file():
            reason = read_json(holdout / SKIPPED_JSON)["skipped"]
            atomic_write_json(args.output, {"section": "synthetic", "title": "Synthetic twin: skipped",
                                            "metrics": {"skipped": reason}, "checks": [], "figures": [], "tables": []})
            log.info("synthetic twin skipped: %s", reason)
            return
        train, control = read_table(str(holdout / "train.tsv")), read_table(str(holdout / "control.tsv"))
        synthetic = read_table(str(part / SYNTHETIC_TSV))
        card = read_json(part / CARD_JSON)
        section = synthetic_section(train, control, synthetic, card, settings)
        atomic_write_json(args.output, section)
        log.info("synthetic twin: %d checks, %d failed", len(section["checks"]),
                 sum(not c["passed"] for c in section["checks"]))


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: `fit` makes the twin part, `risk` writes its risk section."""
    parser = argparse.ArgumentParser(prog="deidflow.synth")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("fit", "risk"):
        p = sub.add_parser(name)
        p.add_argument("--settings", required=True, help="the synth (fit) or risk.synthetic (risk) settings as JSON")
        p.add_argument("--holdout", required=True)
        p.add_argument("--output", required=True)
        p.add_argument("--log", required=True)
        p.add_argument("--work-dir", required=True)
        p.add_argument("--secrets-dir", default="")
    sub.choices["fit"].add_argument("--input", required=True)
    sub.choices["fit"].add_argument("--summary", default=None)
    sub.choices["risk"].add_argument("--part", required=True)
    args = parser.parse_args(argv)
    {"fit": cmd_fit, "risk": cmd_risk}[args.command](args)
