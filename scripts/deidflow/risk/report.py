"""Merge risk sections into reports/risk.json, the private reports/risk.html (secure area) and the public
reports/risk_summary.html (may travel with the release); the gate reads the JSON.

A check is in one of three states: passed, failed, or reported (`"gated": false`: measured and shown, never deciding
the release). Checks written without `gated` are gated, so sections from older runs read the same.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Iterable

from ..io import atomic_write_json, atomic_write_text, read_json
from ..parts import MANIFEST, RISK
from .view import build_view, check_state

TEMPLATES = Path(__file__).with_name("templates")
SUMMARY_CHECK = "public summary: no known identifier in risk_summary.html"


class GateFailed(RuntimeError):
    """A configured risk threshold was broken."""


def inventory_section(counts: dict[str, int], withheld: list[dict], subjects: int,
                      hidden: dict[str, int] | None = None) -> dict:
    """What the study holds and what is withheld because no rule de-identifies it (fail closed). Hidden files
    (.DS_Store, ._*, Thumbs.db, .git) are skipped: one note for the study, by pattern, never their paths."""
    # No figure here: the report draws released and withheld per modality from every part's manifest too, so the
    # counts agree with the verdict (this section alone only knows the kinds no part consumes).
    return {
        "section": "inventory",
        "title": "Input inventory",
        "figures": [],
        "metrics": {"subjects": subjects, "input_files": sum(counts.values()), "withheld_inputs": len(withheld),
                    "hidden_files_skipped": sum((hidden or {}).values()),
                    **{f"files_{k}": v for k, v in sorted(counts.items())}},
        "checks": [],
        "withheld": withheld,
        **({"notes": [hidden_note(hidden)]} if hidden else {}),
    }


def hidden_note(hidden: dict[str, int]) -> str:
    """One line for the hidden files the study holds (counted by pattern; never blocking, never a path)."""
    listed = ", ".join(f"{pattern} ×{count}" for pattern, count in sorted(hidden.items()))
    return f"{sum(hidden.values())} hidden file(s) skipped (file-manager and version-control leftovers): {listed}"


def build_report(section_files: Iterable[str], part_dirs: Iterable[str]) -> dict[str, Any]:
    """All sections (global ones and each part's), the withheld inputs and the gate's verdict."""
    sections: list[dict[str, Any]] = []
    withheld: list[dict] = []
    released: dict[str, int] = {}
    for path in section_files:
        section = read_json(path)
        withheld += section.pop("withheld", [])
        sections.append(section)
    for part in part_dirs:
        part = Path(part)
        manifest = read_json(part / MANIFEST)
        released[manifest["part"]] = released.get(manifest["part"], 0) + len(manifest.get("produced", []))
        for item in manifest["withheld"]:
            withheld.append({**item, "kind": manifest["part"]})
        if (part / RISK).is_file():
            section = read_json(part / RISK)
            section.setdefault("source", f"{manifest['part']}/{manifest.get('subject') or 'all'}")
            sections.append(section)
    return summarize({"sections": sections, "withheld": sorted(withheld, key=lambda w: (w["source"], w["reason"])),
                      "released": dict(sorted(released.items()))})


def summarize(report: dict[str, Any]) -> dict[str, Any]:
    """(Re)compute the verdict from the sections: only gated checks decide it; reported ones are counted apart."""
    sections, withheld = report["sections"], report["withheld"]
    states = [(s, c, check_state(c)) for s in sections for c in s.get("checks", [])]
    failed = [{"section": s.get("section", "?"), "source": s.get("source", ""), **c}
              for s, c, state in states if state == "failed"]
    gated = sum(state != "reported" for _, _, state in states)
    reported = len(states) - gated
    also = f", {reported} reported (not gated)" if reported else ""
    line = (
        f"risk gate PASSED: {gated} checks{also}, {len(withheld)} inputs withheld"
        if not failed
        else f"risk gate FAILED: {len(failed)} of {gated} checks failed "
        f"({', '.join(sorted({f['name'] for f in failed}))})"
    )
    report["summary"] = {"passed": not failed, "checks": gated, "failed": len(failed), "reported": reported,
                         "withheld": len(withheld), "line": line}
    report["failed_checks"] = failed
    return {"summary": report["summary"], "failed_checks": failed, "sections": sections, "withheld": withheld,
            "released": report.get("released", {})}


def write_report(report: dict[str, Any], json_path: str, html_path: str, summary_path: str | None = None,
                 scanner: Any = None) -> dict[str, Any]:
    """Write risk.json, the private risk.html and (when asked) the public summary.

    The summary is scanned like a released file (`scanner`: a deidflow.risk.leaks.Scanner over the study's
    identifiers); its result is one more gated check, and a summary with a hit is replaced by a page that says so.
    """
    if summary_path is not None:
        report["sections"] = [s for s in report["sections"] if s.get("section") != "public_summary"]
        section = {"section": "public_summary", "title": "Public summary", "metrics": {},
                   "checks": [{"name": SUMMARY_CHECK, "passed": True, "detail": "not scanned"}]}
        report["sections"].append(section)
        report = summarize(report)
        public = render_html(report, public=True)
        hits = scanner.scan_bytes(public.encode("utf-8"), "risk_summary.html") if scanner is not None else None
        check = section["checks"][0]
        if hits is None:
            check.update(gated=False, passed=None, detail="not scanned: no identifiers given to the report rule")
        elif hits:
            check.update(passed=False, detail="; ".join(h.describe() for h in hits[:20]))
        else:
            check.update(detail=f"scanned {len(public.encode('utf-8')):,} bytes: no identifier value found")
        section["metrics"] = {"bytes": len(public.encode("utf-8")), "hits": len(hits or [])}
        report = summarize(report)
        public = render_html(report, public=True)
        if hits:
            public = ("<!doctype html><html lang='en'><head><meta charset='utf-8'><title>withheld</title></head><body>"
                      "<p id='verdict'>The public summary was withheld: the leak scan found an identifier in it. "
                      "See the private risk.html.</p></body></html>")
        atomic_write_text(summary_path, public)
    atomic_write_json(json_path, report)
    atomic_write_text(html_path, render_html(report))
    return report


def gate(report_json: str, marker: str, enforce: bool, log: logging.Logger) -> None:
    """Write the marker when every check passed; otherwise fail (or only warn when the gate is off)."""
    report = summarize(read_json(report_json))  # the verdict recomputed: gated checks only decide it
    summary = report["summary"]
    log.info(summary["line"])
    print(summary["line"])
    if not summary["passed"]:
        lines = [f"- [{f['section']}] {f['name']}: {f.get('detail', '')}"[:2000] for f in report["failed_checks"]]
        message = f"{summary['line']}\n" + "\n".join(lines) + f"\nSee {Path(report_json).with_suffix('.html')}"
        if enforce:
            raise GateFailed(message)
        log.warning("gate disabled (risk.gate: false); releasing anyway:\n%s", message)
    atomic_write_text(marker, summary["line"] + "\n")


def render_html(report: dict[str, Any], public: bool = False) -> str:
    """One self-contained page from the Jinja2 template: the private report, or the public summary (`public`)."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True, trim_blocks=False,
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    return env.get_template("report.html.j2").render(v=build_view(report, public=public))
