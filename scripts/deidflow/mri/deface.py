"""Defacing: register pydeface's template to each scan (antspyx, affine), warp its face mask back, zero the face.

The registration runs in `deidflow.mri.register` under the interpreter that has antspyx (see `find_python`);
masking, measuring and writing run here with nibabel.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np

from .register import RESULT
from .safety import Bounds, brain_loss, violations

SCRIPTS = Path(__file__).resolve().parents[2]
MRI_VENV_PYTHON = SCRIPTS.parent / ".venv-mri" / "bin" / "python"


class NotAVolume(ValueError):
    """The file is not a readable 3-D image."""


@dataclass
class Defaced:
    """The outcome for one scan: the defaced image (None when withheld), masks, metrics and withheld reasons."""

    image: nib.Nifti1Image | None
    original: np.ndarray | None
    face: np.ndarray | None
    brain: np.ndarray | None
    metrics: dict[str, Any] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)


def find_python(configured: str | None = None) -> str:
    """The interpreter with antspyx: the configured one, else this one if it has antspyx (a conda env from
    envs/mri.yaml), else the repository's .venv-mri (antspyx pins numpy<2.4, unlike the core venv)."""
    if configured:
        return configured
    if importlib.util.find_spec("ants") is not None or not MRI_VENV_PYTHON.is_file():
        return sys.executable
    return str(MRI_VENV_PYTHON)


def load_volume(path: str | Path) -> tuple[nib.Nifti1Image, np.ndarray]:
    """Read a NIfTI image as a 3-D float array (trailing singleton dimensions dropped); NotAVolume otherwise."""
    try:
        image = nib.load(str(path))
        data = np.asanyarray(image.dataobj).astype(np.float32)
    except Exception as exc:
        detail = str(exc).replace(str(path), Path(path).name)  # no directories in the reason
        raise NotAVolume(f"{Path(path).name}: not a readable NIfTI image ({type(exc).__name__}: {detail})") from exc
    while data.ndim > 3 and data.shape[-1] == 1:
        data = data[..., 0]
    if data.ndim != 3 or min(data.shape) < 8:
        raise NotAVolume(f"{Path(path).name}: a 3-D volume of at least 8 voxels a side is needed, "
                         f"found shape {tuple(image.shape)}")
    if not np.isfinite(data).all() or np.ptp(data) == 0:
        raise NotAVolume(f"{Path(path).name}: the image is constant or has non-finite values")
    return image, data


def worker_error(python: str, errors: str) -> RuntimeError:
    if "No module named 'ants'" in errors:
        return RuntimeError(f"antspyx is not installed for {python}: build .venv-mri (python3 -m venv .venv-mri && "
                            ".venv-mri/bin/pip install -r envs/mri.txt) or set mri.python")
    return RuntimeError(f"the antspyx registration worker failed ({python}): {errors}")


