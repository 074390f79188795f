"""The real report of a workflow run, opened in headless Chromium (Debian's, driven by Playwright, offline): every
section present and visible, the verdict visible without scrolling, no console error, no request leaving the file,
a screenshot kept as an artifact; and the public summary carries no face render, input path or original label and
passes the leak scan."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
from pathlib import Path

import pytest

from conftest import ROOT

pytestmark = pytest.mark.workflow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
HAS_PLAYWRIGHT = importlib.util.find_spec("playwright") is not None
needs_browser = pytest.mark.skipif(CHROMIUM is None or not HAS_PLAYWRIGHT,
                                   reason="needs Debian chromium (make sysdeps) and playwright (envs/core.txt)")

# Which report area a risk section is shown in (what the run's risk.json holds decides which areas must be there).
AREA = {"reidentification": "tables", "tables_privacy": "tables", "synthetic": "synthetic", "leaks": "leaks",
        "media_photo": "faces", "media_video": "faces", "mri": "mri"}


def expected_sections(report: dict) -> set[str]:
    names = {s["section"] for s in report["sections"]}
    expected = {"decision", "release"} | {AREA[n] for n in names if n in AREA}
    if any(n.startswith("transcript:") for n in names):
        expected.add("transcripts")
    return expected


def _artifact(path: Path) -> None:
    target = os.environ.get("DEIDFLOW_ARTIFACTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, Path(target) / path.name)


def open_report(page_file: Path, shots: Path, width: int = 1280, height: int = 900) -> dict:
    """Open a report offline; return what the browser saw: console errors, requests, section visibility, verdict."""
    from playwright.sync_api import sync_playwright

    seen: dict = {"errors": [], "requests": []}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.on("console", lambda m: seen["errors"].append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: seen["errors"].append(str(e)))

            def route(r):
                seen["requests"].append(r.request.url)
                r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort()

            page.route("**/*", route)
            page.goto(page_file.as_uri(), wait_until="load")
            box = page.locator("#verdict").bounding_box()
            seen["verdict_text"] = page.locator("#verdict").inner_text()
            seen["verdict_above_fold"] = box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height
            seen["sections"] = {s.get_attribute("id").removeprefix("section-"): s.is_visible()
                                for s in page.locator("section").all()}
            seen["images"] = page.locator("img").count()
            shot = shots / f"{page_file.stem}.png"
            page.screenshot(path=str(shot), full_page=True)
            top = shots / f"{page_file.stem}_top.png"
            page.screenshot(path=str(top))
            seen["shots"] = [shot, top]
            pdf = shots / f"{page_file.stem}.pdf"
            page.emulate_media(media="print")
            page.pdf(path=str(pdf), format="A4")
            seen["pdf_bytes"] = pdf.stat().st_size
        finally:
            browser.close()
    for path in seen["shots"]:
        _artifact(path)
    return seen


@needs_browser
@pytest.mark.parametrize("name", ["risk.html", "risk_summary.html"])
def test_real_report_renders_in_chromium(workflow_run, tmp_path, name):
    run = workflow_run[0]
    report = json.loads((run / "reports" / "risk.json").read_text())
    seen = open_report(run / "reports" / name, tmp_path)
    assert not seen["errors"], seen["errors"]
    assert all(u.startswith(("file:", "data:")) for u in seen["requests"]), seen["requests"]
    assert seen["verdict_above_fold"], "the verdict is visible without scrolling"
    assert seen["verdict_text"] == report["summary"]["line"]
    missing = expected_sections(report) - {k for k, visible in seen["sections"].items() if visible}
    assert not missing, f"sections missing or hidden: {missing}"
    assert seen["pdf_bytes"] > 10_000, "prints to PDF"
    assert all(p.stat().st_size > 20_000 for p in seen["shots"])
    if name == "risk.html":
        assert seen["images"] >= 1, "the private report keeps the MRI QC renders"
    else:
        assert seen["images"] == 0, "the public summary shows no raster image (no face render)"


def test_public_summary_has_no_face_render_or_original_and_passes_the_leak_scan(workflow_run):
    from deidflow.risk.leaks import Scanner, build_needles
    from deidflow.risk.leaks_section import collect_identifiers

    run = workflow_run[0]
    public = (run / "reports" / "risk_summary.html").read_bytes()
    report = json.loads((run / "reports" / "risk.json").read_text())
    assert b"data:image/png" not in public and b"<img" not in public
    assert b"sourcedata/" not in public  # no input path (folders can carry a PatientID)
    subjects = json.loads((run / "secrets" / "subjects.json").read_text())["subjects"]
    for item in subjects:
        assert str(item["original"]).encode() not in public
    parts = [str(p) for p in sorted((run / "work" / "parts").glob("*/*"))
             if p.parent.name != "nifti_pre" and (p / "manifest.json").is_file()]
    scanner = Scanner(build_needles(collect_identifiers(run / "work" / "identifiers" / "study.json", parts)))
    assert not scanner.scan_bytes(public, "risk_summary.html")
    check = next(c for s in report["sections"] if s["section"] == "public_summary" for c in s["checks"])
    assert check["passed"] is True and "no identifier value found" in check["detail"]
    assert (ROOT / "docs" / "contracts.md").read_text().count("risk_summary.html") >= 1
