"""Per-rule environments and CI hygiene: conda YAML and pip sets agree, every rule names an existing environment,
and the rule files are snakefmt-clean (the lab's CI runs the same checks)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

ENVS = ROOT / "envs"
RULE_FILES = sorted((ROOT / "workflow" / "rules").glob("*.smk"))
# Sets that are not a rule group's environment: the venv-wide constraints and the peers used only by benchmarks.
NOT_GROUPS = {"constraints"}
PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*==\s*([^\s;#]+)")


def _norm(name: str) -> str:
    """PEP 503 normalised project name (conda-forge uses the same spelling for Python packages)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pip_pins(path: Path) -> dict[str, str]:
    """{normalised name: version} of a pip requirement file; unpinned requirements fail the test."""
    pins = {}
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        match = PIN.match(line)
        assert match, f"{path.name}: {raw!r} is not pinned with =="
        pins[_norm(match.group(1))] = match.group(3)
    return pins


def conda_pins(path: Path) -> dict[str, str]:
    """{normalised name: version} of a conda environment file: its pip: list and its conda packages (not python/pip)."""
    env = yaml.safe_load(path.read_text())
    assert isinstance(env, dict) and env.get("dependencies"), f"{path.name}: no dependencies"
    assert "conda-forge" in env.get("channels", []), f"{path.name}: conda-forge must be a channel"
    pins = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            for line in dep.get("pip", []):
                if str(line).startswith("-"):
                    continue
                match = PIN.match(str(line))
                assert match, f"{path.name}: pip entry {line!r} is not pinned with =="
                pins[_norm(match.group(1))] = match.group(3)
            continue
        name, _, version = str(dep).partition("=")
        if _norm(name) in {"python", "pip", "nodefaults"}:
            continue
        assert version, f"{path.name}: conda package {dep!r} is not pinned"
        pins[_norm(name)] = version.lstrip("=")
    return pins


def rule_envs() -> list[tuple[str, str, Path | None]]:
    """(rule file, rule name, resolved conda env path or None) for every rule in workflow/rules/*.smk."""
    found = []
    for smk in RULE_FILES:
        text = smk.read_text()
        for block in re.split(r"(?m)^(?=(?:rule|checkpoint) )", text)[1:]:
            name = re.match(r"(?:rule|checkpoint) (\w+)", block).group(1)
            match = re.search(r"(?m)^\s+conda:\s*\n\s+[\"']([^\"']+)[\"']", block)
            found.append((smk.name, name, (smk.parent / match.group(1)).resolve() if match else None))
    return found


GROUP_YAMLS = sorted(p for p in ENVS.glob("*.yaml") if p.stem not in NOT_GROUPS)


def test_there_is_at_least_the_core_environment():
    assert (ENVS / "core.yaml").is_file() and (ENVS / "core.txt").is_file()


@pytest.mark.parametrize("env_yaml", GROUP_YAMLS, ids=[p.stem for p in GROUP_YAMLS])
def test_conda_env_matches_pip_set(env_yaml):
    txt = env_yaml.with_suffix(".txt")
    assert txt.is_file(), f"envs/{env_yaml.name} has no pip twin envs/{txt.name}"
    conda, pip = conda_pins(env_yaml), pip_pins(txt)
    only_conda = {k: v for k, v in conda.items() if k not in pip}
    only_pip = {k: v for k, v in pip.items() if k not in conda}
    differ = {k: (conda[k], pip[k]) for k in conda.keys() & pip.keys() if conda[k] != pip[k]}
    assert not (only_conda or only_pip or differ), (
        f"envs/{env_yaml.name} and envs/{txt.name} disagree: only in yaml {only_conda}, only in txt {only_pip}, "
        f"versions (yaml, txt) {differ}"
    )


def test_every_rule_names_an_existing_environment():
    rules = rule_envs()
    assert rules, "no rules found in workflow/rules"
    missing = [f"{smk}:{name}" for smk, name, env in rules if env is None]
    assert not missing, f"rules without a conda: directive: {missing}"
    broken = [f"{smk}:{name} -> {env}" for smk, name, env in rules if not env.is_file()]
    assert not broken, f"conda: points at a missing file: {broken}"
    outside = [f"{smk}:{name}" for smk, name, env in rules if env.parent != ENVS.resolve()]
    assert not outside, f"conda: must point into envs/: {outside}"


def test_core_pins_agree_with_the_venv_constraints():
    constraints = pip_pins(ENVS / "constraints.txt") if (ENVS / "constraints.txt").is_file() else {}
    core = pip_pins(ENVS / "core.txt")
    differ = {k: (core[k], constraints[k]) for k in core.keys() & constraints.keys() if core[k] != constraints[k]}
    assert not differ, f"envs/core.txt vs envs/constraints.txt (core, constraints): {differ}"


def test_snakefmt_check_is_clean():
    snakefmt = Path(sys.executable).with_name("snakefmt")
    if not snakefmt.exists():
        pytest.skip("snakefmt is not installed in this interpreter's environment (pinned in envs/core.txt)")
    version = subprocess.run([str(snakefmt), "--version"], capture_output=True, text=True).stdout
    assert "2.1.0" in version, f"snakefmt must be the pinned 2.1.0 (newer releases reorder directives): {version}"
    proc = subprocess.run([str(snakefmt), "--check", "Snakefile", "workflow/rules"], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 0, f"snakefmt --check failed; run `snakefmt Snakefile workflow/rules`:\n{proc.stderr}"


def test_ci_example_runs_the_documented_checks_on_files_that_exist():
    workflow = yaml.safe_load((ROOT / "docs" / "ci" / "github-actions.yml").read_text())
    commands = "\n".join(step.get("run", "") for step in workflow["jobs"]["check"]["steps"])
    for check in ("--lint", "snakefmt --check", " -n ", "--workflow-profile workflow/profiles/default"):
        assert check in commands, f"docs/ci/github-actions.yml no longer runs {check.strip()}"
    for path in re.findall(r"(?:scripts|workflow/profiles|envs)/[\w./-]+", commands):
        assert (ROOT / path.rstrip("/")).exists(), f"docs/ci/github-actions.yml names a missing {path}"


@pytest.mark.parametrize("profile", ["default", "slurm"])
def test_profile_resources_name_rules_that_exist(profile):
    settings = yaml.safe_load((ROOT / "workflow" / "profiles" / profile / "config.yaml").read_text())
    rules = {name for _, name, _ in rule_envs()}
    unknown = sorted(set(settings.get("set-resources", {})) - rules)
    assert not unknown, f"workflow/profiles/{profile} sets resources for rules that do not exist: {unknown}"
    assert {"mem_mb", "runtime"} <= set(settings["default-resources"])
    assert settings["scheduler"] == "greedy" and settings["rerun-incomplete"] is True
    if profile == "slurm":
        assert settings["executor"] == "slurm" and any(g.startswith("subject=") for g in settings["group-components"])
