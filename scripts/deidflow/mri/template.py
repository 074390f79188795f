"""pydeface's shipped template head and face mask (data files of its wheel), and a brain mask derived from them."""

from __future__ import annotations

import importlib.resources
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import ndimage

HEAD_FILE = "mean_reg2mean.nii.gz"
FACE_FILE = "facemask.nii.gz"
# Padding (mm) added to the face mask towards the front, the bottom and both sides, so that a scan
# whose field of view reaches further than the template's still has its face and chin covered.
FACE_PAD = ((24, 24), (0, 48), (48, 0))  # millimetres
# Two (y, z) points of the template on the skull-base plane, in mm from its first voxel (see brain_mask).
SKULL_BASE = ((68.4, 48.8), (185.5, 92.8))


@dataclass(frozen=True)
class TemplateFiles:
    """Paths of pydeface's template head (T1w mean) and face mask (1 = keep, 0 = face)."""

    head: Path
    facemask: Path


def template_files() -> TemplateFiles:
    """Locate pydeface's data files; pydeface itself (which needs FSL) is never run."""
    try:
        data = importlib.resources.files("pydeface") / "data"
    except ModuleNotFoundError as exc:
        raise RuntimeError("pydeface is not installed (its data files are needed): pip install pydeface==2.1.0") from exc
    files = TemplateFiles(Path(str(data / HEAD_FILE)), Path(str(data / FACE_FILE)))
    for path in (files.head, files.facemask):
        if not path.is_file():
            raise RuntimeError(f"pydeface data file missing: {path}")
    return files


def head_mask(head: np.ndarray) -> np.ndarray:
    """Voxels inside the head: above a fifth of the robust maximum, largest component, holes filled."""
    level = 0.2 * float(np.percentile(head, 99.5))
    mask = head > level
    labels, n = ndimage.label(mask)
    if n > 1:
        sizes = ndimage.sum_labels(mask, labels, index=np.arange(1, n + 1))
        mask = labels == (1 + int(np.argmax(sizes)))
    mask = ndimage.binary_closing(mask, iterations=3)
    return ndimage.binary_fill_holes(mask)


def brain_mask(head: np.ndarray, zooms: tuple[float, ...], strip_mm: float = 10.0) -> np.ndarray:
    """A brain mask of the template, independent of the face mask: the head eroded by `strip_mm` (scalp, skull),
    above the skull-base plane through the cerebellum's floor and the orbital roof.

    pydeface ships no brain mask. The plane is fixed in the template's voxel grid (axes x: right-left, y: back to
    front, z: bottom to top; points measured on the template at 1 mm). The region over-covers the brain
    (it keeps CSF), which is the safe side for measuring brain loss; it lies 5 mm or more from the face mask.
    """
    inside = head_mask(head)
    depth = ndimage.distance_transform_edt(inside, sampling=zooms)
    y, z = np.meshgrid(np.arange(head.shape[1]) * zooms[1], np.arange(head.shape[2]) * zooms[2], indexing="ij")
    above = z > SKULL_BASE[0][1] + (y - SKULL_BASE[0][0]) * (
        (SKULL_BASE[1][1] - SKULL_BASE[0][1]) / (SKULL_BASE[1][0] - SKULL_BASE[0][0]))
    return (depth > strip_mm) & above[None, :, :]
