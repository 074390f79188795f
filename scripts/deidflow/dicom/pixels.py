"""Burned-in annotation: which images may carry text in their pixels, and cleaning by deid coordinate recipes."""

from __future__ import annotations

import os
from functools import lru_cache

import numpy as np
from pydicom.dataset import Dataset

RISKY_MODALITIES = frozenset({"US", "SC", "OT", "DOC", "XC", "ES", "GM", "SM"})
RISKY_SOP_CLASSES = {
    "1.2.840.10008.5.1.4.1.1.7": "Secondary Capture",
    "1.2.840.10008.5.1.4.1.1.7.1": "Multi-frame Single Bit Secondary Capture",
    "1.2.840.10008.5.1.4.1.1.7.2": "Multi-frame Grayscale Byte Secondary Capture",
    "1.2.840.10008.5.1.4.1.1.7.3": "Multi-frame Grayscale Word Secondary Capture",
    "1.2.840.10008.5.1.4.1.1.7.4": "Multi-frame True Color Secondary Capture",
    "1.2.840.10008.5.1.4.1.1.104.1": "Encapsulated PDF",
    "1.2.840.10008.5.1.4.1.1.104.2": "Encapsulated CDA",
    "1.2.840.10008.5.1.4.1.1.6.1": "Ultrasound Image",
    "1.2.840.10008.5.1.4.1.1.3.1": "Ultrasound Multi-frame Image",
}


def burned_in_reason(ds: Dataset) -> str | None:
    """Why this image may carry burned-in text (BurnedInAnnotation, modality, SOP class), or None."""
    if str(ds.get("BurnedInAnnotation", "")).upper() == "YES":
        return "BurnedInAnnotation is YES"
    modality = str(ds.get("Modality", "")).upper()
    if modality in RISKY_MODALITIES:
        return f"modality {modality} commonly carries burned-in text"
    sop = str(ds.get("SOPClassUID", ""))
    if sop in RISKY_SOP_CLASSES:
        return f"SOP class {RISKY_SOP_CLASSES[sop]} commonly carries burned-in text"
    return None


@lru_cache(maxsize=8)
def _recipe(path: str):
    from deid.config import DeidRecipe

    return DeidRecipe(deid=path, base=False)


def recipe_boxes(source: str | os.PathLike, recipe_path: str) -> list[tuple[int, int, int, int]] | None:
    """The (xmin, ymin, xmax, ymax) boxes a deid recipe's %filter assigns to this file, or None when none covers it."""
    from deid.dicom.pixels import has_burned_pixels

    result = has_burned_pixels(dicom_files=str(source), deid=_recipe(str(recipe_path)))
    boxes: list[tuple[int, int, int, int]] = []
    for item in result.get("results", []) if result.get("flagged") else []:
        for coordinate in item.get("coordinates", []):
            spec = coordinate[1] if isinstance(coordinate, (list, tuple)) else coordinate
            if not isinstance(spec, str):
                return None
            try:
                x0, y0, x1, y1 = (int(float(v)) for v in str(spec).split(","))
            except ValueError:
                return None  # a "from:" or malformed coordinate: not a box we can apply
            boxes.append((x0, y0, x1, y1))
    return boxes or None


def blank_boxes(ds: Dataset, boxes: list[tuple[int, int, int, int]]) -> None:
    """Zero the given boxes in every frame of an uncompressed image and mark it free of burned-in text."""
    if ds.file_meta.TransferSyntaxUID.is_compressed:
        raise ValueError("cannot clean pixels of a compressed image")
    pixels = ds.pixel_array.copy()
    for x0, y0, x1, y1 in boxes:
        if int(ds.get("SamplesPerPixel", 1)) > 1:
            pixels[..., y0:y1, x0:x1, :] = 0
        else:
            pixels[..., y0:y1, x0:x1] = 0
    ds.PixelData = np.ascontiguousarray(pixels).tobytes()
    ds.BurnedInAnnotation = "NO"
