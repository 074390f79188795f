"""Burned-in annotation: which images may carry text in their pixels, and cleaning them with deid coordinate recipes
(the user's, else deid's bundled ones) and OCR (`ocr.py`)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable

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


BURNED_IN_MODES = ("ocr", "recipe", "withhold")  # dicom.burned_in
DEID_DATA = "deid.data"


def bundled_recipes(ds: Dataset) -> list[str]:
    """deid's bundled recipes that apply to this image: the CTP-derived device recipe (deid.dicom: boxes by
    manufacturer and model) always, and the ultrasound one (blank all but the ultrasound regions) for US images that
    declare their regions."""
    from importlib.resources import files

    data = files(DEID_DATA)
    paths = [str(data / "deid.dicom")]
    if str(ds.get("Modality", "")).upper() == "US" and "SequenceOfUltrasoundRegions" in ds:
        paths.append(str(data / "deid.dicom.ultrasound"))
    return paths


def recipe_regions(ds: Dataset, recipe_path: str) -> list[tuple[int, tuple[int, int, int, int] | None]] | None:
    """The (keep, box) regions a deid recipe's %filter assigns to this dataset, in recipe order (keep 1: a
    `keepcoordinates` region; box None: the whole image), or None when no filter with coordinates matches."""
    from deid.dicom.pixels import has_burned_pixels

    # a copy: deid writes the coordinates it reads "from:" a field into the recipe it was given
    result = has_burned_pixels(dicom_files=ds, deid=copy.deepcopy(_recipe(str(recipe_path))))
    regions: list[tuple[int, tuple[int, int, int, int] | None]] = []
    for item in result.get("results", []) if result.get("flagged") else []:
        for coordinate in item.get("coordinates", []):
            keep, specs = (coordinate if isinstance(coordinate, (list, tuple)) else (0, coordinate))
            for spec in specs if isinstance(specs, list) else [specs]:
                if str(spec).strip().lower() == "all":
                    regions.append((int(keep), None))
                    continue
                try:
                    x0, y0, x1, y1 = (int(float(v)) for v in str(spec).split(","))
                except ValueError:
                    raise ValueError(f"recipe {recipe_path}: coordinate {spec!r} is not x0,y0,x1,y1") from None
                regions.append((int(keep), (x0, y0, x1, y1)))
    return regions or None


def apply_regions(frames: np.ndarray, regions: list[tuple[int, tuple[int, int, int, int] | None]]) -> int:
    """Black out a recipe's regions the way deid does: a mask starts all kept, each region sets it (0: blank,
    1: keep) in order, and pixels whose mask is 0 become 0. Returns the number of blanked pixels per frame."""
    mask = np.ones(frames.shape[1:3], dtype=bool)
    for keep, box in regions:
        if box is None:
            mask[:, :] = bool(keep)
        else:
            x0, y0, x1, y1 = box
            mask[y0:y1, x0:x1] = bool(keep)
    frames[:, ~mask, ...] = 0
    return int((~mask).sum())


@dataclass
class PixelOutcome:
    """What burned-in text cleaning did to one image: a reason to withhold it, notes, and a failed-check detail
    when the second OCR pass still read one of the file's identifiers (by kind, never the value)."""

    withheld: str | None = None
    notes: list[str] = field(default_factory=list)
    leak: str | None = None
    cleaned: bool = False


def _frames(ds: Dataset) -> tuple[np.ndarray, str]:
    """The pixel data as (frames, rows, cols[, samples]) and the photometric interpretation it is in."""
    arr = ds.pixel_array  # pydicom converts YBR to RGB
    photometric = str(ds.PhotometricInterpretation)
    if photometric.startswith("YBR"):
        photometric = "RGB"
    samples = int(ds.get("SamplesPerPixel", 1))
    single = int(ds.get("NumberOfFrames", 1) or 1) == 1
    if single:
        arr = arr[None]
    if arr.ndim == (3 if samples == 1 else 4):
        return np.array(arr, copy=True), photometric
    raise ValueError(f"unexpected pixel array shape {arr.shape}")


def _store(ds: Dataset, frames: np.ndarray, photometric: str) -> None:
    """Write cleaned frames back as uncompressed little-endian pixel data (same SOP Instance UID)."""
    if not ds.file_meta.TransferSyntaxUID.is_little_endian:
        for _ in ds.iterall():
            pass  # decode every element before the transfer syntax changes
        from pydicom.uid import ExplicitVRLittleEndian

        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.set_original_encoding(False, True, ds.original_character_set)
    lossy = ds.file_meta.TransferSyntaxUID.is_compressed and "LossyImageCompression" in ds
    data = frames[0] if int(ds.get("NumberOfFrames", 1) or 1) == 1 else frames
    if data.dtype.itemsize == 4:
        _store_32bit(ds, data, photometric)
    else:
        ds.set_pixel_data(data, photometric, int(ds.BitsStored), generate_instance_uid=False)
    if lossy:
        ds.LossyImageCompression = "01"