class RegistrationWorker:
    """A `deidflow.mri.register --serve` process under the antspyx interpreter, reused for every job it is given."""

    def __init__(self, python: str, threads: int):
        self.python = python
        env = {**os.environ, "ITK_GLOBAL_DEFAULT_NUMBER_OF_THREADS": str(max(1, threads)),
               "OMP_NUM_THREADS": str(max(1, threads)), "PYTHONPATH": str(SCRIPTS)}
        self.stderr = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen([python, "-m", "deidflow.mri.register", "--serve"], env=env, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr)

    def errors(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read()[-2000:]

    def run(self, job_file: Path, timeout: float) -> dict[str, Any]:
        """Send one job; its summary ({"antspyx", "failures"} or {"error"}), or RuntimeError if the worker died."""
        timer = threading.Timer(timeout, self.proc.kill)
        timer.start()
        try:
            assert self.proc.stdin is not None and self.proc.stdout is not None
            self.proc.stdin.write(f"{job_file}\n")
            self.proc.stdin.flush()
            for line in self.proc.stdout:
                if line.startswith(RESULT):
                    return json.loads(line[len(RESULT):])
        except (BrokenPipeError, ValueError):
            pass
        finally:
            timer.cancel()
        self.close()
        raise worker_error(self.python, self.errors())

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


_WORKERS: dict[tuple[str, int], RegistrationWorker] = {}


def _worker(python: str, threads: int) -> RegistrationWorker:
    worker = _WORKERS.get((python, threads))
    if worker is None or worker.proc.poll() is not None:
        worker = _WORKERS[(python, threads)] = RegistrationWorker(python, threads)
    return worker


def register_scans(scans: list[Path], work_dir: Path, params: dict[str, Any], *, threads: int = 1,
                   python: str | None = None, timeout: float = 3600) -> list[dict[str, Any]]:
    """Register the template to every scan in the registration worker (one per process, reused across calls, so a
    batch of subjects starts antspyx once); per scan: masks and metrics, or an error."""
    job = {"params": params, "scans": [{"path": str(s), "out": str(work_dir / f"scan{i}")} for i, s in
                                        enumerate(scans)]}
    job_file = work_dir / "job.json"
    job_file.write_text(json.dumps(job))
    if params.get("deterministic", True):
        threads = 1  # seeded ANTs registrations still differ run to run on more than one thread
    python = find_python(python)
    try:
        summary = _worker(python, threads).run(job_file, timeout)
    except RuntimeError:
        _WORKERS.pop((python, threads), None)  # a dead worker is replaced on the next call
        raise
    if "error" in summary:
        raise worker_error(python, summary["error"])
    version = summary.get("antspyx", "unknown")
    outcomes = []
    for item in job["scans"]:
        out = Path(item["out"])
        if (out / "error.txt").is_file():
            outcomes.append({"error": (out / "error.txt").read_text()})
            continue
        masks = np.load(out / "masks.npz")
        outcomes.append({"metrics": {**json.loads((out / "result.json").read_text()), "antspyx": version},
                         **{name: masks[name] for name in ("face", "brain", "head")}})
    return outcomes


def zero_face(image: nib.Nifti1Image, face: np.ndarray) -> nib.Nifti1Image:
    """The image with the face voxels set to zero; dtype, affine and header kept, free-text header fields blanked."""
    data = np.array(np.asanyarray(image.dataobj))
    mask = face.reshape(face.shape + (1,) * (data.ndim - face.ndim))
    data = np.where(mask, np.zeros((), dtype=data.dtype), data)
    header = image.header.copy()
    for key in ("descrip", "aux_file", "intent_name"):
        header[key] = b""
    return nib.Nifti1Image(data, image.affine, header)


def deface_images(paths: list[Path], bounds: Bounds, params: dict[str, Any], *, threads: int = 1,
                  python: str | None = None) -> list[Defaced]:
    """Deface each image, or give the reasons it must be withheld (unreadable, not a head, brain at risk)."""
    results: list[Defaced | None] = [None] * len(paths)
    loaded: dict[int, tuple[nib.Nifti1Image, np.ndarray]] = {}
    for i, path in enumerate(paths):
        try:
            loaded[i] = load_volume(path)
        except NotAVolume as exc:
            results[i] = Defaced(None, None, None, None, reasons=[str(exc)])
    with tempfile.TemporaryDirectory(prefix="deidflow-mri-") as tmp:
        tmp_dir = Path(tmp)
        scans = []
        for i in loaded:
            scan = tmp_dir / f"in{i}.nii"  # a plain 3-D float copy (uncompressed: quick), no odd headers
            nib.save(nib.Nifti1Image(loaded[i][1], loaded[i][0].affine), scan)
            scans.append(scan)
        outcomes = register_scans(scans, tmp_dir, params, threads=threads, python=python) if scans else []
    for i, outcome in zip(loaded, outcomes):
        image, data = loaded[i]
        name = Path(paths[i]).name
        if "error" in outcome:
            results[i] = Defaced(None, data, None, None, reasons=[f"{name}: registration failed: {outcome['error']}"])
            continue
        face, brain = outcome["face"], outcome["brain"]
        metrics = {**outcome["metrics"], "brain_loss": brain_loss(face, brain),
                   "face_voxels": int(face.sum()), "face_fraction_of_head": float(
                       (face & outcome["head"]).sum() / max(1, outcome["head"].sum()))}
        reasons = [f"{name}: {r}" for r in violations(metrics, bounds)]
        defaced = None if reasons else zero_face(image, face)
        results[i] = Defaced(defaced, data, face, brain, metrics, reasons)
    return [r for r in results if r is not None]
