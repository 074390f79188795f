"""Burned-in text found by OCR, blacked out, and checked again by a second, independent OCR engine.

Pass 1 is RapidOCR (PP-OCRv4 DB detection + CRNN recognition, ONNX models shipped inside the rapidocr-onnxruntime
wheel, run offline on onnxruntime): every text box whose text is not a non-identifying annotation (orientation
letters, numbers with units, scale marks, probe names) is blacked out. Pass 2 reads the cleaned image with a second
model family, Tesseract's LSTM (the Debian `tesseract-ocr` + `tesseract-ocr-eng` packages, traineddata offline; run
as a CLI, page segmentation 11: sparse text), together with RapidOCR again at twice the scale and lower thresholds;
text either reads is blacked out and the image read again, and text still found after VERIFY_ROUNDS reads keeps the
file out of the release. Text of pass 2 that holds a written form of one of the subject's identifiers (the study's
and the headers', built by `deidflow.forms`) means pass 1 missed it: the file is withheld and the gate fails.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable

import numpy as np

MIN_SIDE = 16  # smaller images cannot hold legible text; OCR on them only hallucinates characters
VERIFY_ROUNDS = 3  # second-pass reads: text it finds is blacked out and read again; text left after the last fails
PAD = 2  # pixels added around each detected box before blacking it out
UNITS = r"(?:cm|mm|m|s|ms|m/s|cm/s|mm/s|hz|khz|mhz|db|fps|bpm|%|deg|kv|kvp|ma|mas|c|hr|min|sec)"
# "pur": PWR (power Doppler) as Tesseract reads it on ultrasound screens
ALLOWED = re.compile(
    rf"^(?:[LRAPSIHF]|[+-]?\d{{1,4}}(?:\.\d+)?\s*{UNITS}?|{UNITS}|"
    r"(?:gain|depth|freq|frq|zoom|pwr|pur|power|res|gen|pen|tis|tib|mi|ti|dr|map|cine|frame|persist|dyn|bmode|b|m|"
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
    conf: float | None = None  # Tesseract's word confidence (0-100); None for RapidOCR's boxes


@dataclass
class OcrResult:
    """What cleaning one image did: boxes blacked out, text the second pass still found, and verdicts."""

    removed: list[Box] = field(default_factory=list)
    kept: list[Box] = field(default_factory=list)
    remaining: list[Box] = field(default_factory=list)
    read_again: list[Box] = field(default_factory=list)  # everything the second pass read (blacked out in turn)
    leaks: list[str] = field(default_factory=list)  # kinds of identifier the second pass read (never the values)


@lru_cache(maxsize=1)
def engine():
    """The RapidOCR engine (models from the wheel; nothing is downloaded), on one thread like Tesseract: the rules
    declare one thread, two OCR jobs side by side on 2 cores run a third faster than with onnxruntime's default of
    every core each (measured on the demo's photos), and the result does not depend on the machine's core count."""
    from rapidocr_onnxruntime import RapidOCR

    return RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1)


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


class OcrUnavailable(RuntimeError):
    """The second OCR engine (Tesseract) is missing: verification cannot run, so the step stops."""

    stops_the_step = True  # deidflow.batch: a failed step, not a withheld subject


TESSERACT = "tesseract"
TESSERACT_LANG = "eng"
TESSERACT_PSM = "11"  # sparse text: annotations scattered over an image, no page layout
TESSERACT_CONF = 75.0  # words read with less confidence are noise (speckle, anatomy edges), not text to black out
TESSERACT_MATCH_CONF = 20.0  # ... but any word read at all counts when it holds an identifier form
TESSERACT_TARGET = 1024  # small images are upscaled (at most 3x) toward this longer side: Tesseract wants ~20 px text


@lru_cache(maxsize=1)
def tesseract_version() -> str:
    """The Tesseract version ('5.3.0'); OcrUnavailable with what to install when it is missing or lacks English."""
    exe = shutil.which(TESSERACT)
    if exe is None:
        raise OcrUnavailable("tesseract is not installed: the second, independent OCR pass that verifies burned-in "
                             "text cleaning cannot run (install the Debian packages tesseract-ocr and "
                             "tesseract-ocr-eng, e.g. `make sysdeps`, or set dicom.burned_in: withhold)")
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, check=False)
    version = (out.stdout or out.stderr).split()[1] if (out.stdout or out.stderr).split()[1:] else "unknown"
    langs = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, check=False).stdout.split()
    if TESSERACT_LANG not in langs:
        raise OcrUnavailable(f"tesseract {version} has no '{TESSERACT_LANG}' language data: install the Debian "
                             "package tesseract-ocr-eng")
    return version


def engines() -> str:
    """Both engines and their versions, for the part's notes (provenance)."""
    from importlib.metadata import version

    return (f"pass 1 RapidOCR {version('rapidocr-onnxruntime')} (PP-OCRv4 ONNX, onnxruntime "
            f"{version('onnxruntime')}); pass 2 Tesseract {tesseract_version()} (LSTM, {TESSERACT_LANG}) "
            "with RapidOCR at 2x")


def tesseract_read(image: np.ndarray, min_conf: float = TESSERACT_MATCH_CONF) -> list[Box]:
    """Words Tesseract reads in an 8-bit BGR image (confidence >= min_conf), in the image's pixel coordinates."""
    import cv2

    if min(image.shape[:2]) < MIN_SIDE:
        return []
    scale = max(1, min(3, TESSERACT_TARGET // max(image.shape[:2])))
    if scale > 1:
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    ok, png = cv2.imencode(".png", image)
    if not ok:
        raise ValueError("cannot encode the image for tesseract")
    tesseract_version()
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}  # one thread: deterministic, and fair to the other jobs
    out = subprocess.run([TESSERACT, "stdin", "stdout", "-l", TESSERACT_LANG, "--psm", TESSERACT_PSM, "tsv"],
                         input=png.tobytes(), capture_output=True, env=env, check=False)
    if out.returncode != 0:
        raise OcrUnavailable(f"tesseract failed (exit {out.returncode}): {out.stderr.decode(errors='replace')[-300:]}")
    boxes = []
    for line in out.stdout.decode("utf-8", errors="replace").splitlines()[1:]:
        cols = line.split("\t")
        if len(cols) != 12 or not cols[11].strip() or float(cols[10]) < min_conf:
            continue
        x, y, w, h = (int(v) for v in cols[6:10])
        boxes.append(Box(x // scale, y // scale, -(-(x + w) // scale), -(-(y + h) // scale), cols[11].strip(),
                         float(cols[10])))
    return boxes


def verify_read(view: np.ndarray, max_side: int | None = None) -> list[Box]:
    """Pass 2 over one cleaned view: Tesseract's words plus RapidOCR's boxes at twice the scale (at most `max_side`
    pixels on the longer side when given, never below 1x), low thresholds."""
    scale = 2.0 if max_side is None else min(2.0, max(1.0, max_side / max(view.shape[:2])))
    return [*tesseract_read(view), *read_text(view, scale=scale, box_thresh=0.3, text_score=0.3)]


def read_around(view: np.ndarray, boxes: Iterable[Box], max_side: int | None = None) -> list[Box]:
    """Pass 2 over the neighbourhood of each box only (a margin of twice its height, at least 32 px), in the view's
    coordinates: what a later round reads after blacking those boxes out (the rest of the view did not change)."""
    rows, cols = view.shape[:2]
    regions: list[list[int]] = []
    for box in boxes:
        margin = max(32, 2 * (box.y1 - box.y0))
        region = [max(0, box.x0 - margin), max(0, box.y0 - margin), min(cols, box.x1 + margin),
                  min(rows, box.y1 + margin)]
        merged = True
        while merged:  # overlapping neighbourhoods are read as one region
            merged = False
            for other in regions:
                if region[0] < other[2] and other[0] < region[2] and region[1] < other[3] and other[1] < region[3]:
                    regions.remove(other)
                    region = [min(region[0], other[0]), min(region[1], other[1]), max(region[2], other[2]),
                              max(region[3], other[3])]
                    merged = True
                    break
        regions.append(region)
    found: list[Box] = []
    for x0, y0, x1, y1 in regions:
        for b in verify_read(np.ascontiguousarray(view[y0:y1, x0:x1]), max_side):
            found.append(Box(b.x0 + x0, b.y0 + y0, b.x1 + x0, b.y1 + y0, b.text, b.conf))
    return found


MIN_CHARS = 2  # pass 2's reads of one letter or digit, or of symbols only, on a cleaned image are noise


def to_black_out(box: Box) -> bool:
    """Whether pass 2's box is text to black out: at least MIN_CHARS letters or digits, not an allowed annotation,
    and (a Tesseract word) read with confidence. Pass 2 reads speckle and the edges of blacked-out boxes as '~', '—'
    or a lone character; a string that short identifies nobody (identifier forms are matched on every read anyway)."""
    return (len(re.findall(r"[^\W_]", box.text)) >= MIN_CHARS and not allowed_text(box.text)
            and (box.conf is None or box.conf >= TESSERACT_CONF))


def clean_frames(frames: np.ndarray, rgb: np.ndarray | None = None,
                 needles: "Needles | None" = None, *, verify_max_side: int | None = None,
                 local_rounds: bool = False) -> OcrResult:
    """Find text in a (frames, rows, cols[, samples]) stack, black out what is not allowed, and read it again with
    the second engine. `needles` (from `identifier_needles`): identifier forms whose presence in pass 2's text is a
    leak (`OcrResult.leaks`, by kind).

    `rgb` is what OCR should look at when it differs from the stored values (palette colour images).
    `verify_max_side` caps pass 2's upscaling (large photos); with `local_rounds`, rounds after the first read again
    only around what the round before blacked out (the rest of the image is unchanged and was read whole).
    """
    result = OcrResult()
    look = frames if rgb is None else rgb
    for view in views(look):
        for box in read_text(view):
            (result.kept if allowed_text(box.text) else result.removed).append(box)
    boxes = result.removed
    for round_ in range(VERIFY_ROUNDS):
        blackout(frames, boxes)
        if rgb is not None:
            blackout(rgb, boxes)
        cleaned = views(frames if rgb is None else rgb)
        if local_rounds and round_ > 0:
            read = [box for view in cleaned for box in read_around(view, boxes, verify_max_side)]
        else:
            read = [box for view in cleaned for box in verify_read(view, verify_max_side)]
        if needles is not None:
            result.leaks = sorted(set(result.leaks) | set(needles.kinds_in(read)))
        boxes = [box for box in read if to_black_out(box)]
        result.read_again += boxes
        if not boxes:
            return result
        result.removed += boxes
    result.remaining = boxes
    return result


OCR_FOLD = str.maketrans("0il|", "o111")  # OCR's usual confusions: O/0, I/l/1


def _compact(text: str) -> str:
    from ..forms import fold

    return re.sub(r"[^0-9a-z]", "", fold(text))


@dataclass(frozen=True)
class Needles:
    """Compact, folded written forms of a subject's identifiers (letters and digits only), each with its kind."""

    texts: tuple[tuple[str, str], ...]
    digits: tuple[tuple[str, str], ...]

    def kinds_in(self, boxes: Iterable[Box]) -> list[str]:
        """Kinds of identifier whose forms appear in the boxes' text: in one box, or across boxes in reading order
        (a name whose words Tesseract reads as separate boxes)."""
        boxes = list(boxes)
        texts = [b.text for b in boxes] + [" ".join(b.text for b in boxes)]  # Tesseract's order is reading order
        kinds = set()
        for text in texts:
            compact = _compact(text)
            folded, digits = compact.translate(OCR_FOLD), re.sub(r"\D", "", text)
            kinds.update(kind for form, kind in self.texts
                         if form in compact or form.translate(OCR_FOLD) in folded)
            kinds.update(kind for form, kind in self.digits if form in digits)
        return sorted(kinds)


def identifier_needles(items: Iterable[tuple[str, str]]) -> Needles:
    """Needles for OCR text from (value, kind) identifiers (study kinds like 'name', part kinds like
    'dicom:PatientName'), with the written forms `deidflow.forms` builds (blocking forms only)."""
    from ..forms import MIN_TOKEN, base_kind, forms

    texts, digits = set(), set()
    for value, kind in items:
        for form in forms(value, kind):
            if not form.blocking:
                continue
            if form.digits:
                digits.add((form.text, base_kind(kind)))
            elif len(compact := _compact(form.text)) >= MIN_TOKEN:
                texts.add((compact, base_kind(kind)))
    return Needles(tuple(sorted(texts)), tuple(sorted(digits)))

