"""Classify every file of a BIDS-like study; anything no rule knows is withheld, never copied."""

from __future__ import annotations

import io
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import pandas as pd

KINDS = ("dataset_description", "table", "dicom", "nifti", "photo", "video", "transcript", "scans", "unknown")
KINDS += ("eeg",)  # EEG/MEG/iEEG recordings and their sidecars; physio files under any datatype
KINDS += ("audio",)  # issue 19: voice recordings under any datatype folder
AUDIO_EXT = {".wav", ".mp3", ".flac", ".ogg", ".m4a"}
PHOTO_EXT = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".heic"}
VIDEO_EXT = {".mp4", ".mov", ".avi", ".mkv", ".webm"}
TRANSCRIPT_EXT = {".txt", ".vtt", ".srt"}
NIFTI_DATATYPES = {"anat", "func", "dwi", "fmap", "perf"}
LABEL = re.compile(r"^[A-Za-z0-9]+$")
EEG_DATATYPES = {"eeg", "meg", "ieeg"}
PHYSIO_NAMES = ("_physio.tsv.gz", "_physio.json", "_stim.tsv.gz", "_stim.json")
# Documents (part document, step documents): in any datatype folder of a subject.
DOCUMENT_EXT = {".docx", ".odt", ".rtf", ".pdf"}
KINDS = (*KINDS[:-1], "document", KINDS[-1])


class StudyError(ValueError):
    """The input study does not follow the layout deidflow expects."""


@dataclass(frozen=True)
class InputFile:
    relpath: str  # POSIX path relative to the study root
    kind: str
    subject: str | None = None  # original label, no prefix
    session: str | None = None
    reason: str = ""  # for unknown files: why no rule takes them


@dataclass
class Inventory:
    root: Path
    files: list[InputFile]
    participants: list[str]  # original labels from participants.tsv, in table order
    sessions: dict[str, set[str]] = field(default_factory=dict)
    hidden: Counter = field(default_factory=Counter)  # hidden files skipped, by pattern (never their paths)
    walk_cache: Any = field(default=None, repr=False, compare=False)  # inventory_cache.CachedWalk, when one is used

    def of_kind(self, kind: str, subject: str | None = None) -> list[InputFile]:
        return [f for f in self.files if f.kind == kind and (subject is None or f.subject == subject)]

    def counts(self) -> Counter:
        return Counter(f.kind for f in self.files)

    def save_cache(self) -> bool:
        """Store the walk in the cache given to discover() (once the run's checks passed); whether it was stored."""
        return self.walk_cache.save() if self.walk_cache is not None else False


def _suffixes(name: str) -> str:
    lower = name.lower()
    return ".nii.gz" if lower.endswith(".nii.gz") else PurePosixPath(lower).suffix


