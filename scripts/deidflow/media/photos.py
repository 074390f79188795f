"""One photo: orientation applied, faces replaced, text blacked out by OCR and verified by a second engine
(`media.photos.ocr: clean`; photos of documents, ID cards, letters), re-encoded from pixels with no metadata, then
exiftool-stripped."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from .config import MediaConfig
from .faces import FaceBlurrer
from .metadata import strip_image
from .probe import PHOTO_FORMATS, MediaError, check_format

SAVE_FORMAT = {"jpeg": "JPEG", "png": "PNG", "tiff": "TIFF", "heic": "HEIF"}


@dataclass(frozen=True)
class PhotoResult:
    """What happened to one photo."""

    faces: int
    width: int
    height: int
    text_boxes: int = 0  # text boxes blacked out by OCR


def _register_heif() -> None:
    try:
        import pillow_heif
    except ImportError as exc:  # pragma: no cover - pillow-heif is in envs/media.txt
        raise MediaError("HEIC needs pillow-heif, which is not installed") from exc
    pillow_heif.register_heif_opener()


def load_upright(path: str | os.PathLike, fmt: str) -> tuple[np.ndarray, np.ndarray | None, bytes | None]:
    """RGB pixels with the EXIF orientation applied, the alpha channel if any, and the ICC profile."""
    if fmt == "heic":
        _register_heif()
    try:
        with Image.open(path) as image:
            image.load()
            icc = image.info.get("icc_profile")
            upright = ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise MediaError(f"cannot decode the {fmt.upper()} image (truncated or corrupt): {exc}") from None
    alpha = np.asarray(upright.getchannel("A")) if "A" in upright.getbands() else None
    return np.array(upright.convert("RGB")), alpha, icc


def save_clean(rgb: np.ndarray, alpha: np.ndarray | None, dst: Path, fmt: str, cfg: MediaConfig,
               icc: bytes | None) -> None:
    """Encode pixels only (a fresh image carries no EXIF, XMP, comment or text chunk); ICC only when configured."""
    image = Image.fromarray(rgb, "RGB")
    if alpha is not None and fmt in ("png", "tiff"):
        image.putalpha(Image.fromarray(alpha, "L"))
    options: dict = {}
    if cfg.keep_icc and icc:
        options["icc_profile"] = icc
    if fmt == "jpeg":
        options.update(quality=cfg.jpeg_quality, subsampling=0)
    elif fmt == "tiff":
        options.update(compression="tiff_lzw")
    elif fmt == "heic":
        _register_heif()
        options.update(quality=cfg.jpeg_quality)
    image.save(dst, format=SAVE_FORMAT[fmt], **options)


class PhotoTextError(MediaError):
    """A photo whose text OCR cannot clean and verify: withheld; `leaks` names the identifier kinds read."""

    def __init__(self, message: str, leaks: list[str] | None = None):
        super().__init__(message)
        self.leaks = leaks or []


# Pass 2 upscales a photo at most to this longer side (1.5x for a 1024-pixel photo instead of 2x: the same names
# read on skimage's astronaut, half the time); photo text is larger than DICOM annotation text.
PHOTO_VERIFY_MAX_SIDE = 1536


def clean_text(rgb: np.ndarray, needles: Any = None) -> tuple[np.ndarray, int]:
    """Black out the text of an RGB photo the way burned-in DICOM text is (`deidflow.dicom.ocr`: RapidOCR, then
    Tesseract and RapidOCR at 2x verify); PhotoTextError when the second pass still reads text or an identifier."""
    from ..dicom import ocr

    frames = np.array(rgb[None], copy=True)
    found = ocr.clean_frames(frames, None, needles, verify_max_side=PHOTO_VERIFY_MAX_SIDE, local_rounds=True)
    if found.leaks:
        kinds = ", ".join(found.leaks)
        raise PhotoTextError(f"text in the photo: the second OCR pass read an identifier the first pass missed "
                             f"({kinds})", found.leaks)
    if found.remaining:
        raise PhotoTextError("text in the photo still read by the second OCR pass after cleaning")
    return frames[0], len(found.removed)


def deidentify_photo(src: str | os.PathLike, dst: str | os.PathLike, cfg: MediaConfig,
                     blurrer: FaceBlurrer, needles: Any = None) -> PhotoResult:
    """Write a face-blurred, text-cleaned (`cfg.photos_ocr`), metadata-free copy of `src` at `dst` (same format);
    MediaError when it cannot. `needles` (`deidflow.dicom.ocr.identifier_needles`): the subject's identifier forms
    whose presence in the second OCR pass's text withholds the photo (PhotoTextError.leaks)."""
    fmt = check_format(src, PHOTO_FORMATS)
    rgb, alpha, icc = load_upright(src, fmt)
    rgb, faces = blurrer.anonymize(rgb)
    boxes = 0
    if cfg.photos_ocr == "clean":
        rgb, boxes = clean_text(rgb, needles)
    dst = Path(dst)
    save_clean(rgb, alpha, dst, fmt, cfg, icc)
    if fmt != "heic":  # exiftool cannot delete all HEIC metadata; the fresh encode above writes none
        strip_image(dst, keep_icc=cfg.keep_icc)
    return PhotoResult(faces=faces, width=rgb.shape[1], height=rgb.shape[0], text_boxes=boxes)
