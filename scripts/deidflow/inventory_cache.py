"""A cache of the study walk (`discovery.walk_tree`) in the work folder, so a repeated run of a study of a million
files does not list and classify every file again before Snakemake can start.

The walk's result depends only on names and types: which files and folders exist where. Adding, removing, renaming or
replacing an entry changes its folder's mtime and ctime (ctime cannot be set back by `touch` or `rsync -t`), so the
cache is keyed by (device, inode, mtime, ctime) of every folder walked, by the study's real path and by the source of
the deidflow code that classifies. Rewriting a file in place changes no name or type, so the walk it gives is the
same. It is used only when it is safe:
- a tree with any symbolic link is never cached (a link's target can change with no folder of the study changing);
- a folder changed within RACY_NS of the walk is not trusted (file systems with coarse clocks could give a change
  made right after the walk the same time stamp), so that walk is not cached.
The cache holds original labels in paths, so it lives in the work folder (the secure area) with mode 0600.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import stat
import time
from collections import Counter
from pathlib import Path

from .discovery import InputFile, walk_tree
from .io import atomic_write_text

FORMAT = "deidflow-inventory-cache/1"
RACY_NS = 2_000_000_000  # folders changed this close to the walk are not trusted


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """SHA-256 over the source of the deidflow package: a change to the classification (or any other code) empties the
    cache. The whole package, not the modules loaded, so every process that reads the cache computes the same key."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _signature(root: str, folders: list[str]) -> list[list[int]] | None:
    """(device, inode, mtime, ctime) of every folder, or None where one is gone or is no longer a folder."""
    out = []
    for rel in folders:
        try:
            st = os.lstat(os.path.join(root, rel))
        except OSError:
            return None
        if not stat.S_ISDIR(st.st_mode):
            return None
        out.append([st.st_dev, st.st_ino, st.st_mtime_ns, st.st_ctime_ns])
    return out


def _load(path: Path, root: str) -> tuple[list[InputFile], Counter] | None:
    """The cached walk when every folder still has its recorded signature; None otherwise (or when unreadable)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("root") != root:
        return None
    if data.get("code") != code_version():
        return None
    folders = data.get("folders")
    if not isinstance(folders, list) or _signature(root, folders) != data.get("signature"):
        return None
    return [InputFile(*row) for row in data["files"]], Counter(data["hidden"])


def _save(path: Path, root: str, files: list[InputFile], hidden: Counter, folders: list[str],
          signature: list[list[int]]) -> None:
    """Write the cache atomically (a reader sees the old cache or the new one), mode 0600."""
    data = {"format": FORMAT, "root": root, "code": code_version(), "folders": folders, "signature": signature,
            "hidden": dict(hidden),
            "files": [[f.relpath, f.kind, f.subject, f.session, f.reason] for f in files]}
    atomic_write_text(path, json.dumps(data, separators=(",", ":")), mode=0o600)


class CachedWalk:
    """The study walk, from the cache when it is still valid; `save()` stores a fresh walk when it is safe to."""

    def __init__(self, root: str | os.PathLike, cache: str | os.PathLike):
        self.root = os.path.realpath(root)
        self.cache = Path(cache)
        self._pending: tuple | None = None
        loaded = _load(self.cache, self.root)
        self.hit = loaded is not None
        if loaded is not None:
            self.files, self.hidden = loaded
            return
        started = time.time_ns()
        self.files, self.hidden, folders, links = walk_tree(Path(root))
        if links:
            return
        signature = _signature(self.root, folders)
        if signature is None or any(max(s[2], s[3]) > started - RACY_NS for s in signature):
            return
        self._pending = (folders, signature)

    def save(self) -> bool:
        """Store a fresh walk that may be cached (called once the run's checks have passed); whether it was stored."""
        if self._pending is None:
            return False
        folders, signature = self._pending
        self._pending = None
        _save(self.cache, self.root, self.files, self.hidden, folders, signature)
        return True
