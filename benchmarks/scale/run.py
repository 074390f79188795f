"""Scale benchmark: dry runs (DAG time, peak memory, parse phases, jobs by rule) at several study sizes, a full run
(wall, CPU, subjects per CPU-hour, start-up share) and, with --slurm, the same full run through a one-node SLURM.

    .venv/bin/python benchmarks/scale/run.py [--dry-sizes 100,1000,10000] [--full-subjects 100] [--cores 2]
        [--slurm] [--lock /tmp/deidflow-heavy.lock] [--out DIR]

Writes benchmarks/scale/results.md and results.json. The full run uses --full-subjects participants generated for
real with every demo generator that make_study calls (new generator modules are picked up with it). Every dry-run
study is the tables of N participants, each given the files of one of the generated subjects (hard links renamed to
their own labels): a dry run reads only names, so the DAG is the one a real N-subject study gives. Job counts are read
from Snakemake's job table, so the harness follows whatever rules and batching the workflow has.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
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
    """Give every subject of study (tables only) the files of one of the first n_full subjects of full (the first
    n_full their own). File by file: the tables-only study already holds a folder per subject (its scans table), so
    a whole-folder copy would skip them."""
    people = make_people(n_total, seed)
    linked = 0
    for index, person in enumerate(people):
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


def timed(cmd: list[str], log: Path, *, lock: str | None = None, nice: int = 0, cwd: Path = ROOT) -> dict:
    """Run cmd under /usr/bin/time -v: wall seconds, CPU seconds (user+sys of the whole process tree), peak RSS (MiB)
    of the largest process, exit status. With lock, it waits for the heavy-job lock first (not counted)."""
    timing = log.with_suffix(".time")
    prefix = ["nice", "-n", str(nice)] if nice else []
    inner = ["/usr/bin/time", "-v", "-o", str(timing), *prefix, *cmd]
    if lock:
        # the timer starts once the lock is held: flock -> time -> command
        inner = ["flock", lock, *inner]
    with log.open("w") as out:
        proc = subprocess.run(inner, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                              env={**os.environ, "PYTHONHASHSEED": "0"})
    text = timing.read_text() if timing.exists() else ""

    def field(pattern: str, convert=float):
        match = re.search(pattern, text)
        return convert(match.group(1)) if match else None

    wall = field(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", str)
    if wall is not None:
        seconds = 0.0
        for part in wall.split(":"):
            seconds = seconds * 60 + float(part)
        wall = round(seconds, 2)
    user, system = field(r"User time \(seconds\): ([\d.]+)"), field(r"System time \(seconds\): ([\d.]+)")
    rss = field(r"Maximum resident set size \(kbytes\): (\d+)", int)
    return {"wall_s": wall, "cpu_s": round(user + system, 2) if user is not None else None,
            "peak_rss_mib": round(rss / 1024, 1) if rss else None, "rc": proc.returncode}


def jobs_by_rule(log: Path) -> dict[str, int]:
    """Snakemake's job table ("Job stats:" ... "total N") as {rule: count, "total": N}."""
    text = log.read_text()
    start = text.rfind("Job stats:")
    counts: dict[str, int] = {}
    for line in text[start:].splitlines()[1:] if start >= 0 else []:
        match = re.match(r"^(\w+)\s+(\d+)\s*$", line)
        if match:
            counts[match.group(1)] = int(match.group(2))
            if match.group(1) == "total":
                break
    return dict(sorted(counts.items(), key=lambda kv: (kv[0] == "total", -kv[1], kv[0])))


EMPTY_WORKFLOW = """
rule all:
    input:
        expand("out/{i}.txt", i=range(JOBS)),


rule empty:
    output:
        "out/{i}.txt",
    log:
        "logs/{i}.log",
    script:
        "empty.py"
"""
# What a deidflow script job imports before its first line of work, then the output it must leave.
EMPTY_SCRIPT = """import deidflow.provenance, deidflow.parts, deidflow.subjects
open(snakemake.output[0], "w").close()
"""


