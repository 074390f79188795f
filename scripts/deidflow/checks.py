"""Parse-time checks of a config against its study: everything that can fail before work starts fails here, in
seconds, with a message naming the config key and the file (column roles, k against the table size, hierarchies
against the values, empty quasi-identifier cells, the interpreters a step needs, paths nested in one another)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Mapping

from .tabular import hierarchies as hz
from .tabular import lattice, roles
from .tabular.release import read_table

PATH_KEYS = ("bids_dir", "release_dir", "secrets_dir", "reports_dir", "work_dir", "logs_dir")
# risk.reidentification presets (deidflow.risk.reidentification.PRESETS): the k each one implies
PRESET_K = {"controlled": 5, "public": 11}


class ConfigError(ValueError):
    """The config cannot work on this study; the message lists every problem found, each naming its key."""


def resolve_k(config: dict[str, Any]) -> None:
    """One k: `tables.privacy.k` (what the search guarantees) and `risk.reidentification.k` (what the gate requires)
    default from one another; when neither is set both take the risk preset's k (controlled 5, public 11)."""
    risk = config.setdefault("risk", {})
    reid = risk.setdefault("reidentification", {}) or {}
    risk["reidentification"] = reid
    privacy = config.setdefault("tables", {}).setdefault("privacy", {})
    if privacy.get("k") is None and reid.get("k") is None:
        privacy["k"] = PRESET_K.get(reid.get("preset") or "controlled", 5)
    elif privacy.get("k") is None:
        privacy["k"] = reid["k"]
    if reid.get("k") is None:
        reid["k"] = privacy["k"]


def _inside(inner: Path, outer: Path) -> bool:
    return inner == outer or outer in inner.parents


def check_paths(config: Mapping[str, Any]) -> list[str]:
    """No two of the study, release, secrets, reports, work and logs folders may be the same or nested."""
    problems = []
    paths = {key: Path(os.path.abspath(config[key])) for key in PATH_KEYS if config.get(key)}
    keys = list(paths)
    for i, a in enumerate(keys):
        for b in keys[i + 1:]:
            if _inside(paths[a], paths[b]) or _inside(paths[b], paths[a]):
                inner, outer = (a, b) if _inside(paths[a], paths[b]) else (b, a)
                where = "is the same folder as" if paths[a] == paths[b] else "lies inside"
                problems.append(f"{inner} ({config[inner]}) {where} {outer} ({config[outer]}): give each its own "
                                "folder (the release must hold nothing else, the study is read-only)")
    return problems


def _table_spec(rel: str, tables: Mapping[str, Any]) -> tuple[str, Any]:
    if rel == "participants.tsv":
        return "tables.participants", tables.get("participants")
    stem = Path(rel).stem
    return f"tables.phenotype.{stem}", (tables.get("phenotype") or {}).get(stem)


