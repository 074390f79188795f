"""Reproducibility: same inputs, key and seed give a byte-identical release; a rerun rebuilds only what was lost;
a run killed mid-way and restarted with --rerun-incomplete completes with correct outputs and nothing partial."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from conftest import ROOT, SNAKEMAKE, run_snakemake, share_noise_draws, write_config
from deidflow.batch import base_rule

pytestmark = [pytest.mark.workflow, pytest.mark.slow]

TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?")
# Snakemake's marker for a directory output; carries no content.
MARKERS = {".snakemake_timestamp"}


@contextmanager
def frozen_commit(tmp: Path) -> Iterator[str]:
    """Pin the commit that dataset_description.json's GeneratedBy records to this checkout's HEAD now.

    The release names the deidflow commit that made it; where other people commit to the same checkout while the
    tests run (or in a lab's CI between two runs), HEAD moves. A detached-HEAD stub repository behind GIT_DIR
    keeps `git rev-parse HEAD` at one value for the runs in this block.
    """
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    stub = tmp / "frozen.git"
    (stub / "objects").mkdir(parents=True, exist_ok=True)
    (stub / "refs").mkdir(exist_ok=True)
    (stub / "HEAD").write_text(f"{head}\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GIT_DIR", str(stub))
        yield head


def comparable_release(release: Path, run_root: Path) -> dict[str, str]:
    """{release path: sha256} with ro-crate-metadata.json's times and the run's own folder masked out."""
    digests = {}
    for path in sorted(release.rglob("*")):
        if not path.is_file() or path.name in MARKERS:
            continue
        rel = path.relative_to(release).as_posix()
        data = path.read_bytes()
        if rel == "ro-crate-metadata.json":
            text = TIME.sub("<time>", data.decode()).replace(f"{run_root}/", "<run>/")
            crate = json.loads(text)
            for entity in crate["@graph"]:  # job inputs inside the run folder: intermediates, not released files
                if entity.get("@type") == "PropertyValue" and str(entity.get("name", "")).startswith("<run>/"):
                    entity.update(value="<intermediate>", contentSize="<intermediate>")
            data = json.dumps(crate, sort_keys=True).encode()
        digests[rel] = hashlib.sha256(data).hexdigest()
    return digests


def assert_same_release(after: dict[str, str], reference: dict[str, str]) -> None:
    """Every released file identical to the first run's, the RO-Crate included (times and run folder aside)."""
    differ = sorted(k for k in after.keys() | reference.keys() if after.get(k) != reference.get(k))
    assert not differ, f"released files differ from the first run's: {differ}"


def partial_leftovers(*roots: Path) -> list[str]:
    """Temporary siblings (`.<name>.*.tmp`) that a finished run must not leave behind."""
    return sorted(str(p) for root in roots if root.exists() for p in root.rglob(".*.tmp"))


def dry_run_jobs(workdir: Path, config: Path) -> list[tuple[str, dict[str, str]]]:
    """(rule, wildcards) of every job Snakemake would run now."""
    out = run_snakemake(workdir, config, "-n").stdout
    jobs = []
    for block in re.split(r"\n(?=[ \t]*(?:local)?rule \w+:)", out):  # group jobs list their rules indented
        head = re.match(r"\s*(?:local)?rule (\w+):", block)
        if not head:
            continue
        wildcards = re.search(r"\n\s+wildcards: (.*)", block)
        pairs = dict(kv.split("=", 1) for kv in wildcards.group(1).split(", ")) if wildcards else {}
        jobs.append((head.group(1), pairs))
    return jobs


@pytest.fixture(scope="module", autouse=True)
def _same_commit(tmp_path_factory):
    with frozen_commit(tmp_path_factory.mktemp("git")) as head:
        yield head


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    """A 2-subject study (every generator that exists, tiny files): two subjects are enough to show that one
    subject's rebuild leaves the other alone, and keep four workflow runs short."""
    import sys

    sys.path.insert(0, str(ROOT / "scripts"))
    from deidflow.demo.study import make_study

    path = tmp_path_factory.mktemp("repro_study") / "bids"
    make_study(path, 2, seed=23, small=True)
    return path


@pytest.fixture(scope="module")
def two_runs(study, tmp_path_factory):
    """The same study, key and seed run into two separate folders."""
    runs = []
    for name in ("a", "b"):
        tmp = tmp_path_factory.mktemp(f"repro_{name}")
        # one subject per batch: a lost subject reruns its batch, and this shows that only the lost subject reruns
        config = write_config(tmp, study, batch_size={"default": 1})
        if runs:
            share_noise_draws(runs[0][0], tmp)
        run_snakemake(tmp, config)
        runs.append((tmp, config))
    return runs


@pytest.fixture(scope="module")
def reference(two_runs) -> dict[str, str]:
    """The first run's release as it was before any test below modified that folder."""
    return comparable_release(two_runs[0][0] / "release", two_runs[0][0])


def lose_one_subject(tmp: Path) -> tuple[str | None, list[Path]]:
    """Delete every part of one subject (or, before per-subject parts exist, the global dataset part) and the
    release. Snakemake does not rebuild a missing intermediate while its consumers are up to date, so a user who
    wants one subject redone removes the release too; only that subject and the study-wide steps after it rerun."""
    parts = tmp / "work" / "parts"
    subjects = sorted({p.name for p in parts.glob("*/*") if p.is_dir() and p.name != "_global"})
    subject = subjects[0] if subjects else None
    victims = sorted(parts.glob(f"*/{subject}")) if subject else [parts / "dataset" / "_global"]
    for victim in victims:
        shutil.rmtree(victim)
    shutil.rmtree(tmp / "release")
    return subject, victims


def test_two_runs_give_a_byte_identical_release(two_runs, reference):
    (a, _), (b, _) = two_runs
    first, second = reference, comparable_release(b / "release", b)
    assert first and "dataset_description.json" in first
    differ = sorted(k for k in first.keys() | second.keys() if first.get(k) != second.get(k))
    assert not differ, f"released files differ between two identical runs: {differ}"
    assert (a / "secrets" / "subjects.json").read_bytes() == (b / "secrets" / "subjects.json").read_bytes()


def test_deleting_one_subject_rebuilds_only_that_subject(two_runs, reference):
    tmp, config = two_runs[0]
    subject, victims = lose_one_subject(tmp)
    records = {p: p.stat().st_mtime_ns for p in (tmp / "work" / "provenance").rglob("*.json")}

    jobs = dry_run_jobs(tmp, config)
    rules = [rule for rule, _ in jobs]
    assert jobs, "the deleted parts were not noticed"
    assert not {"pseudonymize", "identifiers", "inventory"} & set(rules), f"upstream jobs rerun: {rules}"
    other_subjects = sorted({w["subject"] for _, w in jobs if w.get("subject") not in (None, subject)})
    assert not other_subjects, f"jobs of untouched subjects would rerun: {other_subjects}"
    rebuilds = [rule for rule, w in jobs if w.get("subject") == subject] if subject else ["dataset_description"]
    assert rebuilds and all(rules.count(rule) == 1 for rule in rebuilds), f"one job per lost part expected: {rules}"

    run_snakemake(tmp, config)
    assert all(victim.is_dir() for victim in victims)
    rerun_rules = {base_rule(rule) for rule in rules}  # a batch job's records sit under its step's name
    for path, mtime in records.items():  # provenance of jobs that did not rerun keeps its original record
        untouched_subject = path.stem.startswith("subject-") and path.stem != f"subject-{subject}"
        if untouched_subject or path.parent.name not in rerun_rules:
            assert path.stat().st_mtime_ns == mtime, f"{path.relative_to(tmp)} was rewritten"
    assert_same_release(comparable_release(tmp / "release", tmp), reference)


def test_killed_run_restarts_and_completes(two_runs, reference):
    tmp, config = two_runs[1]
    lose_one_subject(tmp)
    cmd = [*SNAKEMAKE, "-s", str(ROOT / "Snakefile"), "--configfile", str(config), "--directory", str(tmp),
           "--cores", "2"]
    log = tmp / "killed.out"
    parts = tmp / "work" / "parts"
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                env={**os.environ, "PYTHONHASHSEED": "0"})
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None:
            if any(parts.glob("*/.*.tmp")):  # a part is being written right now
                break
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)  # like an OOM kill or a node failure: no chance to clean up
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, f"the run ended before it could be killed:\n{log.read_text()[-2000:]}"
    assert not (tmp / "release").exists(), "killed too late: the release was already written"

    # A killed Snakemake leaves its lock: the documented recovery is --unlock, then the same command again.
    run_snakemake(tmp, config, "--unlock")
    restarted = run_snakemake(tmp, config)  # run_snakemake passes --rerun-incomplete
    assert "steps (100%) done" in restarted.stdout
    assert_same_release(comparable_release(tmp / "release", tmp), reference)
    assert not partial_leftovers(tmp / "release"), "partial files in the release"
    incomplete = tmp / ".snakemake" / "incomplete"
    assert not [p for p in incomplete.rglob("*") if p.is_file()], "Snakemake still marks outputs incomplete"
    assert not partial_leftovers(parts), "a killed job's temporary part was left behind"
