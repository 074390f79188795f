"""The DICOM steps of issue 17, timed: the basic scrub path on demo files (must stay >= 150 files/s) and OCR's cost
per image on the burned-in-text candidates among pydicom's own test files (US, SC, OT).

Usage (repository root): .venv/bin/python benchmarks/dicom/new_steps.py [--files 2000]
Writes benchmarks/dicom/new_steps.md and new_steps.json. Single process, the machine named in the output.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE)]

from run_bench import KEY, make_files, timed  # noqa: E402

import pydicom  # noqa: E402
from pydicom.data import get_testdata_files  # noqa: E402

from deidflow.dicom import ocr, pixels  # noqa: E402
from deidflow.dicom.scrub import DicomInputError, read_checked  # noqa: E402
from deidflow.dicom.steps import scrub_part  # noqa: E402


def burned_in_candidates() -> list[str]:
    """pydicom's test files the scrub sends to burned-in text cleaning (decodable ones)."""
    out = []
    for path in sorted(f for f in set(get_testdata_files()) if os.path.isfile(f) and f.endswith(".dcm")):
        try:
            ds = read_checked(path, require_pixels=True)
        except DicomInputError:
            continue
        if pixels.burned_in_reason(ds):
            out.append(path)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    args = parser.parse_args()
    results: dict = {"machine": f"{platform.node()} {platform.processor() or platform.machine()}, "
                                f"{os.cpu_count()} cores, Python {platform.python_version()}"}
    with tempfile.TemporaryDirectory(prefix="dicom-new-") as tmp:
        tmp = Path(tmp)
        subjects = make_files(tmp / "study", args.files)
        n = sum(1 for _ in (tmp / "study").rglob("*") if _.is_file())
        cfg = {"options": {"retain_longitudinal_modified_dates": True, "retain_patient_characteristics": True,
                           "clean_structured_content": True}}

        def ours():
            for folder, record in subjects:
                files = sorted(str(p) for p in folder.rglob("*") if p.is_file())
                scrub_part(files, tmp / "ours" / record.pseudonym, record, cfg, KEY, tmp / "study")

        seconds = timed(ours)
        results["basic"] = {"files": n, "seconds": round(seconds, 2), "files_per_s": round(n / seconds, 1)}
    results["ocr_model_load_s"] = round(timed(ocr.engine), 2)  # once per job
    rows = []
    for path in burned_in_candidates():
        ds = pydicom.dcmread(path)
        frames = int(ds.get("NumberOfFrames", 1) or 1)
        start = time.perf_counter()
        outcome = pixels.clean_burned_in(ds, "benchmark")
        rows.append({"file": Path(path).name, "size": f"{ds.Rows}x{ds.Columns}x{frames}",
                     "seconds": round(time.perf_counter() - start, 3),
                     "outcome": outcome.withheld or "cleaned, verified"})
    decoded = [r for r in rows if "cannot be decoded" not in r["outcome"]]
    results["ocr"] = {"images": len(decoded), "mean_s_per_image": round(sum(r["seconds"] for r in decoded) /
                                                                       max(1, len(decoded)), 3), "rows": rows}
    (HERE / "new_steps.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = [f"# DICOM steps of issue 17 ({results['machine']})", "",
             f"Basic scrub path (scrub_part, demo files, options as the demo): {results['basic']['files']} files in "
             f"{results['basic']['seconds']} s = **{results['basic']['files_per_s']} files/s**.", "",
             f"OCR (RapidOCR on onnxruntime, two passes, up to 3 verification reads): **"
             f"{results['ocr']['mean_s_per_image']} s per image** on average over {len(decoded)} decodable images.",
             "", "| file | rows x cols x frames | seconds | outcome |", "|---|---|---|---|"]
    lines += [f"| {r['file']} | {r['size']} | {r['seconds']} | {r['outcome']} |" for r in rows]
    (HERE / "new_steps.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
