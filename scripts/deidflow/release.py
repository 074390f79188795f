"""Release assembly: dataset_description.json, the files every part produced, and the RO-Crate describing them."""

from __future__ import annotations

import json
import mimetypes
import re
import subprocess
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any, Iterable, Mapping

from rocrate.model.contextentity import ContextEntity
from rocrate.rocrate import ROCrate

from . import __version__
from .bidsname import name_problem, report_path
from .discovery import classify
from .io import atomic_directory, read_json
from .parts import FILES as FILES_DIR
from .parts import PartWriter, part_files
from .provenance import sha256_file
from .risk.leaks import Scanner, build_needles
from .risk.leaks_section import collect_identifiers
from .subjects import SubjectRecord

KEPT_DESCRIPTION_KEYS = ("BIDSVersion", "DatasetType", "HEDVersion")
CODE_URL = "https://github.com/deidflow/deidflow"


class ReleaseError(RuntimeError):
    """The release cannot be assembled safely."""


def git_commit() -> str | None:
    """The commit of this deidflow checkout, if it is a git checkout."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent, capture_output=True, text=True,
                             timeout=10, check=True)
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None


def dataset_description(source: Mapping[str, Any], release_cfg: Mapping[str, Any]) -> dict[str, Any]:
    """BIDS dataset_description.json for the release: only safe keys of the input's, plus GeneratedBy."""
    out = {k: source[k] for k in KEPT_DESCRIPTION_KEYS if k in source}
    out.setdefault("BIDSVersion", "1.10.0")
    out["Name"] = release_cfg.get("name") or "de-identified study"
    out["DatasetType"] = "raw"
    if release_cfg.get("license"):
        out["License"] = release_cfg["license"]
    if release_cfg.get("authors"):
        out["Authors"] = list(release_cfg["authors"])
    generated = {"Name": "deidflow", "Version": __version__, "CodeURL": CODE_URL,
                 "Description": "De-identified with deidflow (pseudonyms, DICOM PS3.15 profile, defacing, face "
                                "blurring, metadata removal, transcript redaction, tabular anonymization)"}
    commit = git_commit()
    if commit:
        generated["Commit"] = commit
    out["GeneratedBy"] = [generated]
    return out


def write_dataset_description(inputs: Iterable[str], release_cfg: Mapping[str, Any], part: PartWriter) -> None:
    sources = [read_json(p) for p in inputs]
    text = json.dumps(dataset_description(sources[0] if sources else {}, release_cfg), indent=2, sort_keys=True)
    part.path("dataset_description.json").write_text(text + "\n", encoding="utf-8")


def _collect(part_dirs: Iterable[str]) -> dict[str, Path]:
    files, clashes = collect_files(part_dirs)
    if clashes:
        raise ReleaseError("; ".join(clashes))
    return files


def collect_files(part_dirs: Iterable[str]) -> tuple[dict[str, Path], list[str]]:
    """{release path: file} over every part, and a line for each release path two parts produce."""
    files: dict[str, Path] = {}
    clashes: list[str] = []
    for part in part_dirs:
        for rel, path in part_files(part):
            if rel in files:
                clashes.append(f"two parts produce the same release file {rel} "
                               f"({_part_name(files[rel])} and {_part_name(path)})")
                continue
            files[rel] = path
    return files, clashes


def _part_name(path: Path) -> str:
    """`<part>/<subject>` of a file inside a part (work-area paths stay out of messages)."""
    parts = path.parts
    index = parts.index(FILES_DIR) if FILES_DIR in parts else len(parts)
    return "/".join(parts[max(0, index - 2):index])


def _records(provenance_dir: Path) -> list[dict[str, Any]]:
    """Every job's record except the release job's own (it writes its record after the crate)."""
    if not provenance_dir.is_dir():
        return []
    records = [read_json(p) for p in sorted(provenance_dir.rglob("*.json"))]
    return [r for r in records if r.get("rule") != "release"]


PROCESS_RUN_CRATE = "https://w3id.org/ro/wfrun/process/0.5"
WITHHELD_PATH = "(path withheld)"
DROPPED_PARAMS = {"base_dir"}  # parameters that only say where the secure area is


