"""Classify every file of a BIDS-like study; anything no rule knows is withheld, never copied."""

from __future__ import annotations

import io
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import pandas as pd

KINDS = ("dataset_description", "table", "dicom", "nifti", "photo", "video", "transcript", "scans", "unknown")
KINDS += ("audio",)  # issue 19: voice recordings under any datatype folder
AUDIO_EXT = {".wav", ".mp3", ".flac", ".ogg", ".m4a"}
PHOTO_EXT = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".heic"}
VIDEO_EXT = {".mp4", ".mov", ".avi", ".mkv", ".webm"}
TRANSCRIPT_EXT = {".txt", ".vtt", ".srt"}
NIFTI_DATATYPES = {"anat", "func", "dwi", "fmap", "perf"}
LABEL = re.compile(r"^[A-Za-z0-9]+$")


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

    def of_kind(self, kind: str, subject: str | None = None) -> list[InputFile]:
        return [f for f in self.files if f.kind == kind and (subject is None or f.subject == subject)]

    def counts(self) -> Counter:
        return Counter(f.kind for f in self.files)


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
            if datatype in NIFTI_DATATYPES and ext in (".nii", ".nii.gz", ".json", ".bval", ".bvec"):
                return InputFile(relpath, "nifti", subject, session)
            if datatype == "photo" and ext in PHOTO_EXT:
                return InputFile(relpath, "photo", subject, session)
            if datatype == "beh" and ext in VIDEO_EXT:
                return InputFile(relpath, "video", subject, session)
            if datatype == "beh" and ext in TRANSCRIPT_EXT and PurePosixPath(name).stem.endswith("_transcript"):
                return InputFile(relpath, "transcript", subject, session)
            if ext in AUDIO_EXT:
                return InputFile(relpath, "audio", subject, session)
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
    real_root = root.resolve()
    files: list[InputFile] = []
    hidden: Counter = Counter()

    def withhold(rel: str, reason: str) -> None:
        item = classify(rel)
        files.append(InputFile(rel, "unknown", item.subject, item.session, reason=reason))

    def visit(folder: Path, rel_folder: PurePosixPath, ancestors: tuple[Path, ...] = ()) -> None:
        real = folder.resolve()
        if real in ancestors:
            withhold(rel_folder.as_posix(), "symbolic link loop (a folder linked into itself); not followed")
            return
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            rel = (rel_folder / entry.name).as_posix() if str(rel_folder) != "." else entry.name
            pattern = hidden_kind(entry.name)
            if pattern is not None:
                hidden[pattern] += 1
                continue
            path = Path(entry.path)
            if entry.is_symlink():
                target = path.resolve()
                if not target.exists():
                    withhold(rel, "broken symbolic link (its target does not exist); not followed")
                    continue
                if not _inside(target, real_root):
                    what = "folder" if target.is_dir() else "file"
                    withhold(rel, f"symbolic link to a {what} outside the study; not followed (copy the data into "
                                  "the study if it belongs to it)")
                    continue
            if path.is_dir():
                visit(path, PurePosixPath(rel), (*ancestors, real))
            elif path.is_file():
                files.append(classify(rel))
            else:
                withhold(rel, "not a regular file (a device, socket or pipe)")

    visit(root, PurePosixPath("."))
    return files, hidden


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


def discover(root: str | os.PathLike) -> Inventory:
    """Walk the study and classify every file; check subjects against participants.tsv."""
    root = Path(root)
    if not root.is_dir():
        raise StudyError(f"{root}: study folder (bids_dir) not found")
    table = read_participants(root / "participants.tsv")
    participants = [v.strip()[4:] for v in table["participant_id"]]
    files, hidden = walk(root)
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
    return Inventory(root=root, files=files, participants=participants, sessions=sessions, hidden=hidden)
