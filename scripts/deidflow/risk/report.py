"""Merge risk sections into reports/risk.json and a self-contained reports/risk.html; the gate reads the JSON."""

from __future__ import annotations

import html
import logging
from pathlib import Path
from typing import Any, Iterable

from ..io import atomic_write_json, atomic_write_text, read_json
from ..parts import MANIFEST, RISK


class GateFailed(RuntimeError):
    """A configured risk threshold was broken."""


def inventory_section(counts: dict[str, int], withheld: list[dict], subjects: int,
                      hidden: dict[str, int] | None = None) -> dict:
    """What the study holds and what is withheld because no rule de-identifies it (fail closed). Hidden files
    (.DS_Store, ._*, Thumbs.db, .git) are skipped: one note for the study, by pattern, never their paths."""
    from .plots import bar_chart_svg

    withheld_by_kind: dict[str, int] = {}
    for item in withheld:
        withheld_by_kind[item["kind"]] = withheld_by_kind.get(item["kind"], 0) + 1
    kinds = sorted(counts)
    figure = bar_chart_svg(
        [f"{k} ({withheld_by_kind.get(k, 0)} withheld)" for k in kinds], [counts[k] for k in kinds],
        "Input files by kind", "files",
    )
    return {
        "section": "inventory",
        "title": "Input inventory",
        "figures": [{"title": "Input files by kind (withheld: no enabled rule de-identifies them)", "svg": figure}],
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
    for path in section_files:
        section = read_json(path)
        withheld += section.pop("withheld", [])
        sections.append(section)
    for part in part_dirs:
        part = Path(part)
        manifest = read_json(part / MANIFEST)
        for item in manifest["withheld"]:
            withheld.append({**item, "kind": manifest["part"]})
        if (part / RISK).is_file():
            section = read_json(part / RISK)
            section.setdefault("source", f"{manifest['part']}/{manifest.get('subject') or 'all'}")
            sections.append(section)
    failed = [
        {"section": s.get("section", "?"), "source": s.get("source", ""), **c}
        for s in sections
        for c in s.get("checks", [])
        if not c.get("passed", False)
    ]
    n_checks = sum(len(s.get("checks", [])) for s in sections)
    line = (
        f"risk gate PASSED: {n_checks} checks, {len(withheld)} inputs withheld"
        if not failed
        else f"risk gate FAILED: {len(failed)} of {n_checks} checks failed ({', '.join(sorted({f['name'] for f in failed}))})"
    )
    return {
        "summary": {"passed": not failed, "checks": n_checks, "failed": len(failed), "withheld": len(withheld),
                    "line": line},
        "failed_checks": failed,
        "sections": sections,
        "withheld": sorted(withheld, key=lambda w: (w["source"], w["reason"])),
    }


def write_report(report: dict[str, Any], json_path: str, html_path: str) -> None:
    atomic_write_json(json_path, report)
    atomic_write_text(html_path, render_html(report))


def gate(report_json: str, marker: str, enforce: bool, log: logging.Logger) -> None:
    """Write the marker when every check passed; otherwise fail (or only warn when the gate is off)."""
    report = read_json(report_json)
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


_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:72rem;color:#222;line-height:1.4}
h1{margin-bottom:.2rem} .ok{color:#176b2c} .bad{color:#b00020;font-weight:600}
.banner{padding:.8rem 1rem;border-radius:6px;margin:1rem 0;font-size:1.1rem}
.banner.ok{background:#e3f4e6} .banner.bad{background:#fde7ea}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.9rem} td,th{border:1px solid #ccc;padding:.25rem .5rem;
text-align:left;vertical-align:top} th{background:#f3f3f3} section{border-top:1px solid #ddd;margin-top:1.5rem}
figure{display:inline-block;margin:.5rem;vertical-align:top} figcaption{font-size:.85rem;color:#555}
.metric{font-variant-numeric:tabular-nums}
"""


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return html.escape(str(value))


def _table(rows: list[dict], limit: int = 200) -> str:
    if not rows:
        return "<p>none</p>"
    cols = list(dict.fromkeys(k for r in rows[:limit] for k in r))
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{_cell(r.get(c, ''))}</td>" for c in cols) + "</tr>" for r in rows[:limit])
    more = f"<p>… {len(rows) - limit} more rows in risk.json</p>" if len(rows) > limit else ""
    return f"<table><tr>{head}</tr>{body}</table>{more}"


def _figure(fig: dict) -> str:
    title = html.escape(fig.get("title", ""))
    if "svg" in fig:
        body = fig["svg"]
    elif "png_base64" in fig:
        body = f'<img alt="{title}" src="data:image/png;base64,{fig["png_base64"]}" style="max-width:100%">'
    else:
        return ""
    return f"<figure>{body}<figcaption>{title}</figcaption></figure>"


def render_html(report: dict[str, Any]) -> str:
    """A self-contained page: verdict, failed checks, each section's metrics, checks, figures and tables."""
    summary = report["summary"]
    cls = "ok" if summary["passed"] else "bad"
    out = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>deidflow risk report</title>"
           f"<style>{_CSS}</style></head><body><h1>deidflow risk report</h1>",
           f"<div class='banner {cls}' id='verdict'>{html.escape(summary['line'])}</div>"]
    if report["failed_checks"]:
        out.append("<h2>Failed checks</h2>" + _table(report["failed_checks"]))
    by_name: dict[str, list[dict]] = {}
    for section in report["sections"]:
        by_name.setdefault(section.get("section", "other"), []).append(section)
    for name, group in by_name.items():
        out.append(f"<section id='section-{html.escape(name)}'><h2>{html.escape(group[0].get('title', name))}</h2>")
        metrics = [{"source": s.get("source", "study"), **s.get("metrics", {})} for s in group if s.get("metrics")]
        if metrics:
            out.append(_table(metrics))
        checks = [{"source": s.get("source", "study"), "check": c["name"],
                   "result": "passed" if c.get("passed") else "FAILED", "detail": c.get("detail", "")}
                  for s in group for c in s.get("checks", [])]
        if checks:
            out.append(_table(checks))
        out += [f"<p class='note'>{html.escape(note)}</p>" for s in group for note in s.get("notes", [])]
        for s in group:
            for fig in s.get("figures", []):
                out.append(_figure(fig))
            for tab in s.get("tables", []):
                out.append(f"<h3>{html.escape(tab.get('title', ''))}</h3>" + _table(tab.get("rows", [])))
        out.append("</section>")
    out.append("<section id='withheld'><h2>Withheld inputs (not released)</h2>" + _table(report["withheld"]) +
               "</section></body></html>")
    return "\n".join(out)