def check_tables(config: Mapping[str, Any], table_paths: list[str], base_dir: str | Path) -> list[str]:
    """Column roles against columns, hierarchies against values, empty quasi-identifier cells, k and l against the
    participants table; each problem names the key and the file."""
    tables = config.get("tables") or {}
    bids = Path(config["bids_dir"])
    problems: list[str] = []
    for path in sorted(p for p in table_paths if str(p).endswith(".tsv")):
        rel = Path(path).relative_to(bids).as_posix()
        key, spec = _table_spec(rel, tables)
        if not spec:
            problems.append(f"{key}: missing; {rel} needs a role for each of its columns (`python -m deidflow init` "
                            "writes one for every column)")
            continue
        try:
            table = read_table(path)
        except roles.RoleError as err:
            problems.append(f"{key}: {rel}: {err}")
            continue
        if rel == "participants.tsv":  # needs only the row count: reported even beside column problems
            problems += _check_k(config, len(table), rel, any(_role(v) == "quasi" for v in spec.values()))
        missing = [c for c in table.columns if c not in spec]
        for column in missing:
            problems.append(f"{key}.{column}: {rel} has a column {column!r} with no role; add "
                            f"`{column}: drop|keep|quasi|sensitive|date|...` under {key}")
        for column in (c for c in spec if c not in table.columns):
            problems.append(f"{key}.{column}: configured, but {rel} has no column {column!r} (its columns: "
                            f"{', '.join(map(str, table.columns))}); remove the key")
        if missing or any(c not in table.columns for c in spec):
            continue
        try:
            columns = roles.parse_roles(table, spec, rel)
        except roles.RoleError as err:
            problems.append(f"{key}: {err}")
            continue
        quasi = {n: c for n, c in columns.items() if c.role == "quasi"}
        built = {}
        for name, column in quasi.items():
            empty = table[name].isna().to_numpy().nonzero()[0]
            if len(empty):
                lines = ", ".join(str(i + 2) for i in empty[:5])
                problems.append(f"{key}.{name}: {rel} has {len(empty)} empty cell(s) in quasi-identifier {name!r} "
                                f"(line {lines}); fill them, or give the column another role")
                continue
            try:
                built[name] = hz.build(column.options.get("hierarchy", {"type": "suppress"}),
                                       list(table[name].dropna().astype(str)), base_dir)
            except (hz.HierarchyError, KeyError, TypeError, ValueError) as err:
                problems.append(f"{key}.{name}.hierarchy: {rel}: {err}")
        if built and len(built) == len(quasi):
            try:
                lattice.encode(table, built, None, rel)
            except (hz.HierarchyError, lattice.PrivacyError) as err:
                problems.append(f"{key}.<quasi>.hierarchy: {err}")
        if rel == "participants.tsv":
            problems += _check_privacy(config, table, columns, rel)
    return problems


def _role(value: Any) -> str | None:
    return value if isinstance(value, str) else (value or {}).get("role")


def _check_k(config: Mapping[str, Any], rows: int, rel: str, has_quasi: bool) -> list[str]:
    """Both k (the search's and the gate's) against the number of rows."""
    privacy = (config.get("tables") or {}).get("privacy") or {}
    reid = (config.get("risk") or {}).get("reidentification") or {}
    problems = []
    if has_quasi and (privacy.get("k") or 1) > rows:
        problems.append(f"tables.privacy.k: k = {privacy['k']} is larger than {rel} ({rows} rows); no release can "
                        f"hold classes of {privacy['k']} records: lower it (and risk.reidentification.k with it)")
    if has_quasi and (reid.get("k") or 1) > rows and reid.get("k") != privacy.get("k"):  # once when the same k
        problems.append(f"risk.reidentification.k: the gate requires classes of {reid['k']} records but {rel} has "
                        f"{rows} rows; lower it (it defaults to tables.privacy.k)")
    return problems


def _check_privacy(config: Mapping[str, Any], table, columns, rel: str) -> list[str]:
    privacy = (config.get("tables") or {}).get("privacy") or {}
    problems = []
    quasi = [n for n, c in columns.items() if c.role == "quasi"]
    sensitive = privacy.get("sensitive") or next((n for n, c in columns.items() if c.role == "sensitive"), None)
    if privacy.get("sensitive") and privacy["sensitive"] not in table.columns:
        problems.append(f"tables.privacy.sensitive: {rel} has no column {privacy['sensitive']!r}")
    elif quasi and (privacy.get("l") is not None or privacy.get("t") is not None):
        if sensitive is None:
            problems.append(f"tables.privacy.l: l-diversity / t-closeness need a column of {rel} with role "
                            "sensitive (or tables.privacy.sensitive)")
        elif privacy.get("l") is not None and privacy.get("l_kind", "distinct") == "distinct":
            distinct = table[sensitive].nunique(dropna=False)
            if privacy["l"] > distinct:
                problems.append(f"tables.privacy.l: l = {privacy['l']} but {rel} column {sensitive!r} has only "
                                f"{distinct} distinct value(s); lower l or choose another sensitive column")
    return problems


