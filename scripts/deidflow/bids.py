"""The BIDS files a release needs besides the data: README, CHANGES and a .bidsignore for the parts BIDS does not
define (photos, transcripts, videos, the RO-Crate), so that the BIDS validator passes on a release."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any, Iterable, Mapping

from . import __version__

# Files deidflow releases that BIDS (1.10) does not define; the validator is told to skip them.
BIDSIGNORE = [
    "ro-crate-metadata.json",
    "**/photo",
    "**/*_photo.*",
    "**/*_transcript.*",
    "**/*_video.*",
    "**/*_scans.json",
]
BIDSIGNORE.append("**/*_document.*")  # documents (part document)
BIDSIGNORE.append("**/*_audio.*")  # voice recordings (issue 19): no BIDS suffix yet (the audio/video proposal)


def _commit_date() -> str:
    """The date of this deidflow commit (so the same inputs, key, seed and code give the same bytes)."""
    try:
        out = subprocess.run(["git", "log", "-1", "--format=%cs"], cwd=Path(__file__).parent, capture_output=True,
                             text=True, timeout=10, check=True)
        return out.stdout.strip() or "1970-01-01"
    except (OSError, subprocess.SubprocessError):
        return "1970-01-01"


def readme_text(release_cfg: Mapping[str, Any]) -> str:
    """README of the release: what it is, how it was de-identified, where the provenance is."""
    name = release_cfg.get("name") or "de-identified study"
    lines = [
        f"# {name}",
        "",
        f"A de-identified release made by deidflow {__version__} (https://github.com/deidflow/deidflow).",
        "",
        "- Subject and session labels are pseudonyms; dates are moved by a per-subject offset kept by the data",
        "  steward, never in this release.",
        "- Tables: direct identifiers removed, quasi-identifiers generalized to the configured k-anonymity;",
        "  each table's JSON sidecar says what was done to each column.",
        "- Images, videos, DICOM and transcripts were de-identified by their steps (defacing, face blurring,",
        "  metadata removal, the DICOM PS3.15 confidentiality profile, transcript redaction).",
        "- Inputs that could not be de-identified were withheld, not copied.",
        "- `ro-crate-metadata.json` lists every file (SHA-256, size) and every job that made it.",
        "",
        "Files BIDS does not define (photos, transcripts, videos, the RO-Crate) are listed in `.bidsignore`.",
    ]
    if release_cfg.get("license"):
        lines += ["", f"License: {release_cfg['license']}"]
    if release_cfg.get("authors"):
        lines += ["", "Authors: " + ", ".join(release_cfg["authors"])]
    return "\n".join(lines) + "\n"


def changes_text() -> str:
    """CHANGES in the BIDS (CPAN Changelog) form."""
    return f"1.0.0 {_commit_date()}\n  - De-identified release made by deidflow {__version__}.\n"


def repeated_index_tables(tables: Iterable[str | Path]) -> list[str]:
    """Phenotype tables (as `phenotype/<name>`) with several rows per participant and no session_id column: BIDS
    wants participant_id unique there, so the validator would reject them; they are listed in .bidsignore."""
    out = []
    for path in tables:
        path = Path(path)
        if path.suffix != ".tsv" or path.parent.name != "phenotype":
            continue
        with path.open(encoding="utf-8-sig") as fh:
            header = fh.readline().rstrip("\n").split("\t")
            if "participant_id" not in header or "session_id" in header:
                continue
            column = header.index("participant_id")
            ids = [line.rstrip("\n").split("\t")[column] for line in fh if line.strip()]
        if len(ids) != len(set(ids)):
            out.append(f"phenotype/{path.stem}")
    return sorted(out)


def write_release_docs(part: Any, release_cfg: Mapping[str, Any], tables: Iterable[str | Path] = ()) -> None:
    """README, CHANGES and .bidsignore into the dataset part (a deidflow.parts.PartWriter)."""
    part.path("README.md").write_text(readme_text(release_cfg), encoding="utf-8")
    part.path("CHANGES").write_text(changes_text(), encoding="utf-8")
    ignore = BIDSIGNORE + [f"{name}.{ext}" for name in repeated_index_tables(tables) for ext in ("tsv", "json")]
    part.path(".bidsignore").write_text("\n".join(ignore) + "\n", encoding="utf-8")
