"""Affine registration of pydeface's template to a scan with antspyx; warps the face and brain masks to the scan.

Runs in the interpreter that has antspyx (its wheel pins numpy<2.4, so it lives in `.venv-mri`):
`python -m deidflow.mri.register JOB_JSON` writes, for each scan of the job, OUT/masks.npz (face, brain, head:
bool arrays on the scan's voxel grid) and OUT/result.json (registration metrics), or OUT/error.txt.
`python -m deidflow.mri.register --serve` reads job file paths line by line and answers each with a result line:
`deidflow.mri.deface` keeps one such worker per process, so a batch job imports antspyx and prepares the template
once for all of its subjects.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from .safety import nmi
from .template import FACE_PAD, brain_mask, head_mask, template_files

DEFAULTS: dict[str, Any] = {
    "registration_mm": 4.0,
    "template_mm": 2.0,  # the template and its masks are resampled to this spacing before warping  # both images resampled to this isotropic spacing for the registration
    "transform": "Affine",  # ANTs transform type (Affine: 12 parameters; Similarity: 7; Rigid: 6)
    "metric": "mattes",  # Mattes mutual information: works across contrasts (T1w, T2w, FLAIR, PD)
    "iterations": [1000, 500, 250],
    "shrink_factors": [4, 2, 1],
    "smoothing_sigmas": [2, 1, 0],
    "sampling": 32,  # histogram bins of the metric
    "seed": 1,  # ANTs --random-seed (metric sampling)
    "deterministic": True,  # one ITK thread: a seeded registration on more threads differs run to run
}


def _ants_image(array: np.ndarray, like: Any, pad_before: np.ndarray | None = None) -> Any:
    """An ANTs image on `like`'s grid, optionally extended by `pad_before` voxels at the low end of each axis."""
    import ants

    origin = np.asarray(like.origin, dtype=float)
    if pad_before is not None:
        direction = np.asarray(like.direction, dtype=float)
        origin = origin - direction @ (pad_before * np.asarray(like.spacing, dtype=float))
    return ants.from_numpy(array.astype(np.float32), origin=tuple(origin), spacing=like.spacing,
                           direction=np.asarray(like.direction))


def _affine_summary(transform_file: str) -> dict[str, float]:
    """Determinant and scale factors (singular values) of the affine part: a sanity check on the solution."""
    import ants

    params = np.asarray(ants.read_transform(transform_file).parameters, dtype=float)
    matrix = params[:9].reshape(3, 3)
    scales = np.linalg.svd(matrix, compute_uv=False)
    return {"determinant": float(np.linalg.det(matrix)), "scale_min": float(scales.min()),
            "scale_max": float(scales.max()), "translation_mm": float(np.linalg.norm(params[9:12]))}


def prepare_template(params: dict[str, Any]) -> dict[str, Any]:
    """The template at the registration spacing and its face (padded), brain and head masks as ANTs images."""
    import ants

    files = template_files()
    template_mm = (float(params["template_mm"]),) * 3
    template = ants.resample_image(ants.image_read(str(files.head), pixeltype="float"), template_mm,
                                   use_voxels=False, interp_type=0)
    facemask = ants.resample_image(ants.image_read(str(files.facemask), pixeltype="float"), template_mm,
                                   use_voxels=False, interp_type=0)
    head = template.numpy()
    pad = np.ceil(np.asarray(FACE_PAD) / params["template_mm"]).astype(int)
    brain = brain_mask(head, template.spacing)
    return {
        "low": ants.resample_image(template, (float(params["registration_mm"]),) * 3, use_voxels=False,
                                   interp_type=0),
        "face": _ants_image(np.pad(facemask.numpy() < 0.5, pad, mode="edge"), template, pad_before=pad[:, 0]),
        "brain": _ants_image(brain, template),
        "head": _ants_image(head_mask(head), template),
        "brain_ml": float(brain.sum() * np.prod(template.spacing) / 1000),
    }


