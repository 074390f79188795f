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


# --- each group's pins alone provide every module its rules import (the conda route has nothing else) ----------

import ast  # noqa: E402
import importlib.metadata  # noqa: E402

SCRIPTS = ROOT / "scripts"
# import name -> distribution, for the groups whose packages are not installed in this interpreter
KNOWN_DISTS = {"ants": "antspyx", "twinify": "twinify", "numpyro": "numpyro", "jax": "jax", "jaxlib": "jaxlib",
               "d3p": "d3p", "anonymeter": "anonymeter", "sklearn": "scikit-learn", "arviz": "arviz",
               "polars": "polars", "cv2": "opencv-python", "yaml": "PyYAML", "PIL": "pillow",
               "skimage": "scikit-image", "ahocorasick": "pyahocorasick", "dateutil": "python-dateutil"}


def _dists_of(module: str) -> set[str]:
    found = set(importlib.metadata.packages_distributions().get(module, []))
    if module in KNOWN_DISTS:
        found.add(KNOWN_DISTS[module])
    return {_norm(d) for d in found}


def _module_file(name: str) -> Path | None:
    base = SCRIPTS.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imports(path: Path, package: str) -> tuple[set[str], set[str]]:
    """(third-party top-level modules, deidflow modules) a file imports, at any depth (lazy imports count)."""
    tree = ast.parse(path.read_text(), str(path))
    outside, inside = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            if top == "deidflow":
                if _module_file(name):
                    inside.add(name)
            elif top and top not in sys.stdlib_module_names and top != "snakemake":
                outside.add(top)
    return outside, inside


def group_imports(entry_points: list[Path]) -> dict[str, set[str]]:
    """{third-party module: files importing it} over the adapters and every deidflow module they reach."""
    found: dict[str, set[str]] = {}
    todo = [(p, "") for p in entry_points]
    seen: set[Path] = set()
    while todo:
        path, package = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        outside, inside = _imports(path, package)
        for module in outside:
            found.setdefault(module, set()).add(path.relative_to(ROOT).as_posix())
        for name in inside:
            parts = name.split(".")
            for i in range(1, len(parts) + 1):  # importing a.b.c runs a/__init__, a/b/__init__ too
                file = _module_file(".".join(parts[:i]))
                if file:
                    pkg = ".".join(parts[:i]) if file.name == "__init__.py" else ".".join(parts[: i - 1])
                    todo.append((file, pkg))
    return found


def rule_scripts() -> dict[str, list[Path]]:
    """{env group: adapter scripts its rules run} (script: directives and the scripts shell: rules call)."""
    groups: dict[str, list[Path]] = {}
    for smk in RULE_FILES:
        for block in re.split(r"(?m)^(?=(?:rule|checkpoint) )", smk.read_text())[1:]:
            env = re.search(r"(?m)^\s+conda:\s*\n\s+[\"']\.\./\.\./envs/(\w+)\.yaml", block)
            scripts = re.findall(r"(?m)^\s+[\"']\.\./\.\./scripts/(\w+\.py)[\"']", block)
            scripts += re.findall(r"\{params\.scripts:q\}/(\w+\.py)", block)
            if env:
                groups.setdefault(env.group(1), []).extend(SCRIPTS / s for s in scripts)
    return groups


GROUP_SCRIPTS = rule_scripts()


@pytest.mark.parametrize("group", sorted(GROUP_SCRIPTS), ids=sorted(GROUP_SCRIPTS))
def test_group_pins_provide_every_import(group):
    pins = set(pip_pins(ENVS / f"{group}.txt"))
    missing = {}
    for module, files in group_imports(GROUP_SCRIPTS[group]).items():
        if not _dists_of(module) & pins:
            missing[module] = sorted(files)[:3]
    assert not missing, (f"envs/{group}.txt (and .yaml) lack a pin for modules its rules import: "
                         + "; ".join(f"{m} (in {', '.join(f)})" for m, f in sorted(missing.items())))
