"""One subject's recordings and sidecars de-identified into the `eeg` part (`process_subject`)."""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from pathlib import Path, PurePosixPath
from typing import Any, Iterable, Mapping

from ..bidsname import BidsNameError, plan_names, report_path, split_extension
from ..risk.leaks import Scanner, build_needles
from ..text.deidentify import TextConfig, subject_items
from . import brainvision, edf, mnefiles, sidecars
from .config import EegConfig
from .freetext import FreeText

RECORDING_EXT = {".edf", ".bdf", ".vhdr", ".set", ".fif"}
COMPANION_EXT = {".vmrk", ".eeg", ".fdt"}  # travel with (or inside) the recording that names them
JSON_FAMILY = {"eeg": "recording", "meg": "recording", "ieeg": "recording", "physio": "physio", "stim": "physio",
               "events": "events", "channels": "channels", "electrodes": "electrodes", "coordsystem": "coordsystem"}
TSV_FAMILY = {"channels", "events", "electrodes"}


def _suffix(relpath: str) -> str:
    stem, _ = split_extension(PurePosixPath(relpath).name)
    return stem.rsplit("_", 1)[-1] if "_" in stem else ""


def _ext(relpath: str) -> str:
    return split_extension(PurePosixPath(relpath).name)[1].lower()


class _Subject:
    """The state of one subject's job: where files go, what was found, what was dropped."""

    def __init__(self, record, cfg: EegConfig, clean: FreeText, writer, log, scanner: Scanner | None):
        self.record, self.cfg, self.clean, self.writer, self.log = record, cfg, clean, writer, log
        self.shift = record.date_shift_days if cfg.dates == "shift" else None
        self.scanner = scanner
        self.counts: Counter = Counter()
        self.dropped: Counter = Counter()

    def withhold(self, label: str, reason: str) -> None:
        self.log.warning("withheld %s: %s", label, reason)
        self.writer.withhold(label, reason)
        self.counts["withheld"] += 1

    def release(self, rel: str, data: bytes) -> bool:
        """Write a released file unless the study's identifiers are still in it (then it is withheld)."""
        if self.scanner is not None:
            hits = [h for h in self.scanner.scan_bytes(data, rel) if h.blocking]
            if hits:
                self.withhold(rel, f"a study identifier ({hits[0].kind}) is still in the de-identified file; "
                                   "withheld")
                return False
        self.writer.path(rel).write_bytes(data)
        self.counts["released"] += 1
        return True


def process_subject(inputs: Iterable[str], bids_dir: str, record, identifiers: Mapping[str, Any], cfg: EegConfig,
                    text_cfg: TextConfig, writer, log, *, salt: str = "",
                    extra_items: Iterable[Mapping[str, str]] = (), language: str | None = None) -> None:
    """De-identify one subject's EEG/MEG/iEEG recordings, physio files and BIDS sidecars into a PartWriter.

    Released names come from `deidflow.bidsname`; a BrainVision header, its marker file and its data file travel
    together under the header's released name (the references inside are rewritten); what cannot be de-identified
    is withheld with a reason naming the file. Values removed from headers go to the part's identifiers.json."""
    items = [*subject_items(identifiers, record.pseudonym), *extra_items]
    clean = FreeText(record, items, text_cfg, cfg.marker(), salt=salt, enabled=cfg.clean_text,
                     language=language)
    scanner = Scanner(build_needles(identifiers, text_cfg.allow_list)) if identifiers else None
    job = _Subject(record, cfg, clean, writer, log, scanner)
    sources = {Path(os.path.relpath(p, bids_dir)).as_posix(): Path(p) for p in inputs}
    names = plan_names(sources, record, scanner=scanner)
    used: set[str] = set()
    found: list[tuple[str, str]] = []
    for relpath in sorted(sources):
        ext, target = _ext(relpath), names[relpath]
        if ext in COMPANION_EXT:
            continue
        label = target if isinstance(target, str) else report_path(relpath, record)
        if isinstance(target, BidsNameError):
            job.withhold(label, f"file name: {target}")
            continue
        try:
            found += _one(job, relpath, sources, target, used)
        except (edf.EdfError, brainvision.BrainVisionError, mnefiles.MneFileError, sidecars.SidecarError,
                OSError) as err:
            job.withhold(label, f"{PurePosixPath(relpath).name.split('_')[-1]}: {err}")
    for relpath in sorted(sources):
        if _ext(relpath) in COMPANION_EXT and relpath not in used:
            job.withhold(report_path(relpath, record),
                         f"{_ext(relpath)} file that no released header names (it travels only with its "
                         ".vhdr or .set)")
    writer.add_identifiers(found)
    writer.add_identifiers(clean.found)
    if job.dropped:
        writer.note(f"sidecar keys/columns and header entries dropped (not on the allow-list): "
                    f"{dict(sorted(job.dropped.items()))}")
    writer.risk({
        "section": f"eeg:{record.pseudonym}",
        "title": f"EEG/MEG/iEEG recordings of sub-{record.pseudonym}",
        "metrics": {"released": job.counts["released"], "withheld": job.counts["withheld"],
                    "recordings": job.counts["recordings"], "annotations": job.counts["annotations"],
                    "annotations_cleaned": job.counts["annotations_cleaned"], "dates": cfg.dates,
                    "head_shape": cfg.head_shape,
                    "head_shape_points_dropped": job.counts["head_shape_points_dropped"],
                    "entities_replaced": dict(sorted(clean.entities.items())),
                    "dropped": dict(sorted(job.dropped.items()))},
        "checks": [{"name": "eeg: no study identifier left in released recordings and sidecars", "passed": True,
                    "detail": f"{job.counts['released']} files released, {job.counts['withheld']} withheld "
                              "(each re-scanned for the study's identifiers before release)"}],
    })


