"""The risk report renders in a real browser (headless Chromium) and shows the numbers risk.json holds."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from deidflow.risk.report import build_report, inventory_section, write_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _report(tmp_path, leak_hits: int):
    inventory = tmp_path / "inventory.json"
    inventory.write_text(json.dumps(inventory_section({"table": 3, "unknown": 2}, [
        {"source": "sub-abc/sub-abc_scans.tsv", "kind": "unknown", "reason": "no rule handles .tsv files here"}], 3)))
    leaks = tmp_path / "leaks.json"
    leaks.write_text(json.dumps({
        "section": "leaks", "title": "Leak scan", "metrics": {"files_scanned": 7, "hits": leak_hits},
        "checks": [{"name": "no known identifier in the release", "passed": leak_hits == 0,
                    "detail": "email (email, as-is, utf-8) of sub-abc found in participants.tsv at byte 120"}],
        "figures": [{"title": "a figure", "svg": "<svg xmlns='http://www.w3.org/2000/svg' width='40' height='20'>"
                                                 "<rect width='40' height='20' fill='#c00'/></svg>"}],
    }))
    report = build_report([str(inventory), str(leaks)], [])
    write_report(report, str(tmp_path / "risk.json"), str(tmp_path / "risk.html"))
    return report


@pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium not installed (make sysdeps installs it)")
@pytest.mark.parametrize("hits", [0, 2])
def test_report_renders_and_matches_json(tmp_path, hits):
    report = _report(tmp_path, hits)
    url = (tmp_path / "risk.html").as_uri()
    profile = ["--user-data-dir=" + str(tmp_path / "profile")]
    dom = subprocess.run([CHROMIUM, *FLAGS, *profile, "--dump-dom", url], capture_output=True, text=True, timeout=120,
                         check=True).stdout
    verdict = re.search(r"id=\"verdict\"[^>]*>([^<]+)<", dom).group(1)
    assert verdict == report["summary"]["line"]
    assert ("PASSED" in verdict) == (hits == 0)
    assert f"<td>{hits}</td>" in dom and "<td>7</td>" in dom
    assert "sub-abc/sub-abc_scans.tsv" in dom
    if hits:
        assert "FAILED" in dom and "participants.tsv at byte 120" in dom
    shot = tmp_path / "shot.png"
    subprocess.run([CHROMIUM, *FLAGS, *profile, f"--screenshot={shot}", "--window-size=1000,900", url],
                   capture_output=True, timeout=120, check=True)
    pixels = np.asarray(Image.open(shot).convert("RGB"))
    banner = (np.array([0xFD, 0xE7, 0xEA]) if hits else np.array([0xE3, 0xF4, 0xE6]))
    assert (np.abs(pixels.astype(int) - banner).sum(axis=2) < 6).sum() > 5000, "the verdict banner is drawn"
