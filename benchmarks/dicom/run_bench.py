"""Side-by-side DICOM de-identification benchmark: deidflow's scrub vs deid, dicognito and dicom-anonymizer.

Usage (from the repository root; peers live in their own venv, see README.md):
    .venv/bin/python benchmarks/dicom/run_bench.py [--files 2000] [--peers-python .venv-bench-dicom/bin/python]
Writes benchmarks/dicom/results.md and results.json. Single process per tool, same files, same machine.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT / "tests")]

import pydicom  # noqa: E402

from deidflow.demo.dicom import write as write_demo  # noqa: E402
from deidflow.demo.people import make_people  # noqa: E402
from deidflow.dicom.profile import load_profile  # noqa: E402
from deidflow.dicom.steps import descriptor_cleaner, scrub_part  # noqa: E402
from deidflow.subjects import SubjectRecord  # noqa: E402
from deidflow.text.engine import analyzer  # noqa: E402
from test_dicom_scrub import every_attribute_dataset  # noqa: E402

KEY = bytes(range(32))
HERE = Path(__file__).resolve().parent
DEID_DRIVER = """
import os, sys
from deid.dicom import replace_identifiers
src, out = sys.argv[1], sys.argv[2]
files = [os.path.join(src, name) for name in sorted(os.listdir(src))]
replace_identifiers(dicom_files=files, save=True, output_folder=out, overwrite=True)
"""


def write_all() -> None:
    """The demo's MR is a head volume, which the scrub withholds (it leaves only as defaced NIfTI) without writing it;
    the peers write every file, so for the comparison deidflow's face-series check is switched off (benchmark only:
    no config can do this) and every file is scrubbed and written."""
    from deidflow.dicom import steps

    steps.face_series = lambda cfg: (lambda datasets: None)


def make_files(root: Path, n_files: int) -> list[tuple[Path, SubjectRecord]]:
    """Demo subjects (an MR head series + a CT image each), one per 25 files asked for."""
    people = make_people(max(1, -(-n_files // 25)), seed=42)
    subjects = []
    for i, person in enumerate(people):
        write_demo(root, person, random.Random(i))
        subjects.append((root / "sourcedata" / "dicom" / f"sub-{person.label}", SubjectRecord(person.label, f"p{i:04d}", 17, {})))
    return subjects


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run_peer(name: str, python: str, src: Path, out: Path) -> None:
    """Run a peer on a flat folder of files (dicom-anonymizer does not recurse), writing into out."""
    out.mkdir(parents=True)
    if name == "deid":
        cmd = [python, "-c", DEID_DRIVER, str(src), str(out)]
    elif name == "dicognito":
        cmd = [python, "-m", "dicognito", "--quiet", "--output-directory", str(out), str(src)]
    else:
        cmd = [str(Path(python).parent / "dicom-anonymizer"), str(src), str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{name} failed: {proc.stderr[-2000:]}")


def coverage_file(path: Path) -> tuple[pydicom.Dataset, list]:
    """The test suite's dataset: a value in every Table E.1-1 attribute, again nested, plus a private name."""
    ds, attributes = every_attribute_dataset(load_profile({}))
    ds.PatientName, ds.PatientID = "Coverage^Patient", "COV123456"
    block = ds.private_block(0x0011, "BENCH NAMES", create=True)
    block.add_new(0x01, "LO", "Private^Name")
    ds.save_as(path, enforce_file_format=True)
    return ds, attributes