def _store_32bit(ds: Dataset, data: np.ndarray, photometric: str) -> None:
    """Native 32-bit pixel data (pydicom's set_pixel_data stops at 16 bits): little-endian, colour by pixel."""
    from pydicom.uid import ExplicitVRLittleEndian

    if data.dtype.kind not in "iu":
        raise ValueError(f"unsupported pixel data type {data.dtype}")
    for keyword in ("ExtendedOffsetTable", "ExtendedOffsetTableLengths"):
        if keyword in ds:
            delattr(ds, keyword)
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.PixelData = np.ascontiguousarray(data, dtype=data.dtype.newbyteorder("<")).tobytes()
    ds["PixelData"].VR = "OW"
    ds["PixelData"].is_undefined_length = False
    ds.PhotometricInterpretation = photometric
    ds.BitsAllocated = 32
    ds.HighBit = int(ds.BitsStored) - 1
    ds.PixelRepresentation = 1 if data.dtype.kind == "i" else 0
    if int(ds.get("SamplesPerPixel", 1)) > 1:
        ds.PlanarConfiguration = 0


def clean_burned_in(ds: Dataset, reason: str, *, mode: str = "ocr", recipe: str | None = None,
                    identifiers: Iterable[tuple[str, str]] = ()) -> PixelOutcome:
    """Clean an image that may carry burned-in text: the user's recipe (else deid's bundled ones where they match),
    then OCR (mode `ocr`): text boxes not on the annotation allow-list are blacked out and a second OCR pass checks
    the result. Anything that cannot be cleaned and verified is withheld with a reason (fail closed).

    `identifiers`: the subject's (value, kind) identifiers (the study's and the file's headers'): text of the second
    OCR pass that holds one of their written forms withholds the file and is reported as a leak (by kind).
    A missing second OCR engine raises `ocr.OcrUnavailable` (the step stops; verification is never skipped)."""
    if mode not in BURNED_IN_MODES:
        raise ValueError(f"dicom.burned_in = {mode!r}: use one of {', '.join(BURNED_IN_MODES)}")
    if mode == "withhold":
        return PixelOutcome(withheld=f"possible burned-in text ({reason}); dicom.burned_in is withhold")
    try:
        frames, photometric = _frames(ds)
    except Exception as exc:
        return PixelOutcome(withheld=f"possible burned-in text ({reason}); pixels cannot be decoded ({type(exc).__name__})")
    outcome = PixelOutcome()
    recipes = [recipe] if recipe else bundled_recipes(ds)
    matched = False
    for path in recipes:
        try:
            regions = recipe_regions(ds, path)
        except Exception as exc:
            return PixelOutcome(withheld=f"possible burned-in text ({reason}); recipe failed: {exc}")
        if regions:
            matched = True
            apply_regions(frames, regions)
            outcome.notes.append(f"pixels cleaned by recipe {Path(path).name} in {len(regions)} region(s) ({reason})")
    if mode == "recipe" and not matched:
        return PixelOutcome(withheld=f"possible burned-in text ({reason}) and no pixel recipe covers it")
    if mode == "ocr":
        from . import ocr

        rgb = None
        if photometric == "PALETTE COLOR":
            from pydicom.pixels import apply_color_lut

            rgb = np.array(apply_color_lut(frames, ds), copy=True)
        found = ocr.clean_frames(frames, rgb, ocr.identifier_needles(identifiers))
        if found.leaks:
            kinds = ", ".join(found.leaks)
            return PixelOutcome(withheld=f"burned-in text ({reason}): the second OCR pass read an identifier the "
                                         f"first pass missed ({kinds})", leak=f"an identifier ({kinds})")
        if found.remaining:
            return PixelOutcome(withheld=f"burned-in text ({reason}) still read by the second OCR pass after cleaning")
        outcome.notes.append(f"burned-in text found by OCR and blacked out ({reason}); second OCR pass read no text")
        outcome.notes.append(f"burned-in text OCR engines: {ocr.engines()}")
        if found.removed:
            outcome.notes.append(f"OCR blacked out {len(found.removed)} text box(es) in one file")
    try:
        _store(ds, frames, photometric)
    except Exception as exc:
        return PixelOutcome(withheld=f"possible burned-in text ({reason}); cleaned pixels cannot be stored ({exc})")
    ds.BurnedInAnnotation = "NO"
    outcome.cleaned = True
    return outcome
