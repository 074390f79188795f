"""Burned-in text found by OCR (RapidOCR: PP-OCRv4 detection and recognition models shipped inside the
rapidocr-onnxruntime wheel, run offline on onnxruntime), blacked out, and checked again by a second pass.

The first pass reads each frame as it is; every text box whose text is not a non-identifying annotation (orientation
letters, numbers with units, scale marks, probe names) is blacked out. The second pass reads the cleaned image at
twice the scale with lower detection and recognition thresholds (a different detector setting, so it does not simply
repeat the first pass's blind spots); text it finds is blacked out and the image read again, and text still found
after VERIFY_ROUNDS reads keeps the file out of the release. Text of the second pass that matches one of the file's
identifiers (the first pass missed it) is reported as a failed check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable

import numpy as np

MIN_SIDE = 16  # smaller images cannot hold legible text; OCR on them only hallucinates characters
VERIFY_ROUNDS = 3  # second-pass reads: text it finds is blacked out and read again; text left after the last fails
PAD = 2  # pixels added around each detected box before blacking it out
UNITS = r"(?:cm|mm|m|s|ms|m/s|cm/s|mm/s|hz|khz|mhz|db|fps|bpm|%|deg|kv|kvp|ma|mas|c|hr|min|sec)"
ALLOWED = re.compile(
    rf"^(?:[LRAPSIHF]|[+-]?\d{{1,4}}(?:\.\d+)?\s*{UNITS}?|{UNITS}|"
    r"(?:gain|depth|freq|frq|zoom|pwr|power|res|gen|pen|tis|tib|mi|ti|dr|map|cine|frame|persist|dyn|bmode|b|m|"
    r"pw|cw|cf|color|colour|doppler|harm|thi|focus|sector|linear|curved|probe|scale)|"
    r"[A-Z]{1,3}\d{1,2}-\d{1,2}[A-Z]?)$",
    re.I,
)


def allowed_text(text: str) -> bool:
    """Whether OCR text is a non-identifying annotation (orientation letter, number with unit, probe name...)."""
    compact = re.sub(r"[\s:;,=_()\[\]|]+", " ", text).strip()
    return all(ALLOWED.match(part) for part in compact.split()) if compact else True


@dataclass
class Box:
    """A text box: pixel bounds (x0, y0, x1, y1) and the recognized text."""

    x0: int
    y0: int
    x1: int
    y1: int
    text: str


@dataclass
class OcrResult:
    """What cleaning one image did: boxes blacked out, text the second pass still found, and verdicts."""

    removed: list[Box] = field(default_factory=list)
    kept: list[Box] = field(default_factory=list)
    remaining: list[Box] = field(default_factory=list)
    read_again: list[Box] = field(default_factory=list)  # everything the second pass read (blacked out in turn)


@lru_cache(maxsize=1)
def engine():
    """The RapidOCR engine (models from the wheel; nothing is downloaded)."""
    from rapidocr_onnxruntime import RapidOCR

    return RapidOCR()


def to_uint8(frame: np.ndarray) -> np.ndarray:
    """A frame scaled to 8-bit BGR for OCR."""
    data = frame.astype(np.float32)
    low, high = float(data.min()), float(data.max())
    data = (data - low) * (255.0 / (high - low)) if high > low else np.zeros_like(data)
    data = data.astype(np.uint8)
    if data.ndim == 2:
        return np.stack([data] * 3, axis=-1)
    return np.ascontiguousarray(data[..., ::-1])  # RGB -> BGR


def read_text(image: np.ndarray, scale: float = 1.0, box_thresh: float = 0.5, text_score: float = 0.5) -> list[Box]:
    """Text boxes in an 8-bit BGR image, in the image's own pixel coordinates."""
    if min(image.shape[:2]) < MIN_SIDE:
        return []
    if scale != 1.0:
        import cv2

        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    found, _ = engine()(image, box_thresh=box_thresh, text_score=text_score)
    boxes = []
    for points, text, _score in found or []:
        xs = [p[0] / scale for p in points]
        ys = [p[1] / scale for p in points]
        boxes.append(Box(int(min(xs)), int(min(ys)), int(np.ceil(max(xs))), int(np.ceil(max(ys))), str(text)))
    return boxes


def views(frames: np.ndarray) -> list[np.ndarray]:
    """The images OCR reads for a stack of frames: the first frame and, for a cine, the brightest value per pixel
    (burned-in text is usually static and bright, so it stands out in the projection)."""
    out = [to_uint8(frames[0])]
    if len(frames) > 1:
        out.append(to_uint8(frames.max(axis=0)))
    return out


def blackout(frames: np.ndarray, boxes: Iterable[Box]) -> None:
    """Zero the boxes (padded) in every frame, in place."""
    rows, cols = frames.shape[1:3]
    for b in boxes:
        x0, y0 = max(0, b.x0 - PAD), max(0, b.y0 - PAD)
        x1, y1 = min(cols, b.x1 + PAD), min(rows, b.y1 + PAD)
        frames[:, y0:y1, x0:x1, ...] = 0


def clean_frames(frames: np.ndarray, rgb: np.ndarray | None = None) -> OcrResult:
    """Find text in a (frames, rows, cols[, samples]) stack, black out what is not allowed, and read it again.

    `rgb` is what OCR should look at when it differs from the stored values (palette colour images).
    """
    result = OcrResult()
    look = frames if rgb is None else rgb
    for view in views(look):
        for box in read_text(view):
            (result.kept if allowed_text(box.text) else result.removed).append(box)
    boxes = result.removed
    for _ in range(VERIFY_ROUNDS):
        blackout(frames, boxes)
        if rgb is not None:
            blackout(rgb, boxes)
        boxes = [box for view in views(frames if rgb is None else rgb)
                 for box in read_text(view, scale=2.0, box_thresh=0.3, text_score=0.3) if not allowed_text(box.text)]
        result.read_again += boxes
        if not boxes:
            return result
        result.removed += boxes
    result.remaining = boxes
    return result


def identifier_forms(values: Iterable[str]) -> set[str]:
    """Compact, case-folded forms of identifier values (and of their name parts) to look for in OCR text."""
    forms = set()
    for value in values:
        for part in [value, *re.split(r"[\^\s,]+", value)]:
            compact = re.sub(r"[^0-9a-z]", "", part.casefold())
            if len(compact) >= 4:
                forms.add(compact)
    return forms


def matches_identifier(text: str, forms: set[str]) -> bool:
    """Whether OCR text holds one of the identifier forms (OCR's usual O/0 and I/1 confusions folded)."""
    compact = re.sub(r"[^0-9a-z]", "", text.casefold())
    fold = str.maketrans("0il", "o11")
    compact_folded = compact.translate(fold)
    return any(form in compact or form.translate(fold) in compact_folded for form in forms)