def classify(relpath: str) -> InputFile:
    """The kind of one file from its place in the tree and its extension (content is checked later by its rule)."""
    parts = PurePosixPath(relpath).parts
    name = parts[-1]
    ext = _suffixes(name)
    if any(p.startswith(".") for p in parts):
        return InputFile(relpath, "unknown", reason="hidden file")
    if len(parts) == 1:
        if name == "dataset_description.json":
            return InputFile(relpath, "dataset_description")
        if name in ("participants.tsv", "participants.json"):
            return InputFile(relpath, "table")
        return InputFile(relpath, "unknown", reason="top-level file with no de-identification rule")
    if parts[0] == "phenotype" and len(parts) == 2 and ext in (".tsv", ".json"):
        return InputFile(relpath, "table")
    if parts[:2] == ("sourcedata", "dicom") and len(parts) >= 4 and parts[2].startswith("sub-"):
        subject = parts[2][4:]
        session = parts[3][4:] if parts[3].startswith("ses-") and len(parts) >= 5 else None
        return InputFile(relpath, "dicom", subject, session)
    if parts[0].startswith("sub-"):
        subject = parts[0][4:]
        rest = parts[1:]
        session = None
        if rest and rest[0].startswith("ses-") and len(rest) > 1:
            session, rest = rest[0][4:], rest[1:]
        if len(rest) == 1 and name.endswith("_scans.tsv"):
            return InputFile(relpath, "scans", subject, session)
        if len(rest) == 2:
            datatype = rest[0]
            if ext in AUDIO_EXT:  # a voice recording, whatever the folder (also beside an EEG recording)
                return InputFile(relpath, "audio", subject, session)
            if datatype in EEG_DATATYPES or name.lower().endswith(PHYSIO_NAMES):
                return InputFile(relpath, "eeg", subject, session)
            if datatype in NIFTI_DATATYPES and ext in (".nii", ".nii.gz", ".json", ".bval", ".bvec"):
                return InputFile(relpath, "nifti", subject, session)
            if datatype == "photo" and ext in PHOTO_EXT:
                return InputFile(relpath, "photo", subject, session)
            if datatype == "beh" and ext in VIDEO_EXT:
                return InputFile(relpath, "video", subject, session)
            if datatype == "beh" and ext in TRANSCRIPT_EXT and PurePosixPath(name).stem.endswith("_transcript"):
                return InputFile(relpath, "transcript", subject, session)
        if len(rest) == 2 and ext in DOCUMENT_EXT:
            return InputFile(relpath, "document", subject, session)
        return InputFile(relpath, "unknown", subject, session, reason=f"no rule handles {ext or 'extensionless'} files here")
    return InputFile(relpath, "unknown", reason="outside the layout deidflow knows")


HIDDEN_NAMES = {"Thumbs.db", "ehthumbs.db", "desktop.ini", "Icon\r"}  # left by file managers, never data


def hidden_kind(name: str) -> str | None:
    """The pattern of a file-manager or version-control leftover (`.DS_Store`, `._x`, `Thumbs.db`, `.git`), or None."""
    if name.startswith("._"):
        return "._* (macOS resource forks)"
    if name.startswith("."):
        return f"{name}" if name in (".DS_Store", ".git", ".gitignore", ".gitattributes") else ".* (hidden)"
    if name in HIDDEN_NAMES:
        return name.strip()
    return None


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def walk(root: Path) -> tuple[list[InputFile], Counter]:
    """Classify every file under root, following symbolic links that stay inside the study.

    Hidden files and folders are skipped and counted by pattern (their paths can carry original labels and never
    reach the report). A link whose target leaves the study (or is broken) is withheld with the reason, whether it
    points to a file or a folder; a link to a folder inside the study is walked like the folder itself.
    """
    files, hidden, _folders, _links = walk_tree(root)
    return files, hidden


def walk_tree(root: Path) -> tuple[list[InputFile], Counter, list[str], bool]:
    """walk(), plus what an inventory cache needs: every folder walked (relative, "." for root) and whether any
    symbolic link was met (a link's target can change with no folder of the study changing)."""
    real_root = root.resolve()
    files: list[InputFile] = []
    hidden: Counter = Counter()
    folders: list[str] = []
    links = False

    def withhold(rel: str, reason: str) -> None:
        item = classify(rel)
        files.append(InputFile(rel, "unknown", item.subject, item.session, reason=reason))

    def visit(folder: str, rel_folder: str, real: Path, ancestors: tuple[Path, ...] = ()) -> None:
        nonlocal links
        if real in ancestors:
            withhold(rel_folder, "symbolic link loop (a folder linked into itself); not followed")
            return
        folders.append(rel_folder)
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            rel = f"{rel_folder}/{entry.name}" if rel_folder != "." else entry.name
            pattern = hidden_kind(entry.name)
            if pattern is not None:
                hidden[pattern] += 1
                continue
            if entry.is_symlink():
                links = True
                target = Path(entry.path).resolve()
                if not target.exists():
                    withhold(rel, "broken symbolic link (its target does not exist); not followed")
                    continue
                if not _inside(target, real_root):
                    what = "folder" if target.is_dir() else "file"
                    withhold(rel, f"symbolic link to a {what} outside the study; not followed (copy the data into "
                                  "the study if it belongs to it)")
                    continue
            else:
                target = None
            # DirEntry answers from the folder listing (no stat) unless the entry is a link, which it follows
            if entry.is_dir():
                # a plain entry of a resolved folder is resolved already
                visit(entry.path, rel, target or real / entry.name, (*ancestors, real))
            elif entry.is_file():
                files.append(classify(rel))
            else:
                withhold(rel, "not a regular file (a device, socket or pipe)")

    visit(str(root), ".", real_root)
    return files, hidden, folders, links


