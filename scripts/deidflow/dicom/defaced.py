"""Defaced pixels written back into DICOM: each slice's pixels inside the face mask (found on the defaced NIfTI's
voxel grid) set to the series' minimum, new SOP Instance and Series UIDs, and the Clean Recognizable Visual Features
option (113102) recorded. Used when `dicom.release_defaced_dicom` is true."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import ExplicitVRLittleEndian
from scipy import ndimage

CLEAN_VISUAL = ("113102", "DCM", "Clean Recognizable Visual Features Option")


def slice_voxels(ds: Dataset, inverse_affine: np.ndarray) -> np.ndarray:
    """Voxel indices (rows x columns x 3, rounded) of a slice's pixel centres on a NIfTI grid (RAS affine)."""
    position = np.asarray([float(v) for v in ds.ImagePositionPatient])
    orientation = np.asarray([float(v) for v in ds.ImageOrientationPatient])
    row_step, col_step = (float(v) for v in ds.PixelSpacing)  # between rows, between columns
    rows, cols = np.mgrid[0: int(ds.Rows), 0: int(ds.Columns)]
    lps = (position + cols[..., None] * col_step * orientation[:3] + rows[..., None] * row_step * orientation[3:])
    ras = lps * np.array([-1.0, -1.0, 1.0])
    return np.rint(ras @ inverse_affine[:3, :3].T + inverse_affine[:3, 3]).astype(int)


def write_back(datasets: Sequence[Dataset], face: np.ndarray, affine: np.ndarray, dilate: int = 1) -> int:
    """Blank the face in every slice in place (the mask grown by `dilate` voxels: nearest-neighbour sampling must
    not leave a rim); returns the number of pixels blanked. Compressed pixel data is decoded and stored uncompressed."""
    mask = ndimage.binary_dilation(face, iterations=dilate) if dilate else face
    inverse = np.linalg.inv(affine)
    blanked = 0
    for ds in datasets:
        pixels = ds.pixel_array.copy()
        voxels = slice_voxels(ds, inverse)
        inside = np.all((voxels >= 0) & (voxels < np.array(mask.shape)), axis=-1)
        hit = np.zeros(pixels.shape[:2], dtype=bool)
        hit[inside] = mask[tuple(voxels[inside].T)]
        pixels[hit] = pixels.min() if pixels.size else 0
        blanked += int(hit.sum())
        ds.PixelData = pixels.tobytes()
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    return blanked


def mark_defaced(datasets: Sequence[Dataset], new_uid: Callable[[str], str]) -> None:
    """New SOP Instance and Series Instance UIDs (derived from the scrubbed ones: `new_uid`), DERIVED image type and
    the Clean Recognizable Visual Features option in the de-identification method codes."""
    series_uid = new_uid(str(datasets[0].SeriesInstanceUID) + ".defaced")
    for ds in datasets:
        ds.SOPInstanceUID = new_uid(str(ds.SOPInstanceUID) + ".defaced")
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.SeriesInstanceUID = series_uid
        image_type = [str(v) for v in (ds.get("ImageType") or ["ORIGINAL", "PRIMARY"])]
        ds.ImageType = ["DERIVED", *image_type[1:]]
        codes: Any = ds.get("DeidentificationMethodCodeSequence") or DicomSequence()
        if not any(item.get("CodeValue") == CLEAN_VISUAL[0] for item in codes):
            item = Dataset()
            item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = CLEAN_VISUAL
            codes.append(item)
        ds.DeidentificationMethodCodeSequence = codes
        method = ds.get("DeidentificationMethod")
        methods = [] if not method else [str(method)] if isinstance(method, str) else [str(m) for m in method]
        if CLEAN_VISUAL[2] not in methods:
            methods.append(CLEAN_VISUAL[2])
        ds.DeidentificationMethod = methods if len(methods) > 1 else methods[0]


def volume_of(datasets: Sequence[Dataset]) -> tuple[np.ndarray, np.ndarray]:
    """A single-frame series as a 3-D array (columns, rows, slices) and its RAS affine, for the render check."""
    ordered = sorted(datasets, key=lambda ds: float(np.dot(np.cross(
        [float(v) for v in ds.ImageOrientationPatient[:3]], [float(v) for v in ds.ImageOrientationPatient[3:]]),
        [float(v) for v in ds.ImagePositionPatient])))
    first = ordered[0]
    orientation = np.asarray([float(v) for v in first.ImageOrientationPatient])
    row_step, col_step = (float(v) for v in first.PixelSpacing)
    origin = np.asarray([float(v) for v in first.ImagePositionPatient])
    if len(ordered) > 1:
        step = np.asarray([float(v) for v in ordered[1].ImagePositionPatient]) - origin
    else:
        step = np.cross(orientation[:3], orientation[3:]) * float(first.get("SliceThickness", 1) or 1)
    lps = np.eye(4)
    lps[:3, 0] = orientation[:3] * col_step  # voxel axis 0: along a row (column index)
    lps[:3, 1] = orientation[3:] * row_step  # voxel axis 1: down the columns (row index)
    lps[:3, 2] = step
    lps[:3, 3] = origin
    affine = np.diag([-1.0, -1.0, 1.0, 1.0]) @ lps
    data = np.stack([ds.pixel_array.T for ds in ordered], axis=-1).astype(np.float32)
    return data, affine
