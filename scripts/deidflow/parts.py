"""Parts: what one step hands to the release (files, withheld inputs, identifiers for the leak scan, risk)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any, Iterable

from .io import atomic_write_json, read_json

MANIFEST = "manifest.json"
IDENTIFIERS = "identifiers.json"
RISK = "risk.json"
FILES = "files"


class PartWriter:
    """Builds a part directory in a temporary sibling and moves it into place only when the block succeeds."""

    def __init__(self, out_dir: str | os.PathLike, part: str, subject: str | None):
        self.out_dir = Path(out_dir)
        self.part, self.subject = part, subject
        self.produced: list[str] = []
        self.withheld: list[dict[str, str]] = []
        self.notes: list[str] = []
        self.identifiers: list[dict[str, str]] = []
        self.risk_section: dict[str, Any] | None = None
        self._tmp: Path | None = None

    def __enter__(self) -> "PartWriter":
        self.out_dir.parent.mkdir(parents=True, exist_ok=True)
        for stale in self.out_dir.parent.glob(f".{self.out_dir.name}.*.tmp"):  # left by a killed job
            shutil.rmtree(stale, ignore_errors=True)
        self._tmp = Path(tempfile.mkdtemp(dir=self.out_dir.parent, prefix=f".{self.out_dir.name}.", suffix=".tmp"))
        (self._tmp / FILES).mkdir()
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        assert self._tmp is not None
        if exc_type is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            return False
        manifest = {
            "part": self.part,
            "subject": self.subject,
            "produced": sorted(self.produced),
            "withheld": sorted(self.withheld, key=lambda w: (w["source"], w["reason"])),
            "notes": self.notes,
        }
        atomic_write_json(self._tmp / MANIFEST, manifest)
        if self.identifiers:
            unique = {(i["value"], i["kind"]): i for i in self.identifiers}
            atomic_write_json(self._tmp / IDENTIFIERS, {"values": [unique[k] for k in sorted(unique)]})
        if self.risk_section is not None:
            atomic_write_json(self._tmp / RISK, self.risk_section)
        if self.out_dir.exists():
            shutil.rmtree(self.out_dir)
        os.replace(self._tmp, self.out_dir)
        return False

    def path(self, release_relpath: str) -> Path:
        """Where to write the released file `release_relpath` (a relative POSIX path); records it as produced."""
        assert self._tmp is not None, "use PartWriter as a context manager"
        rel = PurePosixPath(release_relpath)
        if rel.is_absolute() or ".." in rel.parts:
            raise ValueError(f"release path {release_relpath!r} must be relative and stay inside the release")
        if str(rel) in self.produced:
            raise ValueError(f"release path {release_relpath!r} produced twice in part {self.part}")
        self.produced.append(str(rel))
        target = self._tmp / FILES / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def discard(self, release_relpath: str) -> None:
        """Undo `path()` for a file that turned out not to be releasable (remove it if written)."""
        assert self._tmp is not None
        rel = str(PurePosixPath(release_relpath))
        if rel in self.produced:
            self.produced.remove(rel)
        (self._tmp / FILES / rel).unlink(missing_ok=True)

    def withhold(self, source: str, reason: str) -> None:
        """Record an input that does not reach the release, and why (source with pseudonymized labels)."""
        self.withheld.append({"source": source, "reason": reason})

    def note(self, text: str) -> None:
        self.notes.append(text)

    def add_identifiers(self, values: Iterable[tuple[str, str]]) -> None:
        """Values found in the input that must never appear in the release, as (value, kind) pairs."""
        for value, kind in values:
            value = str(value).strip()
            if value:
                self.identifiers.append({"value": value, "kind": kind})

    def risk(self, section: dict[str, Any]) -> None:
        self.risk_section = section


def read_manifest(part_dir: str | os.PathLike) -> dict[str, Any]:
    return read_json(Path(part_dir) / MANIFEST)


def part_files(part_dir: str | os.PathLike) -> list[tuple[str, Path]]:
    """(release-relative path, file on disk) for every file a part produced."""
    part_dir = Path(part_dir)
    return [(rel, part_dir / FILES / rel) for rel in read_manifest(part_dir)["produced"]]
