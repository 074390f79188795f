"""One subject's photos or videos into a part: de-identify each file, verify it, withhold what fails, report risk."""

from __future__ import annotations

import base64
import logging
import os
from pathlib import Path
from typing import Callable, Iterable

from ..parts import PartWriter
from ..bidsname import BidsNameError, plan_names, withhold_misnamed
from ..subjects import SubjectRecord, pseudonymize_path
from .config import MediaConfig
from .faces import FaceBlurrer
from .metadata import readable_tags
from .photos import PhotoTextError, deidentify_photo
from .probe import MediaError
from .verify import FaceVerifier, Finding, verify_media
from .videos import deidentify_video

MAX_FIGURES = 6
# Free-text tags whose input values the leak scan must never find in the release (names, owners, places, serials).
IDENTIFYING_TAGS = {"Artist", "OwnerName", "Copyright", "ImageDescription", "UserComment", "Creator", "By-line",
                    "Comment", "Title", "SerialNumber", "LensSerialNumber", "BodySerialNumber", "City", "Description",
                    "Author", "Location", "LocationInformation", "Make", "Model", "HostComputer"}


def _safe(message: str, src: Path, rel: str, record: SubjectRecord) -> str:
    """An error message with the input path replaced by its pseudonymized release path (no original labels)."""
    return pseudonymize_path(message.replace(str(src), rel).replace(src.name, Path(rel).name), record)


def identifying_values(src: Path) -> list[tuple[str, str]]:
    """(value, kind) pairs of the input's free-text metadata (e.g. the owner's name), for the leak scan."""
    values = []
    for key, value in readable_tags(src):
        name = key.partition(":")[2].split("-")[0]
        if name in IDENTIFYING_TAGS and isinstance(value, str) and len(value.strip()) >= 4:
            values.append((value.strip(), f"media:{name}"))
    return values


def _checks(rel: str, findings: list[Finding]) -> list[dict]:
    faces = [f for f in findings if f.check == "face"]
    tags = [f for f in findings if f.check == "metadata"]
    where = ", ".join(f.where for f in faces if f.where)
    return [
        {"name": f"no face found by MTCNN in {rel}", "passed": not faces,
         "detail": f"{faces[0].detail}{' in ' + where if where else ''}" if faces else "no face found"},
        {"name": f"only allow-listed metadata in {rel}", "passed": not tags,
         "detail": "; ".join(sorted({f.detail for f in tags})) if tags else "exiftool finds only structural tags"},
    ]


def deidentify_media(kind: str, inputs: Iterable[str | os.PathLike], bids_dir: str | os.PathLike,
                     record: SubjectRecord, cfg: MediaConfig, writer: PartWriter, log: logging.Logger,
                     scanner=None, known: Iterable[tuple[str, str]] = (), soundtrack=None) -> dict:
    """Blur, clean and verify every input of one subject (kind 'photo' or 'video'); returns the risk section.
    Released names are rebuilt from BIDS entities (`deidflow.bidsname`); `scanner` (the subject's leak-scan needles)
    withholds a file whose entity label is a known identifier. `known`: the subject's (value, kind) identifiers;
    with `media.photos.ocr: clean`, a photo whose text the second OCR pass reads one of them in fails the gate.
    `soundtrack` (videos only) replaces each video's soundtrack with its anonymized voice
    (`deidflow.audio.soundtrack`)."""
    process: Callable = deidentify_photo if kind == "photo" else deidentify_video
    inputs = list(inputs)
    photo_ocr = kind == "photo" and cfg.photos_ocr == "clean"
    if photo_ocr and inputs:
        from ..dicom import ocr

        needles = ocr.identifier_needles(known)
        process = lambda src, dst, cfg, blurrer: deidentify_photo(src, dst, cfg, blurrer, needles)  # noqa: E731
        writer.note(f"photo text (media.photos.ocr: clean) blacked out and verified: {ocr.engines()}")
    blurrer, verifier = FaceBlurrer(cfg), FaceVerifier(cfg)
    checks: list[dict] = []
    figures: list[dict] = []
    metrics = {"files": 0, "released": 0, "withheld": 0, "faces_blurred": 0, "frames": 0, "failed_checks": 0}
    sources = {Path(os.path.relpath(p, bids_dir)).as_posix(): Path(p) for p in inputs}
    names = plan_names(sources, record, default_suffix=kind, scanner=scanner)
    for relpath, src in sorted(sources.items()):
        rel = names[relpath]
        metrics["files"] += 1
        if isinstance(rel, BidsNameError):
            withhold_misnamed(writer, relpath, record, rel, log)
            metrics["withheld"] += 1
            continue
        dst = writer.path(rel)
        try:
            result = process(src, dst, cfg, blurrer, **({"soundtrack": soundtrack} if soundtrack else {}))
        except MediaError as exc:
            writer.discard(rel)
            reason = _safe(str(exc), src, rel, record)
            writer.withhold(rel, reason)
            metrics["withheld"] += 1
            log.warning("withheld %s: %s", rel, reason)
            if isinstance(exc, PhotoTextError) and exc.leaks:
                checks.append({"name": f"no identifier read by the second OCR pass in {rel}", "passed": False,
                               "detail": f"an identifier ({', '.join(exc.leaks)}) (file withheld)"})
                metrics["failed_checks"] += 1
            continue
        metrics["released"] += 1
        metrics["faces_blurred"] += getattr(result, "faces", 0) or getattr(result, "frames_with_faces", 0)
        metrics["frames"] += getattr(result, "frames", 1)
        writer.add_identifiers(identifying_values(src))
        findings = verify_media(dst, cfg, verifier, name=rel)
        file_checks = _checks(rel, findings)
        if photo_ocr:
            metrics["text_boxes_blacked_out"] = metrics.get("text_boxes_blacked_out", 0) + result.text_boxes
            file_checks.append({"name": f"no identifier read by the second OCR pass in {rel}", "passed": True,
                                "detail": f"{result.text_boxes} text box(es) blacked out; Tesseract and RapidOCR "
                                          "read no identifier and no text left"})
        checks += file_checks
        metrics["failed_checks"] += sum(not c["passed"] for c in file_checks)
        for finding in findings:
            if finding.png and len(figures) < MAX_FIGURES:
                figures.append({"title": f"{rel} {finding.where}".strip() + ": face found after blurring",
                                "png_base64": base64.b64encode(finding.png).decode()})
        log.info("%s: %s, %d failed check(s)", rel, result, sum(not c["passed"] for c in file_checks))
    section = {"section": f"media_{kind}", "title": f"{kind.capitalize()}s: faces and metadata",
               "metrics": metrics, "checks": checks, "figures": figures, "tables": []}
    writer.risk(section)
    return section

