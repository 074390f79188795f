"""Released names: every file name rebuilt from BIDS entities with pseudonymized sub/ses labels, nothing else.

People type names into file names (`sub-01_JodiCastro.jpg`, `sub-01_task-interview_jodi.castro_transcript.txt`).
A released name keeps only the BIDS entities below, a known suffix and the extension: any other name part is
dropped, an entity label that matches a known identifier withholds the file, and two inputs that would get the same
released name never overwrite each other (`plan_names` withholds the later one). Every part names its outputs here,
and the scans table maps its rows with the same function, so a name is rebuilt the same way everywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, Iterable, Mapping

from .subjects import SubjectRecord

# BIDS entities deidflow releases, in the specification's order (sub and ses come from the pseudonym table).
ENTITIES = ("sub", "ses", "task", "acq", "ce", "rec", "dir", "run", "echo", "part", "recording")
DATATYPES = ("anat", "func", "dwi", "fmap", "perf", "photo", "beh", "eeg", "meg", "ieeg", "pet")
SUFFIXES: dict[str | None, frozenset[str]] = {
    "anat": frozenset("T1w T2w PDw T2starw FLAIR inplaneT1 inplaneT2 PDT2 angio T1map T2map T2starmap R1map R2map "
                      "R2starmap PDmap MTRmap MTsat UNIT1 T1rho MWFmap MTVmap Chimap S0map M0map defacemask MESE "
                      "MEGRE VFA IRT1 MP2RAGE MPM MTS MTR PD T2star".split()),
    "func": frozenset("bold cbv sbref phase events physio stim".split()),
    "dwi": frozenset("dwi sbref events physio".split()),
    "fmap": frozenset("phasediff phase1 phase2 magnitude magnitude1 magnitude2 fieldmap epi m0scan TB1DAM TB1EPI "
                      "TB1AFI TB1TFL TB1RFM TB1SRGE TB1map RB1map RB1COR".split()),
    "perf": frozenset("asl m0scan aslcontext asllabeling physio stim".split()),
    "photo": frozenset({"photo"}),
    "beh": frozenset("beh events physio stim video transcript".split()),
    None: frozenset({"scans", "sessions"}),
}
# Recordings (EEG, MEG, iEEG) and their sidecars.
SUFFIXES["eeg"] = frozenset("eeg channels events electrodes coordsystem physio stim photo".split())
SUFFIXES["meg"] = frozenset("meg channels events headshape coordsystem physio stim photo".split())
SUFFIXES["ieeg"] = frozenset("ieeg channels events electrodes coordsystem physio stim photo".split())
# Documents (part document) may sit in any datatype folder; their suffix is `document`.
DOCUMENT_EXTENSIONS = (".docx", ".odt", ".rtf", ".pdf")
for _datatype in DATATYPES:
    SUFFIXES[_datatype] = SUFFIXES.get(_datatype, frozenset()) | {"document"}
# Audio recordings (issue 19) may sit in any datatype folder; suffix `audio` as in the BIDS audio/video proposal.
AUDIO_EXTENSIONS = (".wav", ".mp3", ".flac", ".ogg", ".m4a")
for _datatype in DATATYPES:
    SUFFIXES[_datatype] = SUFFIXES.get(_datatype, frozenset()) | {"audio"}
# Names of the BIDS layout itself (they carry nothing about a person), kept as they are in report labels.
WELL_KNOWN = frozenset({"sourcedata", "dicom", "phenotype", "derivatives", "code", "stimuli", "README", "README.md",
                        "README.txt", "CHANGES", "LICENSE", "participants.tsv", "participants.json",
                        "dataset_description.json", "samples.tsv", "samples.json", "sessions.tsv", "DICOMDIR"})
_LABEL = re.compile(r"^[A-Za-z0-9]+$")
_EXTENSION = re.compile(r"^(\.[A-Za-z0-9]{1,5})(\.gz)?$")
_DICOM_NAME = re.compile(r"^[A-Za-z]{0,3}[0-9][0-9._-]*$")  # IM0001, 1.2.840..., 00012.dcm: no free text


class BidsNameError(ValueError):
    """An input whose name cannot be rebuilt safely (the message never carries an original label or value)."""


@dataclass(frozen=True)
class BidsName:
    """The parsed parts of an input path that may travel (original labels, before pseudonymization)."""

    subject: str
    session: str | None
    datatype: str | None
    entities: Mapping[str, str]
    suffix: str | None
    extension: str
    dropped: tuple[str, ...] = field(default=())  # name parts that are not entities (never released)


def split_extension(name: str) -> tuple[str, str]:
    """(stem, extension): the last suffix, or the last two for `.gz` (`.nii.gz`, `.tsv.gz`)."""
    path = PurePosixPath(name)
    ext = path.suffix
    stem = name[: len(name) - len(ext)] if ext else name
    if ext.lower() == ".gz" and PurePosixPath(stem).suffix:
        inner = PurePosixPath(stem).suffix
        stem, ext = stem[: len(stem) - len(inner)], inner + ext
    return stem, ext


def parse(relpath: str) -> BidsName:
    """Parse `sub-<l>[/ses-<l>][/<datatype>]/<name>` (relative to the study); raises BidsNameError."""
    parts = PurePosixPath(relpath).parts
    if not parts or not parts[0].startswith("sub-") or not _LABEL.match(parts[0][4:]):
        raise BidsNameError("not inside a sub-<label> folder")
    subject, rest = parts[0][4:], list(parts[1:])
    session = None
    if len(rest) > 1 and rest[0].startswith("ses-"):
        session, rest = rest[0][4:], rest[1:]
        if not _LABEL.match(session):
            raise BidsNameError("session folder label is not alphanumeric")
    datatype = None
    if len(rest) == 2:
        if rest[0] not in DATATYPES:
            raise BidsNameError("folder is not a BIDS datatype folder")
        datatype = rest[0]
    elif len(rest) != 1:
        raise BidsNameError("folder depth does not follow sub-<label>[/ses-<label>]/<datatype>/<file>")
    stem, ext = split_extension(rest[-1])
    if not _EXTENSION.match(ext):
        raise BidsNameError("file extension is not a plain extension")
    pieces = stem.split("_")
    suffix = pieces.pop() if pieces and "-" not in pieces[-1] else None
    entities: dict[str, str] = {}
    dropped: list[str] = []
    for piece in pieces:
        key, sep, label = piece.partition("-")
        if sep and key in ENTITIES and _LABEL.match(label) and key not in entities:
            entities[key] = label
        else:
            dropped.append(piece)
    if suffix is not None and suffix not in SUFFIXES[datatype]:
        dropped.append(suffix)
        suffix = None
    return BidsName(subject, session, datatype, entities, suffix, ext, tuple(dropped))


def release_path(relpath: str, record: SubjectRecord, *, default_suffix: str | None = None,
                 scanner: Any = None) -> str:
    """The release path of an input file (relative to the study): folders and name rebuilt from entities with the
    subject's pseudonyms. A name part that is not an entity is dropped; without a known suffix the part's
    `default_suffix` is used (none: withheld); an entity label matching one of `scanner`'s needles withholds the file.
    Raises BidsNameError with a reason that names no original value."""
    name = parse(relpath)
    if name.subject != record.original:
        raise BidsNameError("subject folder does not belong to this subject")
    if name.session is not None and name.session not in record.sessions:
        raise BidsNameError("session folder is not one of the subject's sessions")
    entities = dict(name.entities)
    if entities.get("sub", name.subject) != name.subject:
        raise BidsNameError("sub- entity of the file name differs from its folder")
    if entities.get("ses", name.session) != name.session:
        raise BidsNameError("ses- entity of the file name differs from its folder")
    suffix = name.suffix or default_suffix
    if suffix is None:
        raise BidsNameError("file name has no BIDS suffix this part knows")
    if scanner is not None:
        for key, label in entities.items():
            if key in ("sub", "ses"):
                continue
            hits = scanner.scan_name(label)
            if hits:
                what = getattr(hits[0], "column", "") or getattr(hits[0], "kind", "") or "identifier"
                raise BidsNameError(f"the {key}- label of the file name matches a known identifier ({what}); "
                                    "file withheld")
    entities["sub"] = record.pseudonym
    if name.session is not None:
        entities["ses"] = record.sessions[name.session]
    else:
        entities.pop("ses", None)
    stem = "_".join(f"{key}-{entities[key]}" for key in ENTITIES if key in entities)
    folders = [f"sub-{record.pseudonym}"]
    if name.session is not None:
        folders.append(f"ses-{record.sessions[name.session]}")
    if name.datatype is not None:
        folders.append(name.datatype)
    return "/".join([*folders, f"{stem}_{suffix}{name.extension}"])


VIDEO_EXTENSIONS = (".mp4", ".mov", ".avi", ".mkv", ".webm")
TRANSCRIPT_EXTENSIONS = (".txt", ".vtt", ".srt")


def default_suffix(relpath: str) -> str | None:
    """The suffix the photo, video and transcript parts give a file whose name has none (by folder and extension)."""
    path = PurePosixPath(relpath)
    folder, ext = path.parent.name, path.suffix.lower()
    if ext in DOCUMENT_EXTENSIONS and folder in DATATYPES:
        return "document"
    if ext in AUDIO_EXTENSIONS:
        return "audio"
    if folder == "photo":
        return "photo"
    if folder == "beh":
        return "video" if ext in VIDEO_EXTENSIONS else "transcript" if ext in TRANSCRIPT_EXTENSIONS else None
    return None


def withhold_misnamed(writer, relpath: str, record: SubjectRecord, error: BidsNameError, log=None) -> None:
    """Withhold an input whose file name gives no release name (`plan_names` returned `error` for it): the manifest
    and the log name it by `report_path`, never by its original name."""
    label = report_path(relpath, record)
    if log is not None:
        log.warning("withheld %s: file name: %s", label, error)
    writer.withhold(label, f"file name: {error}")


def report_path(relpath: str, record: SubjectRecord | None = None) -> str:
    """A label for an input in manifests, logs and the report: its release path when it has one; otherwise its
    pseudonymized folders with every free-form part (a folder named by PatientID, a typed file name) replaced by `…`.
    """
    if record is not None:
        try:
            return release_path(relpath, record, default_suffix=default_suffix(relpath))
        except BidsNameError:
            pass
    parts = list(PurePosixPath(relpath).parts)
    if len(parts) == 2 and parts[0] == "phenotype":
        return relpath  # released under this name by the tables part (and its name is leak-scanned there)
    out: list[str] = []
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if part.startswith("sub-") and record is not None and part[4:] == record.original:
            out.append(f"sub-{record.pseudonym}")
        elif part.startswith("ses-") and record is not None and part[4:] in record.sessions:
            out.append(f"ses-{record.sessions[part[4:]]}")
        elif part in DATATYPES or part in WELL_KNOWN:
            out.append(part)
        elif last:
            stem, ext = split_extension(part)
            out.append(part if _DICOM_NAME.match(part) else f"…{ext if _EXTENSION.match(ext) else ''}")
        elif not out or out[-1] != "…":
            out.append("…")
    return "/".join(out)


def plan_names(relpaths: Iterable[str], record: SubjectRecord, **options: Any) -> dict[str, str | BidsNameError]:
    """Release path (or the reason it is withheld) for each of a part's inputs. Inputs whose names are already
    clean claim their names first, so `sub-01_photo.jpg` keeps its name and `sub-01_JodiCastro.jpg`, which would
    become the same, is withheld instead of overwriting it."""
    planned: dict[str, str | BidsNameError] = {}
    for rel in relpaths:
        try:
            planned[rel] = release_path(rel, record, **options)
        except BidsNameError as err:
            planned[rel] = err
    taken: dict[str, str] = {}
    clean_first = sorted(planned, key=lambda r: (not _unchanged(r, planned[r], record), r))
    for rel in clean_first:
        target = planned[rel]
        if isinstance(target, BidsNameError):
            continue
        key = _stem_key(target)
        if key in taken and taken[key] != _stem_key(rel):
            planned[rel] = BidsNameError("another input of this subject gets the same released name")
        else:
            taken.setdefault(key, _stem_key(rel))
    return planned


def _stem_key(path: str) -> str:
    """A path without its extension, so an image and its sidecar claim one name together."""
    stem, _ = split_extension(PurePosixPath(path).name)
    return str(PurePosixPath(path).parent / stem).lower()


def _unchanged(rel: str, target: str | BidsNameError, record: SubjectRecord) -> bool:
    if isinstance(target, BidsNameError):
        return False
    from .subjects import pseudonymize_path

    return pseudonymize_path(rel, record) == target


def name_scanner(identifiers_json: Any) -> Any:
    """The leak scan's Scanner over the study's identifiers (every subject's), for checking entity labels; None when
    no identifiers file is given."""
    if not identifiers_json:
        return None
    from .io import read_json
    from .risk.leaks import Scanner, build_needles

    path = identifiers_json if isinstance(identifiers_json, (str, bytes)) or hasattr(identifiers_json, "__fspath__") \
        else identifiers_json[0]
    return Scanner(build_needles(read_json(path)))


_DICOM_RELEASE = re.compile(r"^sourcedata/dicom/sub-[A-Za-z0-9]+(/ses-[A-Za-z0-9]+)?/series-[0-9]+/[0-9]+\.dcm$")


def name_problem(relpath: str) -> str | None:
    """Why a release path is not entity-built (None when it is): a subject file whose name holds a part that is not
    an entity or lacks a known suffix, or a DICOM file outside the scrub step's own naming. Global files
    (participants, phenotype, derivatives, dataset_description) are named by their steps and pass."""
    if relpath.startswith("sourcedata/"):
        return None if _DICOM_RELEASE.match(relpath) else "not named by the DICOM scrub step"
    if not relpath.startswith("sub-"):
        return None
    try:
        name = parse(relpath)
    except BidsNameError as err:
        return str(err)
    if name.dropped:
        return f"{len(name.dropped)} name part(s) that are not BIDS entities"
    if name.suffix is None:
        return "no known BIDS suffix"
    if name.entities.get("sub", name.subject) != name.subject or name.entities.get("ses", name.session) != name.session:
        return "sub-/ses- entities differ from the folders"
    return None