def _interpreter(value: str, base_dir: Path) -> Path | None:
    """The interpreter a config value names: a path (relative to the workflow) or a command on PATH."""
    if os.sep not in value and not value.startswith("."):
        found = shutil.which(value)
        return Path(found) if found else None
    path = Path(value) if os.path.isabs(value) else base_dir / value
    return path if path.is_file() and os.access(path, os.X_OK) else None


def check_interpreters(config: Mapping[str, Any], steps: Mapping[str, bool], base_dir: str | Path,
                       needs_mri: bool, needs_synth: bool) -> list[str]:
    """The interpreters of the steps that run in their own environment (synth's twinify, mri's antspyx) exist."""
    base_dir = Path(base_dir)
    problems = []
    if steps.get("synth") and needs_synth:
        value = (config.get("synth") or {}).get("python") or ".venv-synth/bin/python"
        if _interpreter(value, base_dir) is None:
            problems.append(f"synth.python: the twinify interpreter {value} is not there; build it (`make venv-synth`)"
                            ", point synth.python at one, or turn the step off (steps.synth: false)")
    if steps.get("mri") and needs_mri:
        value = (config.get("mri") or {}).get("python")
        if value:
            found = _interpreter(value, base_dir)
            if found is None:
                problems.append(f"mri.python: the interpreter {value} is not there; build .venv-mri (`make venv-mri`)"
                                ", point mri.python at one with antspyx, or turn defacing off (steps.mri: false)")
            elif subprocess.run([str(found), "-c", "import importlib.util as u, sys; "
                                 "sys.exit(u.find_spec('ants') is None)"], capture_output=True).returncode:
                problems.append(f"mri.python: {value} has no antspyx (pip install -r envs/mri.txt into it)")
        else:
            import importlib.util

            venv = base_dir / ".venv-mri" / "bin" / "python"
            if not venv.is_file() and importlib.util.find_spec("ants") is None:
                problems.append(f"mri.python: no interpreter with antspyx: neither {sys.executable} nor "
                                f"{venv} has it; build it (`make venv-mri`), set mri.python, or turn defacing "
                                "off (steps.mri: false)")
    return problems


def raise_problems(problems: list[str], configfiles: list[str]) -> None:
    """Stop with every problem at once (each names its key), and where the keys live."""
    if problems:
        where = ", ".join(map(str, configfiles)) or "config/config.yaml"
        raise ConfigError(f"the config ({where}) does not fit the study; {len(problems)} problem(s):\n"
                          + "\n".join(f"  - {p}" for p in problems))


def check_text_languages(config: Mapping[str, Any], participants: str | Path) -> list[str]:
    """`text.language` is a supported code, and `text.language_column` (when set) is a participants.tsv column whose
    every non-empty cell is one; each problem names the key, the file, the line and the value."""
    from .discovery import StudyError, read_participants
    from .text.languages import LANGUAGES, SUPPORTED

    text = config.get("text") or {}
    problems: list[str] = []
    language = str(text.get("language", "en")).strip().lower()
    if language not in LANGUAGES:
        problems.append(f"text.language: unsupported language {text.get('language')!r}; supported ISO 639-1 codes: "
                        f"{', '.join(SUPPORTED)}")
    column = text.get("language_column")
    if not column:
        return problems
    try:
        table = read_participants(Path(participants))
    except StudyError as err:
        return problems + [f"text.language_column: {err}"]
    if column not in table.columns:
        return problems + [f"text.language_column: participants.tsv has no column {column!r} (its columns: "
                           f"{', '.join(map(str, table.columns))})"]
    for line, value in enumerate(table[column], start=2):
        code = str(value).strip()
        if code and code.lower() != "n/a" and code.lower() not in LANGUAGES:
            problems.append(f"text.language_column: participants.tsv column {column!r} line {line} has {code!r}, "
                            f"not a supported ISO 639-1 code ({', '.join(SUPPORTED)})")
    return problems
