"""Demo and test heads: pydeface's template deformed (rotation, scale, translation), resampled, with noise.

`write()` adds an anatomical T1w image with identifying header and sidecar fields to a demo study;
`deformed_head()` also returns the true face and brain masks on the new grid, so tests can measure a defacing.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

import nibabel as nib
import numpy as np
from scipy import ndimage
from scipy.spatial.transform import Rotation

from ..mri.template import brain_mask, template_files
from .people import Person


@dataclass
class Head:
    """A synthetic head image and its ground truth on the same voxel grid."""

    image: nib.Nifti1Image
    face: np.ndarray  # voxels of pydeface's face region
    brain: np.ndarray  # voxels of the template's brain mask


_CACHE: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}


def _blocks(volume: np.ndarray, factor: int) -> np.ndarray:
    """Mean over factor^3 blocks (the template's dimensions are even)."""
    if factor == 1:
        return volume
    x, y, z = (n // factor for n in volume.shape)
    cut = volume[: x * factor, : y * factor, : z * factor].astype(np.float32)
    return cut.reshape(x, factor, y, factor, z, factor).mean(axis=(1, 3, 5))


def _template(factor: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Template head (float32), face and brain masks and affine, downsampled by `factor` (cached)."""
    if factor not in _CACHE:
        files = template_files()
        img = nib.load(files.head)
        head = _blocks(np.asarray(img.dataobj, dtype=np.float32), factor)
        face = _blocks(np.asarray(nib.load(files.facemask).dataobj) < 0.5, factor) >= 0.5
        affine = img.affine @ np.array([[factor, 0, 0, (factor - 1) / 2], [0, factor, 0, (factor - 1) / 2],
                                        [0, 0, factor, (factor - 1) / 2], [0, 0, 0, 1]])
        zooms = tuple(float(z) * factor for z in img.header.get_zooms()[:3])
        _CACHE[factor] = (head, face, brain_mask(head, zooms), affine)
    return _CACHE[factor]


def deformed_head(
    voxel_mm: float = 3.5,
    rotation_deg: tuple[float, float, float] = (0, 0, 0),
    translation_mm: tuple[float, float, float] = (0, 0, 0),
    scale: float = 1.0,
    noise: float = 0.0,
    invert: bool = False,
    fov_mm: tuple[float, float, float] = (192, 256, 256),
    fov_shift_mm: tuple[float, float, float] = (0, 0, 0),
    seed: int = 0,
) -> Head:
    """Resample the template head through a similarity transform onto a new grid (int16, RAS affine).

    `invert` gives a T2-like contrast (fluid bright, white matter dark); `noise` is the Gaussian sigma as a
    fraction of the robust maximum; `fov_mm`/`fov_shift_mm` set and move the field of view.
    """
    head, face, brain, tpl_affine = _template(2 if voxel_mm >= 2.0 else 1)
    centre = tpl_affine[:3, :3] @ (np.array(head.shape) / 2) + tpl_affine[:3, 3]
    shape = np.maximum(np.round(np.array(fov_mm) / voxel_mm).astype(int), 8)
    out_affine = np.diag([voxel_mm, voxel_mm, voxel_mm, 1.0])
    out_affine[:3, 3] = centre + np.array(fov_shift_mm) - voxel_mm * (shape - 1) / 2
    # world (new image) -> world (template): rotate and scale about the centre, then translate
    rot = Rotation.from_euler("xyz", rotation_deg, degrees=True).as_matrix()
    world = np.eye(4)
    world[:3, :3] = rot / scale
    world[:3, 3] = centre - world[:3, :3] @ (centre + np.array(translation_mm))
    mapping = np.linalg.inv(tpl_affine) @ world @ out_affine

    def resample(volume: np.ndarray, order: int) -> np.ndarray:
        return ndimage.affine_transform(volume, mapping[:3, :3], mapping[:3, 3], output_shape=tuple(shape),
                                        order=order, mode="constant", cval=0)

    data = resample(head, 1)
    top = float(np.percentile(head, 99.5))
    if invert:
        inside = resample(ndimage.binary_closing(head > 0.15 * top, iterations=3).astype(np.float32), 0) > 0.5
        data = np.where(inside, np.clip(1.25 * top - data, 0, None), 0)
    if noise:
        data = np.abs(data + np.random.default_rng(seed).normal(0, noise * top, data.shape))
    image = nib.Nifti1Image(np.clip(data, 0, 32767).astype(np.int16), out_affine)
    image.header.set_xyzt_units("mm", "sec")
    return Head(image, resample(face.astype(np.float32), 1) >= 0.5, resample(brain.astype(np.float32), 1) >= 0.5)


def write(study_dir: Path, person: Person, rng: random.Random, *, small: bool = False) -> list[Path]:
    """Write the person's T1w image (name in the header's descrip) and a sidecar with identifying fields."""
    head = deformed_head(
        voxel_mm=3.5 if small else 2.0,  # 2 mm keeps `make demo` quick; benchmarks/mri runs 1 and 0.8 mm
        rotation_deg=tuple(rng.uniform(-8, 8) for _ in range(3)),
        translation_mm=tuple(rng.uniform(-10, 10) for _ in range(3)),
        scale=rng.uniform(0.93, 1.07),
        noise=0.01,
        seed=rng.getrandbits(32),
    )
    head.image.header["descrip"] = f"{person.full_name} {person.visit_date:%Y%m%d}"[:79].encode()
    anat = Path(study_dir) / f"sub-{person.label}" / "anat"
    anat.mkdir(parents=True, exist_ok=True)
    nii = anat / f"sub-{person.label}_T1w.nii.gz"
    nib.save(head.image, nii)
    sidecar = anat / f"sub-{person.label}_T1w.json"
    sidecar.write_text(json.dumps({
        "Modality": "MR",
        "MagneticFieldStrength": 3,
        "Manufacturer": "Siemens",
        "InstitutionName": person.hospital,
        "AcquisitionDateTime": f"{person.visit_date:%Y-%m-%d}T09:{rng.randint(0, 59):02d}:00",
        "ImageComments": f"Patient {person.full_name}, referred by {person.physician}",
        "RepetitionTime": 2.3,
        "EchoTime": 0.00298,
        "FlipAngle": 9,
    }, indent=2))
    return [nii, sidecar]
