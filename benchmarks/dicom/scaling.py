"""How `dicom_scrub` scales with cores through Snakemake: the same study scrubbed with --cores 1 and --cores N.

    .venv/bin/python benchmarks/dicom/scaling.py [--subjects 16] [--cores 2]

Each run starts from a fresh work folder (the secrets store, with pseudonyms and date shifts, is made once before
and not timed) and asks Snakemake for every subject's `dicom` part, one `dicom_scrub` job per subject. Writes
`scaling.json` and `scaling.md` beside this file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT / "tests")]

from conftest import run_snakemake, write_config  # noqa: E402
from deidflow.demo.study import make_study  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=16)
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--clean-descriptors", default="remove", choices=["remove", "clean"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dicom-scaling-") as tmp:
        tmp = Path(tmp)
        study = tmp / "bids"
        make_study(study, args.subjects, seed=5, modalities=("dicom",))
        files = sum(1 for p in (study / "sourcedata").rglob("*") if p.is_file())
        config = write_config(tmp, study, dicom={"clean_descriptors": args.clean_descriptors})
        secrets = tmp / "secrets" / "subjects.json"
        run_snakemake(tmp, config, str(secrets))
        pseudonyms = [s["pseudonym"] for s in json.loads(secrets.read_text())["subjects"]]
        targets = [str(tmp / "work" / "parts" / "dicom" / p) for p in pseudonyms]
        runs = {}
        for cores in sorted({1, args.cores}):
            shutil.rmtree(tmp / "work" / "parts", ignore_errors=True)
            start = time.perf_counter()
            run_snakemake(tmp, config, *targets, "--cores", str(cores), "--quiet", "rules")
            seconds = time.perf_counter() - start
            runs[cores] = {"seconds": round(seconds, 2), "files_per_s": round(files / seconds, 1)}
    one = runs[1]["seconds"]
    for cores, run in runs.items():
        run["speedup"] = round(one / run["seconds"], 2)
        run["efficiency"] = round(one / run["seconds"] / cores, 2)
    results = {"machine": f"{platform.node()} {platform.machine()}, {os.cpu_count()} cores",
               "load_average_after": [round(x, 2) for x in os.getloadavg()], "subjects": args.subjects,
               "files": files, "clean_descriptors": args.clean_descriptors, "runs": runs}
    (HERE / "scaling.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = [f"# dicom_scrub scaling through Snakemake ({args.subjects} subjects, {files} files)", "",
             f"Machine: {results['machine']}; load average after the runs {results['load_average_after']}. "
             f"Command: `.venv/bin/python benchmarks/dicom/scaling.py --subjects {args.subjects} --cores {args.cores}`"
             f" (clean_descriptors: {args.clean_descriptors}). Each run includes Snakemake's start and DAG building.",
             "", "| cores | seconds | files/s | speedup | efficiency |", "|---|---|---|---|---|"]
    lines += [f"| {c} | {r['seconds']} | {r['files_per_s']} | {r['speedup']} | {r['efficiency']} |"
              for c, r in runs.items()]
    (HERE / "scaling.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
