"""Scale benchmark: dry-run DAG time at 1,000 subjects, and wall time, peak memory and per-job overhead of a full run.

    .venv/bin/python benchmarks/scale/run.py [--subjects 1000] [--full-subjects 100] [--cores 2] [--out DIR]

Writes benchmarks/scale/results.md (and results.json). The full run uses the subjects of the dry-run study's first
--full-subjects participants, generated for real with every demo generator that exists (small files). The other
subjects of the 1,000-subject study get the same files as one of those (hard links renamed to their own labels): a
dry run reads only file names, so the DAG is the one a real 1,000-subject study gives.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import yaml  # noqa: E402

from deidflow.demo.people import make_people  # noqa: E402
from deidflow.demo.study import MODALITIES, make_study  # noqa: E402

KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n"
FAST = ["--scheduler", "greedy", "--scheduler-subsample", "100", "--group-components", "subject=1"]


def write_config(run: Path, study: Path) -> Path:
    """The demo config with every path moved into run/."""
    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    key = run / "study.key"
    key.write_text(KEY)
    key.chmod(0o600)
    cfg.update(bids_dir=str(study), release_dir=str(run / "release"), secrets_dir=str(run / "secrets"),
               reports_dir=str(run / "reports"), work_dir=str(run / "work"), logs_dir=str(run / "logs"))
    cfg["pseudonym"] = {**cfg["pseudonym"], "key_file": str(key)}
    path = run / "config.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def replicate(full: Path, study: Path, n_total: int, n_full: int, seed: int) -> int:
    """Give every subject of study (tables only) the files of one of the first n_full subjects of full."""
    people = make_people(n_total, seed)
    linked = 0
    for index, person in enumerate(people):
        if index < n_full:
            continue
        source_label = people[index % n_full].label
        for base in (full, full / "sourcedata" / "dicom"):
            src = base / f"sub-{source_label}"
            if not src.is_dir():
                continue
            dst_root = (study if base == full else study / "sourcedata" / "dicom") / f"sub-{person.label}"
            for path in src.rglob("*"):
                if path.is_file():
                    rel = path.relative_to(src).as_posix().replace(source_label, person.label)
                    target = dst_root / rel
                    if target.exists():
                        continue
                    target.parent.mkdir(parents=True, exist_ok=True)
                    os.link(path, target)
                    linked += 1
    return linked


def copy_subject_files(full: Path, study: Path) -> None:
    """Copy the full study's per-subject trees (real files) into the dry-run study."""
    for src in [*full.glob("sub-*"), *(full / "sourcedata" / "dicom").glob("sub-*")]:
        dst = study / src.relative_to(full)
        if not dst.exists():
            shutil.copytree(src, dst, copy_function=os.link)


def timed(cmd: list[str], log: Path) -> dict:
    """Run cmd under /usr/bin/time -v; wall seconds, peak RSS (MiB) of the largest process, exit status."""
    timing = log.with_suffix(".time")
    start = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.run(["/usr/bin/time", "-v", "-o", str(timing), *cmd], cwd=ROOT, stdout=out,
                              stderr=subprocess.STDOUT, env={**os.environ, "PYTHONHASHSEED": "0"})
    wall = time.perf_counter() - start
    text = timing.read_text() if timing.exists() else ""
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    return {"wall_s": round(wall, 2), "peak_rss_mib": round(int(rss.group(1)) / 1024, 1) if rss else None,
            "rc": proc.returncode}


def job_count(log: Path) -> int:
    match = re.search(r"^total\s+(\d+)", log.read_text(), flags=re.M)
    return int(match.group(1)) if match else 0


def startup_cost(repeats: int = 5) -> float:
    """Median seconds for what every script job pays before its first line of work: a Python start-up that imports
    Snakemake's script preamble and deidflow's provenance and parts modules."""
    code = "import snakemake.script, deidflow.provenance, deidflow.parts, deidflow.subjects"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "scripts")}
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, env=env)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subjects", type=int, default=1000)
    parser.add_argument("--full-subjects", type=int, default=100)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("/tmp/deidflow-scale"))
    args = parser.parse_args()
    snakemake = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile")]

    shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True)
    figures: dict = {"machine": f"{platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}",
                     "subjects_dry": args.subjects, "subjects_full": args.full_subjects, "cores": args.cores}

    start = time.perf_counter()
    full = args.out / "study_full"
    make_study(full, args.full_subjects, args.seed, small=True)
    figures["generate_full_s"] = round(time.perf_counter() - start, 1)
    figures["modalities"] = [m for m in MODALITIES if (ROOT / "scripts" / "deidflow" / "demo" / f"{m}.py").exists()]

    start = time.perf_counter()
    big = args.out / "study_dry"
    make_study(big, args.subjects, args.seed, small=True, modalities=())  # tables for everyone
    copy_subject_files(full, big)
    figures["linked_files"] = replicate(full, big, args.subjects, args.full_subjects, args.seed)
    figures["input_files_dry"] = sum(1 for p in big.rglob("*") if p.is_file())
    figures["generate_dry_s"] = round(time.perf_counter() - start, 1)

    dry = args.out / "dry"
    dry.mkdir()
    config = write_config(dry, big)
    base = [*snakemake, "--configfile", str(config), "--directory", str(dry), "--cores", str(args.cores), *FAST]
    # The first run creates the secrets store (pseudonyms for 1,000 subjects); time the second, a user's repeat.
    timed([*base, "-n", "--quiet", "rules"], dry / "dry0.log")
    figures["dry_run"] = {**timed([*base, "-n"], dry / "dry1.log"), "jobs": job_count(dry / "dry1.log")}
    print("dry run", figures["dry_run"], flush=True)

    run = args.out / "full"
    run.mkdir()
    config = write_config(run, full)
    base = [*snakemake, "--configfile", str(config), "--directory", str(run), "--cores", str(args.cores), *FAST]
    timed([*base, "-n", "--quiet", "rules"], run / "dry.log")
    figures["full_run"] = {**timed([*base, "--quiet", "rules"], run / "run.log"), "jobs": job_count(run / "dry.log")}
    # Jobs that start a Python process (localrules too: Snakemake runs every script job in its own interpreter).
    figures["startup_per_job_s"] = round(startup_cost(), 3)
    jobs, wall = figures["full_run"]["jobs"], figures["full_run"]["wall_s"]
    figures["overhead_share"] = round(jobs * figures["startup_per_job_s"] / (wall * args.cores), 3) if wall else None
    print("full run", figures["full_run"], flush=True)

    (Path(__file__).parent / "results.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
