"""Shared fixtures: a generated study, a workflow config pointing into tmp_path, and a Snakemake runner."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SYNTH_PYTHON = ROOT / ".venv-synth" / "bin" / "python"  # the twinify environment
SNAKEMAKE = [sys.executable, "-m", "snakemake"]


def tree_digest(root: Path) -> dict[str, str]:
    """{relative path: sha256} of every file under root."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def write_config(tmp: Path, study: Path, **overrides) -> Path:
    """The demo config with every path moved into tmp (and overrides merged per top-level key)."""
    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    cfg.update(
        bids_dir=str(study),
        release_dir=str(tmp / "release"),
        secrets_dir=str(tmp / "secrets"),
        reports_dir=str(tmp / "reports"),
        work_dir=str(tmp / "work"),
        logs_dir=str(tmp / "logs"),
    )
    key = tmp / "keys" / "study.key"
    if not key.exists():
        key.parent.mkdir(parents=True, exist_ok=True)
        key.write_text("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n")
        key.chmod(0o600)
    cfg["pseudonym"] = {**cfg["pseudonym"], "key_file": str(key)}
    if (study / "participants.tsv").is_file():
        rows = sum(1 for _ in (study / "participants.tsv").open()) - 1
        if rows < cfg["tables"]["privacy"]["k"]:
            # A 2- or 3-subject fixture cannot hold classes of the demo's k: the whole table becomes one class, and
            # the risk thresholds follow (one class of n records has prosecutor risk 1/n).
            cfg["tables"]["privacy"] = {**cfg["tables"]["privacy"], "k": rows}
            cfg["risk"]["reidentification"] = {**cfg["risk"]["reidentification"], "k": rows,
                                               "threshold": min(1.0, round(1 / rows + 0.01, 2))}
        privacy = cfg["tables"]["privacy"]
        sensitive = privacy.get("sensitive")
        if privacy.get("l") and sensitive:
            # nor can a one-subject table hold l distinct sensitive values (the parse-time check refuses that)
            table = [line.rstrip("\n").split("\t") for line in (study / "participants.tsv").open()]
            if sensitive in table[0]:
                distinct = len({row[table[0].index(sensitive)] for row in table[1:]})
                if distinct < privacy["l"]:
                    cfg["tables"]["privacy"] = {**privacy, "l": None}
    for name, value in overrides.items():
        cfg[name] = {**cfg[name], **value} if isinstance(value, dict) and isinstance(cfg.get(name), dict) else value
    path = tmp / "config.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def share_noise_draws(source: Path, target: Path) -> None:
    """Start run folder `target` from `source`'s stored DP noise draws (OpenDP takes no seed; a rerun reuses the
    draws kept in the secrets store, and so does a second run that is to release the same bytes)."""
    noise = source / "secrets" / "tables_noise.json"
    if noise.is_file():
        (target / "secrets").mkdir(mode=0o700, parents=True, exist_ok=True)
        shutil.copy2(noise, target / "secrets" / noise.name)


def run_snakemake(workdir: Path, config: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run the workflow in workdir with the given config; returns the completed process (stdout+stderr merged)."""
    cmd = [*SNAKEMAKE, "-s", str(ROOT / "Snakefile"), "--configfile", str(config), "--directory", str(workdir),
           "--cores", "2", "--rerun-incomplete", *args]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                          timeout=1500)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake failed ({proc.returncode}):\n{proc.stdout[-6000:]}")
    return proc


@pytest.fixture(scope="session")
def small_study(tmp_path_factory) -> Path:
    """A 3-subject study with every modality generator available, tiny files (made once per test session)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from deidflow.demo.study import make_study

    study = tmp_path_factory.mktemp("study") / "bids"
    make_study(study, 3, seed=11, small=True)
    for path in study.rglob("*"):  # the input tree is read-only to deidflow: prove it by making it so
        path.chmod(path.stat().st_mode & ~0o222)
    return study


def run_in_synth_env(code: str, timeout: int = 600) -> dict:
    """Run Python code in the twinify environment (deidflow's scripts importable) and parse the JSON printed last."""
    import json

    env = {"PYTHONPATH": str(ROOT / "scripts"), "PATH": "/usr/bin:/bin", "JAX_PLATFORMS": "cpu"}
    out = subprocess.run([str(SYNTH_PYTHON), "-c", code], capture_output=True, text=True, env=env, timeout=timeout)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def workflow_run(small_study, tmp_path_factory):
    """One full run on the small study, shared by every module that reads its outputs (release, report, browser):
    (run folder, config path, completed process, digest of the input tree before the run)."""
    tmp = tmp_path_factory.mktemp("run")
    before = tree_digest(small_study)
    config = write_config(tmp, small_study)
    proc = run_snakemake(tmp, config)
    return tmp, config, proc, before