class CrateContext:
    """What the public crate may say about a job's inputs: their kind and pseudonymized, release-style path.

    Job records (in the secure area) hold absolute paths and SHA-256 of every input; the crate in the release holds
    neither: a hash of an original input links a pseudonym to a patient for anyone holding the originals.
    """

    def __init__(self, bids_dir: str = "", work_dir: str = "", secrets_dir: str = "",
                 subjects: Mapping[str, Any] | None = None):
        self.roots = {name: Path(p).absolute() for name, p in
                      (("input", bids_dir), ("work", work_dir), ("secret", secrets_dir)) if p}
        self.absolute = sorted({str(p) for p in self.roots.values()}, key=len, reverse=True)
        self.relative = sorted({p.rstrip("/") for p in (bids_dir, work_dir, secrets_dir) if p and not p.startswith("/")})
        # paths in job records already carry pseudonyms: an identity record per subject rebuilds their names
        self.identity = {pseudo: SubjectRecord(pseudo, pseudo, 0, {s: s for s in record.sessions.values()})
                         for pseudo, record in (subjects or {}).items()}

    def _where(self, path: str) -> tuple[str, str]:
        absolute = Path(path).absolute()
        for name, root in self.roots.items():
            if absolute == root or root in absolute.parents:
                return name, absolute.relative_to(root).as_posix()
        return "other", ""

    def describe(self, path: str) -> tuple[str, str]:
        """(kind, label) of one input path: no host path, no original label, no free-form name."""
        where, rel = self._where(path)
        if where == "input":
            item = classify(rel)
            return f"input {item.kind}", report_path(rel, self.identity.get(item.subject or ""))
        if where == "work":
            parts = PurePosixPath(rel).parts
            if len(parts) >= 3 and parts[0] == "parts":
                return "intermediate part", "/".join(parts[:3])
            return "intermediate", "/".join(report_path(p) if p.startswith(("sub-", "ses-")) else p for p in parts)
        if where == "secret":
            return "secret", "(secrets store, not described)"
        return "other", WITHHELD_PATH

    def is_path(self, value: str) -> bool:
        """An absolute path, or one inside the study, the work area or the secrets store as the config names them
        (a relative folder matches only as a path prefix, so `work` does not match `task-network`)."""
        return (value.startswith(("/", "~")) or any(t in value for t in self.absolute)
                or any(value == t or value.startswith(f"{t}/") for t in self.relative))

    def clean(self, value: Any, key: str = "") -> Any:
        """A job parameter without absolute or secure-area paths."""
        if isinstance(value, Mapping):
            return {k: self.clean(v, k) for k, v in value.items() if k not in DROPPED_PARAMS}
        if isinstance(value, list):
            return [self.clean(v) for v in value]
        if isinstance(value, str) and self.is_path(value):
            return WITHHELD_PATH
        return value


def crate_context(config: Mapping[str, Any]) -> CrateContext:
    """The crate context of a run from its config (the subject table is read from the secrets store)."""
    from .subjects import read_subjects

    secrets = config.get("secrets_dir", "")
    table = Path(secrets) / "subjects.json" if secrets else None
    return CrateContext(config.get("bids_dir", ""), config.get("work_dir", ""), secrets,
                        read_subjects(table) if table is not None and table.is_file() else {})


def build_crate(files: Mapping[str, Path], records: list[dict[str, Any]], release_cfg: Mapping[str, Any],
                context: CrateContext | None = None) -> ROCrate:
    """An RO-Crate (Process Run Crate profile) with every released file (path, SHA-256, size) and every job that
    made them: inputs by kind and pseudonymized path only (no hash, no host path), parameters without paths, no host.
    """
    context = context or CrateContext()
    crate = ROCrate()
    crate.name = release_cfg.get("name") or "de-identified study"
    crate.description = "A de-identified release made by deidflow; every job that made it is a CreateAction."
    if release_cfg.get("license"):
        crate.license = release_cfg["license"]
    profile = crate.add(ContextEntity(crate, PROCESS_RUN_CRATE, properties={
        "@type": "CreativeWork", "name": "Process Run Crate", "version": "0.5"}))
    crate.root_dataset["conformsTo"] = [profile]
    by_hash: dict[str, list[Any]] = {}
    for rel in sorted(files):
        path = files[rel]
        digest = sha256_file(path)
        entity = crate.add_file(path, dest_path=rel, properties={
            "contentSize": str(path.stat().st_size),
            "sha256": digest,
            "encodingFormat": mimetypes.guess_type(rel)[0] or "application/octet-stream",
        })
        by_hash.setdefault(digest, []).append(entity)
    tool = crate.add(ContextEntity(crate, "#deidflow", properties={
        "@type": "SoftwareApplication", "name": "deidflow", "version": __version__, "url": CODE_URL}))
    actions = []
    for index, record in enumerate(records):
        described: dict[tuple[str, str], int] = {}
        for item in record["inputs"]:
            key = ("secret", "(secrets store, not described)") if item.get("secret") else context.describe(item["path"])
            described[key] = described.get(key, 0) + 1
        inputs = [crate.add(ContextEntity(crate, f"#job{index}-in{i}", properties={
            "@type": "PropertyValue", "name": kind, "value": label if count == 1 else f"{label} ({count} files)",
        })) for i, ((kind, label), count) in enumerate(sorted(described.items()))]
        results = [entity for item in record["outputs"] for entity in by_hash.get(item.get("sha256", ""), [])]
        actions.append(crate.add_action(tool, identifier=f"#job-{record['rule']}-{index}", object=inputs,
                                        result=results, properties={
            "name": f"{record['rule']} {' '.join(f'{k}={v}' for k, v in sorted(record['wildcards'].items()))}".strip(),
            "startTime": record["start"], "endTime": record["end"],
            "description": json.dumps({"params": context.clean(record["params"]), "tools": record["tools"],
                                       "threads": record["threads"]}, sort_keys=True),
        }))
    crate.root_dataset["mentions"] = actions
    return crate