def read_tsv(path: Path) -> pd.DataFrame:
    """A BIDS TSV as strings; a ragged row, a bad encoding or an empty file is a clear error naming the line."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise StudyError(f"{path}: not UTF-8 text ({err.reason} at byte {err.start}); re-save it as UTF-8") from None
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise StudyError(f"{path}: empty table (a header row is required)")
    width = lines[0].count("\t")
    for number, line in enumerate(lines[1:], start=2):
        if line.strip() and line.count("\t") != width:
            raise StudyError(
                f"{path}: not a readable tab-separated table (line {number} has {line.count(chr(9)) + 1} fields, "
                f"the header has {width + 1})"
            )
    return pd.read_csv(io.StringIO(text), sep="\t", dtype=str, keep_default_na=False, na_filter=False)


def read_participants(path: Path) -> pd.DataFrame:
    """participants.tsv as strings, with a clear error for a missing, malformed or duplicated table."""
    if not path.is_file():
        raise StudyError(f"{path}: participants.tsv not found; every study needs one (BIDS)")
    table = read_tsv(path)
    if "participant_id" not in table.columns:
        raise StudyError(f"{path}: no participant_id column (found: {', '.join(map(str, table.columns))})")
    ids = table["participant_id"].str.strip()
    bad = [i for i, v in enumerate(ids, start=2) if not (v.startswith("sub-") and LABEL.match(v[4:]))]
    if bad:
        raise StudyError(f"{path}: participant_id on line(s) {bad[:5]} is not sub-<alphanumeric label>")
    dup = ids[ids.duplicated()]
    if len(dup):
        lines = [i + 2 for i in ids.index[ids.duplicated(keep=False)]][:6]
        raise StudyError(f"{path}: duplicate participant_id on lines {lines}; each participant needs one row")
    return table


def discover(root: str | os.PathLike, cache: str | os.PathLike | None = None) -> Inventory:
    """Walk the study and classify every file; check subjects against participants.tsv.

    With `cache` (a file in the work folder), the walk comes from there while no folder of the study changed
    (deidflow.inventory_cache); Inventory.save_cache() stores a fresh walk."""
    root = Path(root)
    if not root.is_dir():
        raise StudyError(f"{root}: study folder (bids_dir) not found")
    table = read_participants(root / "participants.tsv")
    participants = [v.strip()[4:] for v in table["participant_id"]]
    walk_cache = None
    if cache is None:
        files, hidden = walk(root)
    else:
        from .inventory_cache import CachedWalk  # it imports this module

        walk_cache = CachedWalk(root, cache)
        files, hidden = walk_cache.files, walk_cache.hidden
    known = set(participants)
    strays = sorted({f.subject for f in files if f.subject is not None and f.subject not in known})
    if strays:
        folders = ", ".join(f"sub-{s}" for s in strays[:5])
        raise StudyError(
            f"{root}: subject folder(s) {folders} not listed in participants.tsv; add them to the table or move them "
            "out of the study"
        )
    sessions: dict[str, set[str]] = {s: set() for s in participants}
    for f in files:
        if f.subject is not None and f.session is not None:
            if not LABEL.match(f.session):
                raise StudyError(f"{root / f.relpath}: session label ses-{f.session} is not alphanumeric")
            sessions[f.subject].add(f.session)
    return Inventory(root=root, files=files, participants=participants, sessions=sessions, hidden=hidden,
                     walk_cache=walk_cache)
