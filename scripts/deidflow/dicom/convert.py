"""DICOM to NIfTI/BIDS with dcm2niix on the ORIGINAL series (in the secure area), then sidecar and header scrub."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any, Iterable, Mapping

import pydicom

from ..bidsname import BidsNameError, plan_names, report_path
from ..io import atomic_write_json
from ..parts import PartWriter
from ..subjects import SubjectRecord
from .heads import MIN_EXTENT_MM, head_volume_reason, is_localizer
from .mapping import SeriesRule, map_series, series_description, series_rules
from .pixels import burned_in_reason
from .scrub import DicomInputError, is_trivial, read_checked
from .sidecar import write_nifti, write_sidecar
from .steps import source_label

log = logging.getLogger("deidflow.dicom")
NIFTI_DATATYPES = ("anat", "func", "dwi", "fmap", "perf")
SOURCES = "dicom_sources.json"  # in a nifti_pre part: converted image -> its original DICOM files


class ConversionError(RuntimeError):
    """dcm2niix failed or made no image for a series."""


def dcm2niix_binary() -> str:
    """The dcm2niix executable shipped by the PyPI package (falls back to PATH)."""
    try:
        import dcm2niix

        return str(dcm2niix.bin)
    except (ImportError, AttributeError):
        found = shutil.which("dcm2niix")
        if not found:
            raise ConversionError("dcm2niix not found: install the `dcm2niix` Python package") from None
        return found


def run_dcm2niix(series_files: list[str], work: Path) -> list[tuple[Path, Path | None]]:
    """Convert one series (files linked into a private folder) and return (nifti, sidecar) pairs, sorted."""
    src, out = work / "in", work / "out"
    src.mkdir()
    out.mkdir()
    for index, path in enumerate(series_files):
        os.symlink(os.path.abspath(path), src / f"{index:05d}.dcm")
    # -f %s: name by series number only (never %n/%i, which put the patient's name or ID in file names)
    cmd = [dcm2niix_binary(), "-b", "y", "-ba", "y", "-z", "y", "-w", "1", "-f", "series%s", "-o", str(out), str(src)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    images = sorted(p for p in out.iterdir() if p.name.endswith((".nii", ".nii.gz")))
    if proc.returncode != 0 or not images:
        raise ConversionError(f"dcm2niix exit {proc.returncode}, {len(images)} image(s)")
    pairs = []
    for image in images:
        stem = image.name[: -len(".nii.gz")] if image.name.endswith(".gz") else image.name[: -len(".nii")]
        sidecar = out / f"{stem}.json"
        pairs.append((image, sidecar if sidecar.exists() else None))
    return pairs


def _bids_name(record: SubjectRecord, session: str | None, rule: SeriesRule, run: int | None) -> str:
    parts = [f"sub-{record.pseudonym}"]
    if session:
        parts.append(f"ses-{session}")
    if rule.acq:
        parts.append(f"acq-{rule.acq}")
    if run is not None:
        parts.append(f"run-{run}")
    folder = f"sub-{record.pseudonym}/" + (f"ses-{session}/" if session else "") + rule.datatype
    return f"{folder}/{'_'.join(parts)}_{rule.suffix}"


def _removed_identifiers(removed: Mapping, kind_prefix: str) -> list[tuple[str, str]]:
    """Removed sidecar/header values worth searching the release for (no times, numbers or trivial values)."""
    values = []
    for key, value in removed.items():
        if key.endswith("Time") or isinstance(value, (int, float)):
            continue
        for item in value if isinstance(value, list) else [value]:
            text = str(item).strip()
            if text and not is_trivial(text):
                values.append((text, f"{kind_prefix}:{key}"))
    return values


def _series_of(files: Iterable[str], bids_dir, record, part: PartWriter) -> dict[tuple, list[tuple[str, pydicom.Dataset]]]:
    series: dict[tuple, list] = defaultdict(list)
    patients = defaultdict(int)
    checked = []
    for path in sorted(files):
        try:
            ds = read_checked(path)
        except DicomInputError as exc:
            part.withhold(source_label(path, bids_dir, record), f"not converted: {exc}")
            continue
        reason = burned_in_reason(ds)
        if reason:
            part.withhold(source_label(path, bids_dir, record), f"not converted: possible burned-in text ({reason})")
            continue
        patients[str(ds.get("PatientID", ""))] += 1
        checked.append((path, ds))
    ranked = sorted(patients.items(), key=lambda kv: -kv[1])
    main = ranked[0][0] if ranked and (len(ranked) == 1 or ranked[0][1] > ranked[1][1]) else None
    for path, ds in checked:
        if str(ds.get("PatientID", "")) != main:
            part.withhold(source_label(path, bids_dir, record), "not converted: mixed patients in the subject's DICOM")
            continue
        session = next((p[4:] for p in Path(path).parts if p.startswith("ses-")), None)
        series[(session, int(ds.get("SeriesNumber", 0) or 0), str(ds.SeriesInstanceUID))].append((path, ds))
    return series


def convert_part(
    dicom_files: Iterable[str],
    nifti_files: Iterable[str],
    out_dir: str | os.PathLike,
    record: SubjectRecord,
    cfg: Mapping,
    bids_dir: str | os.PathLike,
    log: logging.Logger = log,
    descriptors: Any = None,
    scanner: Any = None,
) -> None:
    """Write the `nifti_pre` part: converted, mapped and scrubbed DICOM series plus the subject's scrubbed input NIfTI.

    `descriptors` (a descriptors.DescriptorCleaner, Clean Descriptors option) keeps the sidecars' description fields
    cleaned instead of removing them.
    """
    rules = series_rules(cfg)
    sources: dict[str, list[str]] = {}
    min_extent = float(cfg.get("head_min_extent_mm", MIN_EXTENT_MM))
    out_dir = Path(out_dir)
    with PartWriter(out_dir, "nifti_pre", record.pseudonym) as part:
        series = _series_of(dicom_files, bids_dir, record, part) if cfg.get("convert", True) else {}
        sidecar_options: dict[str, Any] = {"extra_remove": list(cfg.get("sidecar_remove", []))}
        if descriptors is not None:
            from .descriptors import SIDECAR_FIELDS, header_items

            # every name, ID and institution in the headers joins the deny-list before any sidecar is cleaned
            descriptors.learn(header_items(ds for members in series.values() for _, ds in members))
            sidecar_options.update(clean=lambda value, field: descriptors.clean(value, "LO", field),
                                   clean_fields=SIDECAR_FIELDS)
        # input NIfTI first: a study's own conversion wins over ours when both give the same BIDS name
        scrub_input_nifti(nifti_files, part, record, bids_dir, sidecar_options, scanner)
        present = set(part.produced)
        taken: dict[str, int] = defaultdict(int)
        if cfg.get("convert", True):
            planned = []
            for key in sorted(series, key=lambda k: (k[0] or "", k[1], k[2])):
                members = series[key]
                rule = map_series(series_description(members[0][1]), rules)
                # the series by its first file: a series folder is often named by PatientID and shows only as `…`
                label = f"{source_label(members[0][0], bids_dir, record)} (series of {len(members)} files)"
                head = head_volume_reason([ds for _, ds in members], min_extent)
                modality = str(members[0][1].get("Modality", "")).upper()
                if head and (is_localizer(members[0][1]) or modality != "MR"):
                    # localizers and scouts are never released; CT/PT/NM heads have no defacing here (MRI template)
                    why = "head localizer/scout" if is_localizer(members[0][1]) else (
                        f"{modality} head volume: deidflow defaces MR heads only (no Hounsfield-aware CT defacing)")
                    part.withhold(label, f"not converted: {why}; it may show the face")
                    continue
                if rule is None:
                    part.withhold(label, "series matches no dicom.bids_mapping rule; not converted"
                                  + (" (a head volume: it may show the face)" if head else ""))
                    continue
                session = record.sessions.get(key[0], key[0]) if key[0] else None
                planned.append((members, rule, session, label))
                taken[_bids_name(record, session, rule, None)] += 1
            counters: dict[str, int] = defaultdict(int)
            for members, rule, session, label in planned:
                base = _bids_name(record, session, rule, None)
                counters[base] += 1
                with tempfile.TemporaryDirectory(dir=out_dir.parent, prefix=".dcm2niix.") as tmp:
                    try:
                        pairs = run_dcm2niix([p for p, _ in members], Path(tmp))
                    except (ConversionError, subprocess.TimeoutExpired) as exc:
                        part.withhold(label, f"dcm2niix could not convert this series: {exc}")
                        continue
                    for index, (image, sidecar) in enumerate(pairs, 1):
                        multi = taken[base] > 1 or len(pairs) > 1
                        run = (counters[base] - 1) * len(pairs) + index if multi else None
                        name = _bids_name(record, session, rule, run)
                        if f"{name}.nii.gz" in present or f"{name}.json" in present:
                            # the study already has a NIfTI of that name: keep ours apart with an acq entity
                            tagged = SeriesRule(rule.match, rule.datatype, rule.suffix, f"{rule.acq or ''}dcm2niix")
                            name = _bids_name(record, session, tagged, run)
                        removed = write_nifti(image, part.path(f"{name}.nii.gz"))
                        if len(pairs) == 1:  # for dicom.release_defaced_dicom: the series behind the image
                            sources[f"{name}.nii.gz"] = [os.path.abspath(p) for p, _ in members]
                        part.add_identifiers(_removed_identifiers(removed, "nifti"))
                        if sidecar is not None:
                            removed = write_sidecar(sidecar, part.path(f"{name}.json"), **sidecar_options)
                            part.add_identifiers(_removed_identifiers(removed, "dicom"))
        if descriptors is not None:
            part.add_identifiers(sorted(descriptors.leaks))
            part.note(descriptors.summary("sidecar descriptions"))
        log.info("nifti_pre: %d files written, %d inputs withheld", len(part.produced), len(part.withheld))
        for item in part.withheld:
            log.warning("withheld %s: %s", item["source"], item["reason"])
        part.note("NIfTI sidecars: identifying fields removed (dates, times of acquisition, institution, device, "
                  "descriptions, comments); NIfTI descrip/aux_file/intent_name/db_name cleared, extensions dropped")
    # secure area only (work_dir): which original series each converted image came from, not part of the release
    atomic_write_json(out_dir / SOURCES, dict(sorted(sources.items())))


def scrub_input_nifti(
    files: Iterable[str], part: PartWriter, record: SubjectRecord, bids_dir, sidecar_options: Mapping[str, Any],
    scanner: Any = None,
) -> None:
    """Copy the subject's input NIfTI (+ .json, .bval, .bvec) renamed from BIDS entities (`deidflow.bidsname`; an
    entity label `scanner` matches withholds the file), sidecars and headers scrubbed."""
    sources = {Path(os.path.relpath(p, bids_dir)).as_posix(): p for p in files}
    names = plan_names(sources, record, scanner=scanner)
    for relpath, path in sorted(sources.items()):
        rel = names[relpath]
        label = report_path(relpath, record)
        if isinstance(rel, BidsNameError):
            part.withhold(label, f"file name: {rel}")
            continue
        target = rel + ".gz" if rel.endswith(".nii") else rel
        if target in part.produced:
            part.withhold(label, f"another input file already gives {target}")
            continue
        try:
            if rel.endswith((".nii", ".nii.gz")):
                removed = write_nifti(path, part.path(target))
                part.add_identifiers(_removed_identifiers(removed, "nifti"))
            elif rel.endswith(".json"):
                removed = write_sidecar(path, part.path(target), **sidecar_options)
                part.add_identifiers(_removed_identifiers(removed, "nifti-sidecar"))
            elif rel.endswith((".bval", ".bvec")):
                shutil.copyfile(path, part.path(target))
            else:
                part.withhold(label, "not a NIfTI image or sidecar")
        except ValueError as exc:
            part.discard(target)
            part.withhold(label, str(exc))
