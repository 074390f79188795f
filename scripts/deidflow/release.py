"""Release assembly: dataset_description.json, the files every part produced, and the RO-Crate describing them."""

from __future__ import annotations

import json
import mimetypes
import subprocess
from pathlib import Path
from typing import Any, Iterable, Mapping

from rocrate.model.contextentity import ContextEntity
from rocrate.rocrate import ROCrate

from . import __version__
from .io import atomic_directory, read_json
from .parts import PartWriter, part_files
from .provenance import sha256_file
from .risk.leaks import Scanner, build_needles
from .risk.leaks_section import collect_identifiers

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
    files: dict[str, Path] = {}
    for part in part_dirs:
        for rel, path in part_files(part):
            if rel in files:
                raise ReleaseError(f"two parts produce the same release file {rel} ({files[rel]} and {path})")
            files[rel] = path
    return files


def _records(provenance_dir: Path) -> list[dict[str, Any]]:
    """Every job's record except an earlier release job's own (this release job writes its record after the crate)."""
    if not provenance_dir.is_dir():
        return []
    records = [read_json(p) for p in sorted(provenance_dir.rglob("*.json"))]
    return [r for r in records if r.get("rule") != "release"]


def build_crate(files: Mapping[str, Path], records: list[dict[str, Any]], release_cfg: Mapping[str, Any]) -> ROCrate:
    """An RO-Crate (Workflow Run Crate profile) with every released file and every job that made them."""
    crate = ROCrate()
    crate.name = release_cfg.get("name") or "de-identified study"
    crate.description = "A de-identified release made by deidflow; every job that made it is a CreateAction."
    if release_cfg.get("license"):
        crate.license = release_cfg["license"]
    crate.root_dataset["conformsTo"] = [{"@id": "https://w3id.org/ro/wfrun/workflow/0.5"}]
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
    for index, record in enumerate(records):
        inputs = [crate.add(ContextEntity(crate, f"#job{index}-in{i}", properties={
            "@type": "PropertyValue", "name": item["path"], "value": item.get("sha256", "secret, not hashed"),
            "contentSize": str(item.get("size", "")),
        })) for i, item in enumerate(record["inputs"])]
        results = [entity for item in record["outputs"] for entity in by_hash.get(item.get("sha256", ""), [])]
        crate.add_action(tool, identifier=f"#job-{record['rule']}-{index}", object=inputs, result=results, properties={
            "name": f"{record['rule']} {' '.join(f'{k}={v}' for k, v in sorted(record['wildcards'].items()))}".strip(),
            "startTime": record["start"], "endTime": record["end"],
            "description": json.dumps({"params": record["params"], "tools": record["tools"], "host": record["host"],
                                       "threads": record["threads"]}, sort_keys=True),
        })
    return crate


def assemble_release(
    part_dirs: Iterable[str],
    release_dir: str,
    provenance_dir: str,
    identifiers: str,
    release_cfg: Mapping[str, Any],
) -> dict[str, int]:
    """Copy every part's files into the release with its RO-Crate; refuse if the crate names an identifier."""
    part_dirs = list(part_dirs)
    files = _collect(part_dirs)
    crate = build_crate(files, _records(Path(provenance_dir)), release_cfg)
    scanner = Scanner(build_needles(collect_identifiers(identifiers, part_dirs)))
    with atomic_directory(release_dir) as tmp:
        crate.write(tmp)
        metadata = tmp / "ro-crate-metadata.json"
        hits = [h for h in scanner.scan_file(metadata, "ro-crate-metadata.json") if h.blocking]
        if hits:
            raise ReleaseError("ro-crate-metadata.json would carry identifiers: " + "; ".join(h.describe() for h in hits[:10]))
        for rel, path in files.items():
            if sha256_file(tmp / rel) != sha256_file(path):
                raise ReleaseError(f"{rel}: copy in the release differs from its part")
    return {"files": len(files), "bytes": sum(p.stat().st_size for p in files.values())}
