"""The two DICOM steps as parts: scrub a subject's DICOM, and convert it (plus input NIfTI) to scrubbed NIfTI/BIDS."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from ..bidsname import report_path
from ..parts import PartWriter
from ..pseudonyms import derive_key
from ..secrets import SecretStore
from ..subjects import SubjectRecord
from .heads import MIN_EXTENT_MM, head_volume_reason
from .mapping import map_series, series_description, series_rules
from .objects import non_image_family
from .profile import load_profile
from .scrub import ScrubSettings, scrub_subject
from .uids import UIDMapper

log = logging.getLogger("deidflow.dicom")


def parse_private_allow(entries: Iterable[str]) -> frozenset[tuple[str, int]]:
    """Parse allow-list entries 'Private Creator,EE' (EE: the element's low byte in hex) into (creator, byte) pairs."""
    allowed = set()
    for entry in entries:
        creator, sep, element = str(entry).rpartition(",")
        try:
            allowed.add((creator.strip(), int(element, 16)))
        except ValueError:
            sep = ""
        if not sep or not creator.strip():
            raise ValueError(f"dicom.private_allow entry {entry!r}: write it as 'Private Creator,EE' (EE in hex)")
    return frozenset(allowed)


CLEAN_MODES = ("remove", "clean")  # dicom.clean_descriptors


def descriptor_cleaner(record: SubjectRecord, cfg: Mapping, key: bytes, text: Mapping | None = None,
                       items: Iterable[Mapping[str, str]] = ()) -> Any:
    """A DescriptorCleaner for the subject when `dicom.clean_descriptors` is `clean` (else None).

    `text` is the `text` config section (model, thresholds, surrogates); `items` the subject's known identifiers.
    """
    mode = cfg.get("clean_descriptors", "remove")
    if mode not in CLEAN_MODES:
        raise ValueError(f"dicom.clean_descriptors = {mode!r}: use one of {', '.join(CLEAN_MODES)}")
    if mode == "remove":
        return None
    from ..text.deidentify import TextConfig
    from .descriptors import DescriptorCleaner

    text_cfg = TextConfig.from_config(dict(text or {}))
    salt = derive_key(key, "text-surrogates").hex() if text_cfg.surrogates == "fake" else ""
    return DescriptorCleaner(record.pseudonym, record.date_shift_days, text_cfg, items=items, salt=salt)


def study_items(identifiers: Any, record: SubjectRecord) -> list[dict[str, str]]:
    """The subject's known identifiers from the study's identifiers document (a path, or a rule's empty input)."""
    if not identifiers:
        return []
    from ..io import read_json
    from ..text.deidentify import subject_items

    return subject_items(read_json(identifiers if isinstance(identifiers, (str, os.PathLike)) else identifiers[0]),
                         record.pseudonym)


def settings_for(record: SubjectRecord, cfg: Mapping, key: bytes, descriptors: Any = None) -> ScrubSettings:
    """Scrub settings for one subject from the `dicom` config section and the study key."""
    options = dict(cfg.get("options", {}))
    if descriptors is not None:
        options["clean_descriptors"] = True  # the profile's cleanDescOpt actions, recorded as code 113105
    profile = load_profile(options)
    uid_map = None if options.get("retain_uids") else UIDMapper(derive_key(key, "dicom-uid"), cfg.get("uid_root", "2.25"))
    return ScrubSettings(
        profile=profile,
        pseudonym=record.pseudonym,
        date_shift_days=record.date_shift_days,
        uid_map=uid_map,
        private_allow=parse_private_allow(cfg.get("private_allow", [])),
        descriptors=descriptors,
    )


FACE_SUFFIXES = ("T1w", "T2w", "FLAIR", "PD", "UNIT1", "MP2RAGE")  # default of dicom.withhold_pixels_of


def source_label(path: str | os.PathLike, bids_dir: str | os.PathLike, record: SubjectRecord) -> str:
    """An input path relative to the study, with subject and session labels pseudonymized (for manifests and logs)."""
    rel = Path(os.path.relpath(Path(path).absolute(), Path(bids_dir).absolute())).as_posix()
    if rel.startswith("../"):
        rel = Path(path).name
    return report_path(rel, record)


def face_series(cfg: Mapping) -> Callable[[list[Any]], str | None]:
    """A check that keeps series that may show a face out of the scrubbed DICOM: head volumes and head localizers
    judged by content (`heads.head_volume_reason`), and series whose BIDS mapping gives a suffix in
    `withhold_pixels_of`. A name only ever adds suspicion: an unmapped head volume is withheld all the same."""
    suffixes = set(cfg.get("withhold_pixels_of", FACE_SUFFIXES))
    rules = series_rules(cfg)
    min_extent = float(cfg.get("head_min_extent_mm", MIN_EXTENT_MM))

    def check(datasets: list[Any]) -> str | None:
        reason = head_volume_reason(datasets, min_extent)
        if reason:
            return reason
        rule = map_series(series_description(datasets[0]), rules)
        if rule is None or rule.suffix not in suffixes:
            return None
        return (f"{rule.suffix} series: its pixels can show the face, so it is released only as defaced NIfTI "
                "(dicom.withhold_pixels_of)")

    return check


REPORT_MODES = ("release", "withhold")  # dicom.structured_reports


def report_series(cfg: Mapping) -> Callable[[list[Any]], str | None]:
    """A check that keeps structured reports and key object selections out of the release when
    `dicom.structured_reports` is `withhold` (their content tree is free text about the patient)."""
    mode = cfg.get("structured_reports", "release")
    if mode not in REPORT_MODES:
        raise ValueError(f"dicom.structured_reports = {mode!r}: use one of {', '.join(REPORT_MODES)}")

    def check(datasets: list[Any]) -> str | None:
        family = non_image_family(str(datasets[0].get("SOPClassUID", "")))
        if mode == "withhold" and family in ("Structured Report", "Key Object Selection"):
            return f"{family}: withheld by dicom.structured_reports: withhold"
        return None

    return check


def first_reason(*checks: Callable[[list[Any]], str | None]) -> Callable[[list[Any]], str | None]:
    """One series check (over the series' datasets) from several: the first reason any of them gives."""
    def check(datasets: list[Any]) -> str | None:
        return next((reason for c in checks if (reason := c(datasets))), None)

    return check


def scrub_part(
    files: Iterable[str],
    out_dir: str | os.PathLike,
    record: SubjectRecord,
    cfg: Mapping,
    key: bytes,
    bids_dir: str | os.PathLike,
    log: logging.Logger = log,
    secrets: SecretStore | None = None,
    descriptors: Any = None,
    items: Iterable[Mapping[str, str]] = (),
) -> None:
    """Write the `dicom` part for one subject: scrubbed files renamed by series and instance, bad files withheld.

    With a secrets store, the subject's UID map (new UID -> original) is kept there for the data steward. With
    `descriptors` (from `descriptor_cleaner`), free-text descriptions are cleaned instead of removed. `items`: the
    subject's known identifiers (`study_items`), whose written forms burned-in text is checked against.
    """
    settings = settings_for(record, cfg, key, descriptors)
    known = [(str(item["value"]), str(item["kind"])) for item in items if item.get("value")]
    result = scrub_subject(files, settings, sessions=dict(record.sessions), pixel_recipe=cfg.get("pixel_recipe"),
                           burned_in=cfg.get("burned_in", "ocr"),
                           withhold_series=first_reason(face_series(cfg), report_series(cfg)), known=known)
    with PartWriter(out_dir, "dicom", record.pseudonym) as part:
        for source, reason in result.withheld:
            label = source_label(source, bids_dir, record)
            part.withhold(label, reason)
            log.warning("withheld %s: %s", label, reason)
        for relpath, ds in sorted(result.written.items()):
            ds.save_as(part.path(relpath), enforce_file_format=True)
        part.add_identifiers(sorted(result.identifiers))
        part.note(
            "DICOM scrubbed with the PS3.15 E.1.1 Basic Profile (Table E.1-1, edition 2026c) and options: "
            + (", ".join(sorted(settings.profile.options)) or "none")
        )
        if descriptors is None:
            part.note("descriptors (study/series descriptions, comments) removed, not cleaned (clean_descriptors: remove)")
        else:
            part.add_identifiers(sorted(descriptors.leaks))
            part.note(descriptors.summary())
        for note in sorted(set(result.notes)):
            part.note(note)
        if result.pixels_cleaned or result.leaks:
            part.risk(pixel_section(record, result, bids_dir))
        if secrets is not None and isinstance(settings.uid_map, UIDMapper):
            write_uid_map(secrets, record.pseudonym, settings.uid_map)
        log.info("dicom: %d files written, %d withheld", len(result.written), len(result.withheld))


def pixel_section(record: SubjectRecord, result: Any, bids_dir: str | os.PathLike) -> dict[str, Any]:
    """The part's risk section on burned-in text: images cleaned, and a failed check for each image in which the
    second OCR pass still read one of the file's identifiers (named by its pseudonymized path and the kind)."""
    checks = [{"name": "DICOM burned-in text: second OCR pass reads no identifier",
               "passed": False, "detail": f"{source_label(source, bids_dir, record)}: {what} (file withheld)"}
              for source, what in result.leaks]
    if not checks:
        checks.append({"name": "DICOM burned-in text: second OCR pass reads no identifier", "passed": True,
                       "detail": f"{len(result.pixels_cleaned)} image(s) cleaned and verified"})
    return {"section": f"dicom_pixels:{record.pseudonym}", "title": f"DICOM burned-in text of sub-{record.pseudonym}",
            "metrics": {"images_cleaned": len(result.pixels_cleaned), "identifier_read_after_cleaning":
                        len(result.leaks)},
            "checks": checks}


def uid_map_name(pseudonym: str) -> str:
    return f"dicom-uids-{pseudonym}.json"


def write_uid_map(secrets: SecretStore, pseudonym: str, mapper: UIDMapper) -> None:
    """Store new UID -> original UID for one subject in the secrets store (mode 0600), sorted for stable bytes."""
    uids = {new: original for original, new in sorted(mapper.cache.items())}
    secrets.write_json(
        uid_map_name(pseudonym),
        {"format": "deidflow-dicom-uids/1", "root": mapper.root, "uids": dict(sorted(uids.items()))},
    )
