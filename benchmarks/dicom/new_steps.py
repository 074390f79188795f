"""The DICOM steps of issue 17, timed: the basic scrub path on demo files (must stay >= 150 files/s) and OCR's cost
per image on the burned-in-text candidates among pydicom's own test files (US, SC, OT, NM secondary captures), split
into pass 1 (RapidOCR) and pass 2 (the verification reads: Tesseract, plus RapidOCR at 2x), and OCR's cost per photo
(media.photos.ocr: clean) on a rendered ID card and scikit-image's photos.

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

from run_bench import KEY, make_files, timed, write_all  # noqa: E402

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


def photo_rows(spent: dict) -> list[dict]:
    """OCR cost per photo: a rendered ID card (name, address, phone) and scikit-image's photos (a text sign, a
    portrait, a coffee cup), through the photo step's text cleaning."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont
    from skimage import data

    from deidflow.media.photos import MediaError, clean_text

    card = Image.new("RGB", (560, 300), (215, 215, 205))
    draw = ImageDraw.Draw(card)
    for row, text in enumerate(["IDENTITY CARD", "Jodi Castro", "12 Elm Street, Springfield", "Tel 555-201-7788"]):
        draw.text((40, 40 + 55 * row), text, fill=(20, 20, 30), font=ImageFont.load_default(size=30))
    images = {"id_card (rendered)": np.asarray(card), "skimage text": np.stack([data.text()] * 3, -1),
              "skimage astronaut": data.astronaut(), "skimage coffee": data.coffee()}
    needles = ocr.identifier_needles([("Jodi Castro", "name"), ("12 Elm Street, Springfield", "address")])
    rows = []
    for name, rgb in images.items():
        spent.update(pass2=0.0, tesseract=0.0)
        start = time.perf_counter()
        try:
            _, boxes = clean_text(np.ascontiguousarray(rgb), needles)
            outcome = "cleaned, verified"
        except MediaError as exc:
            boxes, outcome = 0, str(exc)
        total = time.perf_counter() - start
        rows.append({"file": name, "size": f"{rgb.shape[0]}x{rgb.shape[1]}", "seconds": round(total, 3),
                     "pass1_s": round(total - spent["pass2"], 3), "pass2_s": round(spent["pass2"], 3),
                     "boxes": boxes, "outcome": outcome})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    args = parser.parse_args()
    write_all()
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
    results["engines"] = ocr.engines()
    spent = {"pass2": 0.0, "tesseract": 0.0}

    def clocked(name, fn):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - start
        return wrapper

    ocr.verify_read = clocked("pass2", ocr.verify_read)
    ocr.tesseract_read = clocked("tesseract", ocr.tesseract_read)
    rows = []
    for path in burned_in_candidates():
        ds = pydicom.dcmread(path)
        frames = int(ds.get("NumberOfFrames", 1) or 1)
        spent.update(pass2=0.0, tesseract=0.0)
        start = time.perf_counter()
        outcome = pixels.clean_burned_in(ds, "benchmark")
        total = time.perf_counter() - start
        rows.append({"file": Path(path).name, "modality": str(ds.get("Modality", "")),
                     "size": f"{ds.Rows}x{ds.Columns}x{frames}", "seconds": round(total, 3),
                     "pass1_s": round(total - spent["pass2"], 3), "pass2_s": round(spent["pass2"], 3),
                     "tesseract_s": round(spent["tesseract"], 3), "outcome": outcome.withheld or "cleaned, verified"})
    decoded = [r for r in rows if "cannot be decoded" not in r["outcome"]]

    def mean(key, rows=decoded):
        return round(sum(r[key] for r in rows) / max(1, len(rows)), 3)

    results["ocr"] = {"images": len(decoded), "mean_s_per_image": mean("seconds"), "mean_pass1_s": mean("pass1_s"),
                      "mean_pass2_s": mean("pass2_s"), "mean_tesseract_s": mean("tesseract_s"), "rows": rows}
    results["photos"] = photo_rows(spent)
    photos = results["photos"]
    (HERE / "new_steps.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = [f"# DICOM steps of issue 17 ({results['machine']})", "",
             f"Basic scrub path (scrub_part, demo files, options as the demo): {results['basic']['files']} files in "
             f"{results['basic']['seconds']} s = **{results['basic']['files_per_s']} files/s**.", "",
             f"OCR ({results['engines']}; up to 3 verification reads): **"
             f"{results['ocr']['mean_s_per_image']} s per image** on average over {len(decoded)} decodable images: "
             f"pass 1 (RapidOCR, recipes, decoding) {results['ocr']['mean_pass1_s']} s, pass 2 (verification reads) "
             f"{results['ocr']['mean_pass2_s']} s, of which Tesseract {results['ocr']['mean_tesseract_s']} s. "
             f"Model load {results['ocr_model_load_s']} s once per job.",
             "", "| file | modality | rows x cols x frames | seconds | pass 1 | pass 2 | Tesseract | outcome |",
             "|---|---|---|---|---|---|---|---|"]
    lines += [f"| {r['file']} | {r['modality']} | {r['size']} | {r['seconds']} | {r['pass1_s']} | {r['pass2_s']} | "
              f"{r['tesseract_s']} | {r['outcome']} |" for r in rows]
    lines += ["", f"Photos (media.photos.ocr: clean, `deidflow.media.photos.clean_text`): **"
              f"{mean('seconds', photos)} s per photo** on average (pass 1 {mean('pass1_s', photos)} s, pass 2 "
              f"{mean('pass2_s', photos)} s).", "",
              "| photo | size | seconds | pass 1 | pass 2 | text boxes | outcome |", "|---|---|---|---|---|---|---|"]
    lines += [f"| {r['file']} | {r['size']} | {r['seconds']} | {r['pass1_s']} | {r['pass2_s']} | {r['boxes']} | "
              f"{r['outcome']} |" for r in photos]
    (HERE / "new_steps.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
