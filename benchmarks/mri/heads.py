"""Defacing and the render check on heads that differ from pydeface's template in shape, orientation, field of view
and contrast: per head, face removed, brain kept, MTCNN on renders before/after, seconds.

Run once (not part of the test suite):
    flock /tmp/deidflow-heavy.lock .venv/bin/python benchmarks/mri/heads.py [--mm 2.0] \
        [--out benchmarks/mri/results-heads.md]

Whole-head volumes that registry packages ship: pydeface's template (mean_reg2mean.nii.gz, 1 mm, with a face) is the
only one found. nilearn 0.14.1's bundled MNI152 2009a T1 (`mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz`) is
skull-stripped (brain only, no face) and nibabel's test images (anatomical.nii, 66 x 82 x 50 mm) hold no face either;
both are still run, to show the render check passes them and that a brain-only volume is not mistaken for a face.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import nibabel as nib  # noqa: E402
import numpy as np  # noqa: E402

from deidflow.demo.nifti import deformed_head  # noqa: E402
from deidflow.mri.deface import deface_images  # noqa: E402
from deidflow.mri.render import RenderDetector  # noqa: E402
from deidflow.mri.safety import Bounds  # noqa: E402


def package_file(package: str, *parts: str) -> Path | None:
    """A data file inside an installed package, found without importing the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]).joinpath(*parts)
    return path if path.is_file() else None


def stored(data: np.ndarray, face: np.ndarray, brain: np.ndarray, affine: np.ndarray, order=(0, 1, 2),
           flip=(False, False, False), zoom=(1.0, 1.0, 1.0)):
    """The same head stored differently: axes permuted, flipped, and stretched (anisotropic voxel sizes)."""
    aff = affine.copy()
    for axis, f in enumerate(flip):
        if f:
            data, face, brain = np.flip(data, axis), np.flip(face, axis), np.flip(brain, axis)
            col = aff[:3, axis].copy()
            aff[:3, 3] += col * (data.shape[axis] - 1)
            aff[:3, axis] = -col
    aff = aff @ np.diag([*zoom, 1.0])
    data, face, brain = (np.transpose(v, order) for v in (data, face, brain))
    aff = aff[:, [*order, 3]]
    return np.ascontiguousarray(data), np.ascontiguousarray(face), np.ascontiguousarray(brain), aff


def cases(mm: float):
    base = deformed_head(voxel_mm=mm, noise=0.01)
    d0 = np.asanyarray(base.image.dataobj).astype(np.float32)
    yield "template (resampled)", d0, base.face, base.brain, base.image.affine
    yield "stretched 1.15/1.0/0.88 (anisotropic)", *stored(d0, base.face, base.brain, base.image.affine,
                                                           zoom=(1.15, 1.0, 0.88))
    yield "axes permuted (z, x, y) + A-P flip", *stored(d0, base.face, base.brain, base.image.affine,
                                                        order=(2, 0, 1), flip=(False, True, False))
    yield "left-right flip", *stored(d0, base.face, base.brain, base.image.affine, flip=(True, False, False))
    for label, kwargs in {
        "rotated 12/-8/10 deg, shifted": dict(rotation_deg=(12, -8, 10), translation_mm=(8, -10, 6)),
        "scaled 0.9, rotated": dict(scale=0.9, rotation_deg=(-6, 5, 0)),
        "scaled 1.1, neck FOV": dict(scale=1.1, fov_mm=(200, 250, 290), fov_shift_mm=(0, 10, -30)),
        "cropped top (FOV 190 mm)": dict(fov_mm=(192, 256, 190), fov_shift_mm=(0, 0, -30), rotation_deg=(5, 0, -5)),
        "inverted (T2-like) contrast": dict(invert=True, rotation_deg=(-8, 0, 5), noise=0.02),
    }.items():
        head = deformed_head(voxel_mm=mm, **kwargs)
        yield label, np.asanyarray(head.image.dataobj).astype(np.float32), head.face, head.brain, head.image.affine
    gamma = np.power(d0 / max(d0.max(), 1), 2.2) * 1000
    yield "gamma 2.2 contrast", gamma, base.face, base.brain, base.image.affine