def register_scan(scan_path: str | Path, out_dir: str | Path, template: dict[str, Any],
                  params: dict[str, Any]) -> dict:
    """Register the template to one scan (affine), warp the masks onto its grid, write masks.npz and result.json."""
    import ants

    start = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    scan = ants.image_read(str(scan_path), pixeltype="float")
    if scan.dimension != 3:
        raise ValueError(f"{scan_path}: a 3-D volume is needed, found {scan.dimension} dimensions")
    scan_lr = ants.resample_image(scan, (float(params["registration_mm"]),) * 3, use_voxels=False, interp_type=0)
    reg = ants.registration(
        fixed=scan_lr, moving=template["low"], type_of_transform=params["transform"], aff_metric=params["metric"],
        aff_sampling=int(params["sampling"]), aff_iterations=tuple(params["iterations"]),
        aff_shrink_factors=tuple(params["shrink_factors"]), aff_smoothing_sigmas=tuple(params["smoothing_sigmas"]),
        outprefix=str(out / "reg_"), verbose=False,
    )
    transforms = reg["fwdtransforms"]
    warped = {}
    for name in ("face", "brain", "head"):
        moved = ants.apply_transforms(fixed=scan, moving=template[name], transformlist=transforms,
                                      interpolator="linear")
        warped[name] = moved.numpy() >= 0.5
    np.savez(out / "masks.npz", **warped)  # uncompressed: a temporary hand-over, compressing costs seconds

    scan_lr_array = scan_lr.numpy()
    moved_lr = reg["warpedmovout"].numpy()
    region = (moved_lr > 0.05 * moved_lr.max()) | (scan_lr_array > 0.05 * np.percentile(scan_lr_array, 99.5))
    affine = _affine_summary(transforms[0])
    expected_ml = template["brain_ml"] / abs(affine["determinant"]) if affine["determinant"] else 0.0
    in_view_ml = warped["brain"].sum() * np.prod(scan.spacing) / 1000
    result = {
        "nmi": nmi(scan_lr_array, moved_lr, region),
        **affine,
        "brain_fraction_in_view": float(min(1.0, in_view_ml / expected_ml)) if expected_ml else 0.0,
        "registration_seconds": round(time.perf_counter() - start, 2),
    }
    (out / "result.json").write_text(json.dumps(result, indent=1))
    return result


# Prepared templates by registration parameters: a worker serving many jobs prepares each one once.
_TEMPLATES: dict[str, dict[str, Any]] = {}
RESULT = "deidflow-register-result "


def run_job(job: dict[str, Any]) -> dict[str, Any]:
    """Register every scan of a job ({"params", "scans": [{"path", "out"}]}); a failing scan gets error.txt."""
    import ants

    params = {**DEFAULTS, **job.get("params", {})}
    # antspyx ignores registration(random_seed=...); its --random-seed comes from this module global
    ants.config._random_seed = int(params["seed"])
    key = json.dumps(params, sort_keys=True)
    if key not in _TEMPLATES:
        _TEMPLATES[key] = prepare_template(params)
    template = _TEMPLATES[key]
    failures = 0
    for item in job["scans"]:
        try:
            register_scan(item["path"], item["out"], template, params)
        except Exception as exc:  # reported per scan: the caller withholds that image with this message
            failures += 1
            Path(item["out"]).mkdir(parents=True, exist_ok=True)
            (Path(item["out"]) / "error.txt").write_text(f"{type(exc).__name__}: {exc}")
    return {"antspyx": getattr(ants, "__version__", "unknown"), "failures": failures}


def serve(lines: Any, out: Any) -> int:
    """Worker mode: a job file path per input line, a result line per job, until the input ends (one antspyx import
    and one template preparation for every subject of a batch)."""
    for line in lines:
        if not line.strip():
            continue
        try:
            summary = run_job(json.loads(Path(line.strip()).read_text()))
        except Exception as exc:  # the job as a whole failed: the caller raises with this message
            summary = {"error": f"{type(exc).__name__}: {exc}"}
        out.write(RESULT + json.dumps(summary) + "\n")
        out.flush()
    return 0


def main(argv: list[str]) -> int:
    if argv[1:] == ["--serve"]:
        return serve(sys.stdin, sys.stdout)
    print(json.dumps(run_job(json.loads(Path(argv[1]).read_text()))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