def startup_cost(folder: Path, jobs: int = 10) -> dict:
    """CPU and wall seconds one empty script job costs on top of Snakemake's own parse and DAG: a Snakemake run of
    `jobs` empty script jobs minus a dry run of the same workflow, per job (--cores 1, so no job overlaps another)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Snakefile").write_text(EMPTY_WORKFLOW.replace("JOBS", str(jobs)))
    (folder / "empty.py").write_text(EMPTY_SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "scripts")}
    cmd = [sys.executable, "-m", "snakemake", "--cores", "1", "--quiet", "all", "--workflow-profile", "none"]
    measured = {}
    for name, extra in (("dry", ["-n"]), ("run", [])):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([*cmd, *extra], cwd=folder, env=env, check=True, capture_output=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        measured[name] = (time.perf_counter() - start,
                          after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return {"wall_s": round((measured["run"][0] - measured["dry"][0]) / jobs, 3),
            "cpu_s": round((measured["run"][1] - measured["dry"][1]) / jobs, 3), "jobs": jobs}


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def dry_study(full: Path, out: Path, n_total: int, n_full: int, seed: int) -> dict:
    """The tables of n_total participants, each given the files of one of the n_full generated subjects."""
    start = time.perf_counter()
    make_study(out, n_total, seed, small=True, modalities=())  # tables for everyone
    linked = replicate(full, out, n_total, n_full, seed)
    return {"linked_files": linked, "generate_s": round(time.perf_counter() - start, 1)}


def dry_runs(snakemake: list[str], full: Path, args, figures: dict) -> None:
    for size in args.dry_sizes:
        folder = args.out / f"dry{size}"
        folder.mkdir()
        study = folder / "study"
        entry: dict = dry_study(full, study, size, args.full_subjects, args.seed)
        config = write_config(folder, study)
        base = [*snakemake, "--configfile", str(config), "--directory", str(folder), "--cores", str(args.cores),
                *FAST, "-n"]
        # The first run creates the secrets store (pseudonyms and date shifts) and the inventory cache; the second,
        # a user's repeat, is the one reported (the first one's wall is kept too).
        entry["first_run"] = timed(base, folder / "dry0.log", lock=args.lock)
        entry["dry_run"] = timed(base, folder / "dry1.log", lock=args.lock)
        entry["jobs"] = jobs_by_rule(folder / "dry1.log")
        phases = subprocess.run([*(["flock", args.lock] if args.lock else []), sys.executable,
                                 str(Path(__file__).with_name("phases.py")), str(config)],
                                capture_output=True, text=True, cwd=ROOT)
        entry["phases"] = json.loads(phases.stdout) if phases.returncode == 0 else {"error": phases.stderr[-800:]}
        figures["dry"][str(size)] = entry
        print(f"dry run {size}:", json.dumps(entry), flush=True)
        if not args.keep:
            shutil.rmtree(study)


def full_run(snakemake: list[str], full: Path, args, figures: dict) -> None:
    run = args.out / "full"
    run.mkdir()
    config = write_config(run, full)
    base = [*snakemake, "--configfile", str(config), "--directory", str(run), "--cores", str(args.cores), *FAST]
    timed([*base, "-n"], run / "dry.log", lock=args.lock)
    jobs = jobs_by_rule(run / "dry.log")
    load_before = uptime()
    result = timed([*base, "--quiet", "rules"], run / "run.log", nice=10)
    startup = startup_cost(args.out / "empty-jobs")
    # every job but the target `all` starts its own Python (scripts, and the shell rules that call one)
    started = jobs.get("total", 0) - jobs.get("all", 0)
    cpu = result["cpu_s"] or 0
    figures["full"] = {
        **result, "subjects": args.full_subjects, "jobs": jobs, "load_before": load_before, "load_after": uptime(),
        "startup_per_job": startup, "jobs_started": started,
        "startup_share_of_cpu": round(started * startup["cpu_s"] / cpu, 3) if cpu else None,
        "subjects_per_cpu_hour": round(args.full_subjects * 3600 / cpu, 1) if cpu else None,
        "subjects_per_hour_wall": round(args.full_subjects * 3600 / result["wall_s"], 1) if result["wall_s"] else None,
    }
    print("full run:", json.dumps(figures["full"]), flush=True)


def slurm_run(snakemake: list[str], full: Path, args, figures: dict) -> None:
    """The full run's study through workflow/profiles/slurm on the one-node test cluster (tests/slurm/start.sh)."""
    state = args.out / "slurm-state"
    start = subprocess.run(["bash", str(ROOT / "tests" / "slurm" / "start.sh"), str(state)], capture_output=True,
                           text=True, timeout=600)
    if start.returncode != 0:
        figures["slurm"] = {"error": "cluster did not start: " + (start.stdout + start.stderr)[-600:]}
        return
    try:
        run = args.out / "slurm"
        run.mkdir()
        config = write_config(run, full)
        load_before = uptime()
        result = timed([*snakemake, "--configfile", str(config), "--directory", str(run), "--profile",
                        str(ROOT / "workflow" / "profiles" / "slurm"), "--slurm-no-account",
                        "--slurm-init-seconds-before-status-checks", "4"], run / "run.log", nice=10)
        submitted = re.findall(r"has been submitted with SLURM jobid (\d+)", (run / "run.log").read_text())
        figures["slurm"] = {**result, "subjects": args.full_subjects, "sbatch_submissions": len(set(submitted)),
                            "load_before": load_before, "load_after": uptime()}
    finally:
        subprocess.run(["bash", str(ROOT / "tests" / "slurm" / "stop.sh"), str(state)], capture_output=True)
    print("slurm run:", json.dumps(figures["slurm"]), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dry-sizes", type=lambda v: [int(x) for x in v.split(",") if x], default=[100, 1000, 10000])
    parser.add_argument("--full-subjects", type=int, default=100)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--slurm", action="store_true", help="also run the full study through a one-node SLURM")
    parser.add_argument("--no-full", action="store_true", help="dry runs only")
    parser.add_argument("--lock", help="a flock file the dry runs wait for (a machine shared with other heavy jobs)")
    parser.add_argument("--keep", action="store_true", help="keep the dry-run studies")
    parser.add_argument("--out", type=Path, default=Path("/tmp/deidflow-scale"))
    parser.add_argument("--results", type=Path, default=Path(__file__).parent)
    args = parser.parse_args()
    if any(size < args.full_subjects for size in args.dry_sizes):
        parser.error("every --dry-sizes must be at least --full-subjects (the generated subjects are its first ones)")
    snakemake = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile")]

    shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    figures: dict = {
        "machine": f"{platform.node()}, {os.cpu_count()} cores, "
                   f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB, "
                   f"Python {platform.python_version()}",
        "commit": commit.stdout.strip(), "command": " ".join(["benchmarks/scale/run.py", *sys.argv[1:]]),
        "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "load_start": uptime(),
        "cores": args.cores, "subjects_full": args.full_subjects, "dry": {},
    }
    start = time.perf_counter()
    full = args.out / "study_full"
    make_study(full, args.full_subjects, args.seed, small=True)
    figures["generate_full_s"] = round(time.perf_counter() - start, 1)
    figures["generators"] = [m for m in MODALITIES if (ROOT / "scripts" / "deidflow" / "demo" / f"{m}.py").exists()]
    print("generated", figures["generate_full_s"], "s", figures["generators"], flush=True)

    def save() -> None:
        (args.results / "results.json").write_text(json.dumps(figures, indent=2) + "\n")
        (args.results / "results.md").write_text(render(figures))

    dry_runs(snakemake, full, args, figures)
    save()
    if not args.no_full:
        full_run(snakemake, full, args, figures)
        save()
    if args.slurm:
        slurm_run(snakemake, full, args, figures)
    figures["finished"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    figures["load_end"] = uptime()
    save()
    print(json.dumps(figures, indent=2))


def render(f: dict) -> str:
    """results.md from the figures of one run."""
    lines = ["# Scale benchmark: results", "",
             f"One run of `{f['command']}` (commit {f['commit']}), {f['started']} to {f.get('finished', '(unfinished)')}.",
             f"Machine: {f['machine']}; load at start `{f['load_start']}`"
             + (f", at the end `{f['load_end']}`." if "load_end" in f else "."),
             f"Study: {f['subjects_full']} subjects generated with the demo generators {', '.join(f['generators'])} "
             f"({f['generate_full_s']} s); dry-run studies give every participant the files of one of them (hard "
             "links).", "", "## Dry run (`snakemake -n`, the second one: the first creates the secrets store and "
             "the inventory cache)", "",
             "| subjects | input files | jobs | wall s | CPU s | peak RSS MiB | first run wall s | discovery walk s "
             "| discovery cached s | subject table s | table checks s |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for size, e in f["dry"].items():
        d, p = e["dry_run"], e.get("phases", {})
        lines.append(f"| {int(size):,} | {p.get('input_files', '?'):,} | {e['jobs'].get('total', '?'):,} | {d['wall_s']} "
                     f"| {d['cpu_s']} | {d['peak_rss_mib']} | {e['first_run']['wall_s']} | {p.get('discover_walk_s')} "
                     f"| {p.get('discover_cached_s')}{'' if p.get('discover_cache_hit') else ' (miss)'} "
                     f"| {p.get('build_subjects_s')} | {p.get('check_tables_s')} |")
    lines += ["", "Jobs by step (from Snakemake's job table; a batched step runs one job per batch):", ""]
    for size, e in f["dry"].items():
        lines.append(f"- {int(size):,} subjects: {jobs_by_step(e['jobs'])}")
    if f["dry"]:
        last = list(f["dry"].values())[-1].get("phases", {})
        lines += ["", f"Input kinds at the largest size: {last.get('input_kinds')}."]
    if "full" in f:
        r = f["full"]
        lines += ["", f"## Full run ({r['subjects']} subjects, `--cores {f['cores']}`, `nice -n 10`, no lock)", "",
                  f"- rc {r['rc']}; wall {r['wall_s']} s; CPU {r['cpu_s']} s (user+sys of every process); peak RSS "
                  f"{r['peak_rss_mib']} MiB (largest process)",
                  f"- {r['subjects_per_cpu_hour']} subjects per CPU-hour (per core); {r['subjects_per_hour_wall']} "
                  "subjects per hour of wall on this machine",
                  f"- {r['jobs_started']} jobs started a Python; an empty job's start-up costs "
                  f"{r['startup_per_job']['cpu_s']} s CPU ({r['startup_per_job']['wall_s']} s wall; Snakemake runs of "
                  f"{r['startup_per_job']['jobs']} empty script jobs minus their dry run): "
                  f"start-up share of CPU {r['startup_share_of_cpu']}",
                  f"- load before `{r['load_before']}`, after `{r['load_after']}`",
                  f"- jobs: {jobs_by_step(r['jobs'])}"]
    if "slurm" in f:
        r = f["slurm"]
        if "error" in r:
            lines += ["", "## SLURM", "", f"Not measured: {r['error']}"]
        else:
            lines += ["", f"## One-node SLURM ({r['subjects']} subjects, workflow/profiles/slurm, `nice -n 10`)", "",
                      f"- rc {r['rc']}; wall {r['wall_s']} s; {r['sbatch_submissions']} sbatch submissions; CPU of "
                      f"the Snakemake controller {r['cpu_s']} s",
                      f"- load before `{r['load_before']}`, after `{r['load_after']}`"]
    lines += ["", "## Targets (issue 18)", ""] + [f"- {line}" for line in targets(f)]
    return "\n".join(lines) + "\n"


def jobs_by_step(jobs: dict[str, int]) -> str:
    """The job table by step: a batched step's rules (`<step>_bNNNN`, one job each) counted together."""
    steps: dict[str, int] = {}
    for rule, count in jobs.items():
        if rule != "total":
            step = re.sub(r"_b\d{4}$", "", rule)
            steps[step] = steps.get(step, 0) + count
    batched = {re.sub(r"_b\d{4}$", "", rule) for rule in jobs if re.search(r"_b\d{4}$", rule)}
    parts = [f"{step} {count}{' (batches)' if step in batched else ''}"
             for step, count in sorted(steps.items(), key=lambda item: (-item[1], item[0]))]
    return ", ".join(parts) + f"; total {jobs.get('total', sum(steps.values()))}"


def targets(f: dict) -> list[str]:
    """Each target of the scale issue against this run's figure: met, not met, or not measured."""
    def verdict(value, limit, unit):
        if value is None:
            return "not measured in this run"
        return f"{value} {unit}: {'met' if value < limit else 'NOT met'} (target < {limit} {unit})"

    dry = {int(size): e["dry_run"]["wall_s"] for size, e in f["dry"].items()}
    share = f.get("full", {}).get("startup_share_of_cpu")
    return [f"dry run of 1,000 subjects: {verdict(dry.get(1000), 30, 's')}",
            f"dry run of 10,000 subjects: {verdict(dry.get(10000), 300, 's')}",
            f"start-up share of a full run's CPU: {verdict(share, 0.10, '(fraction)')}"]


if __name__ == "__main__":
    main()