def extra_volumes():
    """Registry-shipped volumes without a face: the render check should pass them as they are."""
    for label, path in (
        ("nilearn MNI152 2009a T1 (skull-stripped)",
         package_file("nilearn", "datasets", "data", "mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz")),
        ("nibabel anatomical.nii", package_file("nibabel", "tests", "data", "anatomical.nii")),
    ):
        if path is not None:
            image = nib.load(path)
            yield label, np.asanyarray(image.dataobj).astype(np.float32), image.affine


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mm", type=float, default=2.0)
    parser.add_argument("--min-confidence", type=float, default=0.95)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "mri" / "results-heads.md"))
    args = parser.parse_args()
    detector = RenderDetector(args.min_confidence)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        items = list(cases(args.mm))
        paths = []
        for i, (_, data, _, _, affine) in enumerate(items):
            paths.append(Path(tmp) / f"head{i}.nii.gz")
            nib.save(nib.Nifti1Image(data.astype(np.int16), affine), paths[-1])
        start = time.perf_counter()
        results = deface_images(paths, Bounds(), {}, threads=1)
        total = time.perf_counter() - start
    for (label, data, face, brain, affine), result in zip(items, results):
        before = detector.check(data, affine)
        row = {"head": label, "shape": "x".join(map(str, data.shape)),
               "registration_s": result.metrics.get("registration_seconds"),
               "faces_before": f"{len(before.faces)}/{len(before.renders)} ({', '.join(before.views())})"}
        if result.image is None:
            row.update(status="withheld: " + "; ".join(result.reasons)[:120], face_removed="-", brain_kept="-",
                       faces_after="- (not released)", render_s=round(before.seconds, 2))
        else:
            out = np.asanyarray(result.image.dataobj)
            head = face & (data > 0.05 * data.max())
            after = detector.check(out.astype(np.float32), affine)
            row.update(status="defaced", face_removed=f"{(out[head] == 0).mean():.1%}",
                       brain_kept=f"{1 - (out[brain & (data > 0)] == 0).mean():.2%}",
                       faces_after=f"{len(after.faces)}/{len(after.renders)}", render_s=round(after.seconds, 2))
        rows.append(row)
        print(json.dumps(row), flush=True)
    for label, data, affine in extra_volumes():
        check = detector.check(data, affine)
        row = {"head": label, "shape": "x".join(map(str, data.shape)), "status": "no defacing (no face)",
               "registration_s": "-", "faces_before": f"{len(check.faces)}/{len(check.renders)}",
               "face_removed": "-", "brain_kept": "-", "faces_after": "-", "render_s": round(check.seconds, 2)}
        rows.append(row)
        print(json.dumps(row), flush=True)
    cols = ["head", "shape", "status", "face_removed", "brain_kept", "faces_before", "faces_after",
            "registration_s", "render_s"]
    lines = [f"# Defacing and render check per head ({args.mm} mm voxels)", "",
             f"`flock /tmp/deidflow-heavy.lock .venv/bin/python benchmarks/mri/heads.py --mm {args.mm} "
             f"--min-confidence {args.min_confidence}` on a shared 2-core VM ({platform.machine()}), "
             f"one ITK thread, {time.strftime('%Y-%m-%d')}. All {len(items)} registrations ran in one worker "
             f"process: {total:.0f} s wall including its start-up and the template preparation.", "",
             "face_removed: share of the true face voxels (inside the head) zeroed; brain_kept: share of the true "
             "brain voxels left untouched; faces_before/after: renders on which MTCNN (confidence >= "
             f"{args.min_confidence}) found a face, of 10 (5 angles x 2 skin levels), with the views (degrees) "
             "before.", "",
             "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(str(r.get(c, "")) for c in cols) + " |" for r in rows]
    Path(args.out).write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