def left_behind(original: pydicom.Dataset, output: pydicom.Dataset, attributes, profile) -> dict[str, int]:
    """Attributes the basic profile changes (not K; U sequences only hold references) whose value survives unchanged."""
    def count(src, out):
        left = 0
        for tag, keyword, vr in attributes:
            if profile.rules[tag].basic in ("K", "U", "X/Z/U*") or tag not in out or tag not in src:
                continue
            if vr != "SQ" and out[tag].value == src[tag].value and src[tag].value not in ("", None, b""):
                left += 1
            elif vr == "SQ" and len(out[tag].value) and "CodeValue" in out[tag].value[0] and \
                    out[tag].value[0].CodeValue == src[tag].value[0].CodeValue:
                left += 1  # a sequence the profile removes, kept whole
        return left

    nested = 0
    if "DerivationCodeSequence" in output and len(output.DerivationCodeSequence):
        nested = count(original.DerivationCodeSequence[0], output.DerivationCodeSequence[0])
    else:
        nested = 0
    private = any(e.tag.is_private and e.value == "Private^Name" for e in output)
    return {"top_level": count(original, output), "nested": nested, "private_name_kept": int(private)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--peers-python", default=str(ROOT / ".venv-bench-dicom" / "bin" / "python"))
    parser.add_argument("--peers", default="deid,dicognito,dicom-anonymizer")
    args = parser.parse_args()
    peers = [p for p in args.peers.split(",") if p]
    write_all()
    results: dict = {"machine": f"{platform.node()} {platform.processor() or platform.machine()}, "
                                f"{os.cpu_count()} cores, Python {platform.python_version()}", "tools": {}}
    with tempfile.TemporaryDirectory(prefix="dicom-bench-") as tmp:
        tmp = Path(tmp)
        study = tmp / "study"
        subjects = make_files(study, args.files)
        files = sorted(p for p in study.rglob("*") if p.is_file())
        n = len(files)
        flat = tmp / "flat"  # the same files, one folder, unique names: every peer can read it
        flat.mkdir()
        for i, f in enumerate(files):
            os.symlink(f, flat / f"{i:05d}")
        results["files"] = n

        def floor():
            out = tmp / "floor"
            out.mkdir()
            for i, f in enumerate(files):
                pydicom.dcmread(f).save_as(out / f"{i}.dcm")

        def ours(mode: str = "remove"):
            for folder, record in subjects:
                part_files = sorted(str(p) for p in folder.rglob("*") if p.is_file())
                cfg = {"options": {"retain_longitudinal_modified_dates": True, "retain_patient_characteristics": True},
                       "clean_descriptors": mode}
                cleaner = descriptor_cleaner(record, cfg, KEY, {})
                scrub_part(part_files, tmp / f"ours-{mode}" / record.pseudonym, record, cfg, KEY, study,
                           descriptors=cleaner)

        analyzer()  # the spaCy model loads once per process (per subject job in the workflow): not timed here
        timings = {"pydicom read+save (floor)": timed(floor), "deidflow": timed(ours),
                   "deidflow, clean_descriptors: clean": timed(lambda: ours("clean"))}
        for peer in peers:
            timings[peer] = timed(lambda: run_peer(peer, args.peers_python, flat, tmp / peer))
        for name, seconds in timings.items():
            results["tools"][name] = {"seconds": round(seconds, 2), "files_per_s": round(n / seconds, 1)}

        # what each tool leaves behind on one file carrying every Table E.1-1 attribute
        profile = load_profile({})
        cov_dir = tmp / "coverage" / "sub-COV" / "series"
        cov_dir.mkdir(parents=True)
        original, attributes = coverage_file(cov_dir / "COV0001")
        results["attributes_planted"] = len(attributes)
        record = SubjectRecord("COV", "cov", 0, {})
        scrub_part([str(cov_dir / "COV0001")], tmp / "cov-ours", record, {"options": {}}, KEY, tmp / "coverage")
        outputs = {"deidflow": next((tmp / "cov-ours" / "files").rglob("*.dcm"))}
        for peer in peers:
            out = tmp / f"cov-{peer}"
            run_peer(peer, args.peers_python, cov_dir, out)
            outputs[peer] = next(p for p in sorted(out.rglob("*")) if p.is_file())
        for name, path in outputs.items():
            results["tools"][name]["left_behind"] = left_behind(original, pydicom.dcmread(path), attributes, profile)
    (HERE / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = [
        f"# DICOM scrub benchmark ({results['files']} files, single process)",
        "",
        f"Machine: {results['machine']}. Command: `.venv/bin/python benchmarks/dicom/run_bench.py --files {args.files}`.",
        "",
        "| tool | seconds | files/s | ratio to deidflow | Table E.1-1 attributes left (top level / nested, of "
        f"{results['attributes_planted']}) | private name kept |",
        "|---|---|---|---|---|---|",
    ]
    ours_rate = results["tools"]["deidflow"]["files_per_s"]
    for name, r in results["tools"].items():
        left = r.get("left_behind")
        cells = f"{left['top_level']} / {left['nested']} | {'yes' if left['private_name_kept'] else 'no'}" if left else "- | -"
        lines.append(f"| {name} | {r['seconds']} | {r['files_per_s']} | {r['files_per_s'] / ours_rate:.2f} | {cells} |")
    (HERE / "results.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