def _one(job: _Subject, relpath: str, sources: Mapping[str, Path], target: str, used: set[str]) -> list:
    """Release one input (and the companions it names); returns the identifiers found in it."""
    path, ext, suffix = sources[relpath], _ext(relpath), _suffix(relpath)
    if ext in (".edf", ".bdf"):
        data, info = edf.rewrite(path.read_bytes(), shift_days=job.shift, clean=job.clean)
        job.counts.update(recordings=1, annotations=info["annotations"],
                          annotations_cleaned=info["annotations_cleaned"])
        job.release(target, data)
        return info["identifiers"]
    if ext == ".vhdr":
        return _brainvision(job, relpath, sources, target, used)
    if ext in (".fif", ".set"):
        rewrite = mnefiles.rewrite_fif if ext == ".fif" else mnefiles.rewrite_set
        if ext == ".set":
            fdt = str(PurePosixPath(relpath).with_suffix(".fdt"))
            if fdt in sources:
                used.add(fdt)
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / PurePosixPath(target).name
            info = rewrite(path, out, job.shift, job.clean, job.cfg.head_shape)
            job.counts.update(recordings=1, annotations=info["annotations"],
                              annotations_cleaned=info["annotations_cleaned"],
                              head_shape_points_dropped=info["head_shape_points_dropped"])
            job.release(target, out.read_bytes())
        return info["identifiers"]
    if ext == ".json" and suffix in JSON_FAMILY:
        data, dropped = sidecars.scrub_json(path.read_bytes(), JSON_FAMILY[suffix], job.shift, job.clean)
        job.dropped.update(f"{suffix}.json:{key}" for key in dropped)
        job.release(target, data)
        return []
    if ext == ".tsv" and suffix in TSV_FAMILY:
        data, dropped = sidecars.scrub_tsv(path.read_bytes(), suffix, job.clean)
        job.dropped.update(f"{suffix}.tsv:{column}" for column in dropped)
        job.release(target, data)
        return []
    if ext == ".tsv.gz" and suffix in ("physio", "stim"):
        job.release(target, sidecars.scrub_physio(path.read_bytes()))
        return []
    raise sidecars.SidecarError(f"no de-identification rule for {ext or 'extensionless'} files with suffix "
                                f"'{suffix or 'none'}' in a recording folder")


def _brainvision(job: _Subject, relpath: str, sources: Mapping[str, Path], target: str, used: set[str]) -> list:
    """A `.vhdr` with the `.vmrk` and `.eeg` it names, released under the header's name, references rewritten."""
    text, encoding = brainvision.decode(sources[relpath].read_bytes())
    refs = brainvision.references(text)
    folder = PurePosixPath(relpath).parent
    companions = {}
    for key, ext in (("DataFile", ".eeg"), ("MarkerFile", ".vmrk")):
        name = refs.get(key)
        if not name or "/" in name or "\\" in name:
            raise brainvision.BrainVisionError(f"the header does not name its {key} as a file beside it")
        rel = str(folder / name)
        if rel not in sources:
            raise brainvision.BrainVisionError(f"its {key} is not in the study beside the header")
        companions[key] = rel
    stem = target[: -len(".vhdr")]
    data_name, marker_name = f"{PurePosixPath(stem).name}.eeg", f"{PurePosixPath(stem).name}.vmrk"
    header, dropped = brainvision.rewrite_header(text, data_name, marker_name, job.clean)
    mtext, mencoding = brainvision.decode(sources[companions["MarkerFile"]].read_bytes())
    markers, mdropped, found, changed = brainvision.rewrite_markers(mtext, data_name, job.shift, job.clean)
    job.dropped.update(f"vhdr:{d}" for d in dropped)
    job.dropped.update(f"vmrk:{d}" for d in mdropped)
    job.counts.update(recordings=1, annotations=markers.count("\nMk"), annotations_cleaned=changed)
    files = [(target, header.encode(encoding, "replace")), (f"{stem}.vmrk", markers.encode(mencoding, "replace")),
             (f"{stem}.eeg", sources[companions["DataFile"]].read_bytes())]
    released = []
    for rel, data in files:
        if not job.release(rel, data):
            for done in released:  # the three travel together or not at all
                job.writer.discard(done)
                job.counts["released"] -= 1
            break
        released.append(rel)
    used.update(companions.values())
    return found