def crate_problems(metadata: Mapping[str, Any], context: CrateContext) -> list[str]:
    """What a crate must not hold: an absolute or secure-area path, a host name field, an input hash."""
    problems: list[str] = []

    def walk(value: Any, where: str) -> None:
        if isinstance(value, Mapping):
            for key, item in value.items():
                if key in ("host", "platform"):
                    problems.append(f"{where}: a {key} field")
                walk(item, f"{where}.{key}")
        elif isinstance(value, list):
            for item in value:
                walk(item, where)
        elif isinstance(value, str) and context.is_path(value):
            problems.append(f"{where}: an absolute or secure-area path")

    for entity in metadata.get("@graph", []):
        name = entity.get("@id", "?")
        if entity.get("@type") == "PropertyValue" and re.search(r"\b[0-9a-f]{64}\b", json.dumps(entity)):
            problems.append(f"{name}: an input hash")
        walk(entity, name)
        if entity.get("@type") == "CreateAction":
            walk(json.loads(entity.get("description") or "{}"), f"{name}.description")
    return problems


def release_check_section(part_dirs: Iterable[str], provenance_dir: str, identifiers: str,
                          release_cfg: Mapping[str, Any], context: CrateContext) -> dict[str, Any]:
    """Every check the release step makes, run before the gate decides: no two parts produce one file, and the
    provenance crate (built now from the records so far) carries no identifier and no host or secure-area path."""
    part_dirs = list(part_dirs)
    files, clashes = collect_files(part_dirs)
    records = _records(Path(provenance_dir))
    crate = build_crate(files, records, release_cfg, context)
    with tempfile.TemporaryDirectory() as tmp:
        crate.metadata.write(tmp)
        path = Path(tmp) / "ro-crate-metadata.json"
        text = path.read_bytes()
        scanner = Scanner(build_needles(collect_identifiers(identifiers, part_dirs)))
        hits = [h for h in scanner.scan_file(path, "ro-crate-metadata.json") if h.blocking]
    problems = crate_problems(json.loads(text), context)
    # the file is named by its folder only: a name that is not entity-built may be the identifier itself
    names = [f"a file in {PurePosixPath(rel).parent}/: {problem}" for rel in sorted(files)
             if (problem := name_problem(rel))]
    return {
        "section": "release",
        "title": "Release assembly and provenance (checked before the gate)",
        "metrics": {"files": len(files), "jobs_described": len(records),
                    "crate_bytes": len(text)},
        "checks": [
            {"name": "every release file comes from one part", "passed": not clashes,
             "detail": "; ".join(clashes[:20]) or f"{len(files)} files, no clash"},
            {"name": "every released name is built from BIDS entities", "passed": not names,
             "detail": "; ".join(names[:20]) or f"{len(files)} names checked"},
            {"name": "provenance crate carries no known identifier", "passed": not hits,
             "detail": "; ".join(h.describe() for h in hits[:20]) or "no identifier value found"},
            {"name": "provenance crate carries no host or secure-area path and no input hash", "passed": not problems,
             "detail": "; ".join(problems[:20]) or "release-relative paths, pseudonymized input labels only"},
        ],
    }


def assemble_release(
    part_dirs: Iterable[str],
    release_dir: str,
    provenance_dir: str,
    identifiers: str,
    release_cfg: Mapping[str, Any],
    context: CrateContext | None = None,
) -> dict[str, int]:
    """Copy every part's files into the release with its RO-Crate; refuse if the crate names an identifier."""
    part_dirs = list(part_dirs)
    files = _collect(part_dirs)
    crate = build_crate(files, _records(Path(provenance_dir)), release_cfg, context)
    scanner = Scanner(build_needles(collect_identifiers(identifiers, part_dirs)))
    with atomic_directory(release_dir) as tmp:
        crate.write(tmp)
        metadata = tmp / "ro-crate-metadata.json"
        # the same checks ran before the gate (release_check_section); this is the safety net for the records of
        # the jobs that ran after it (risk_report, gate), which are described the same way
        hits = [h for h in scanner.scan_file(metadata, "ro-crate-metadata.json") if h.blocking]
        problems = crate_problems(read_json(metadata), context or CrateContext())
        if hits or problems:
            raise ReleaseError("ro-crate-metadata.json would carry identifiers or paths: "
                               + "; ".join([*(h.describe() for h in hits[:10]), *problems[:10]]))
        for rel, path in files.items():
            if sha256_file(tmp / rel) != sha256_file(path):
                raise ReleaseError(f"{rel}: copy in the release differs from its part")
    return {"files": len(files), "bytes": sum(p.stat().st_size for p in files.values())}
