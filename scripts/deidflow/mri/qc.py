"""Visual QC of a defacing: mid-slices in three views and front/side surface renderings, before and after."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nibabel as nib  # noqa: E402
import numpy as np  # noqa: E402

VIEWS = ("sagittal", "coronal", "axial", "surface, front", "surface, side")


def to_ras(data: np.ndarray, affine: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The volume reordered to RAS voxel axes, and its voxel sizes in that order."""
    ornt = nib.orientations.io_orientation(affine)
    ras = nib.orientations.apply_orientation(data, ornt)
    zooms = np.sqrt((affine[:3, :3] ** 2).sum(axis=0))[ornt[:, 0].astype(int).argsort()]
    return ras, zooms


def surface(volume: np.ndarray, level: float, axis: int) -> np.ndarray:
    """Depth-shaded thresholded surface seen from the high end of `axis` (bright = near the viewer, 0 = no hit)."""
    inside = np.flip(volume > level, axis=axis)
    depth = np.argmax(inside, axis=axis).astype(np.float32)
    shade = 1.0 - depth / volume.shape[axis]
    return np.where(inside.any(axis=axis), 0.25 + 0.75 * shade**2, 0.0)


def views(volume: np.ndarray, zooms: np.ndarray, level: float) -> list[tuple[np.ndarray, float]]:
    """Five 2-D panels (superior up) with pixel aspect ratios: three mid-slices, the surface from front and right."""
    x, y, z = (n // 2 for n in volume.shape)
    zx, zy, zz = zooms
    return [
        (volume[x, :, :].T, zz / zy),
        (volume[:, y, :].T, zz / zx),
        (volume[:, :, z].T, zy / zx),
        (surface(volume, level, 1).T, zz / zx),
        (surface(volume, level, 0).T, zz / zy),
    ]


def montage_png(before: np.ndarray, after: np.ndarray, face: np.ndarray, affine: np.ndarray,
                height_px: int = 256) -> bytes:
    """A PNG of the views before (face mask outlined in red) and after; `height_px` tall."""
    b, zooms = to_ras(before, affine)
    a, _ = to_ras(after, affine)
    f, _ = to_ras(face.astype(np.float32), affine)
    top = float(np.percentile(b, 99.5)) or 1.0
    dpi = 64
    fig, axes = plt.subplots(2, len(VIEWS), figsize=(len(VIEWS) * height_px / 2 / dpi, height_px / dpi), dpi=dpi)
    level = 0.2 * top  # skin: above background and noise
    mask_views = views(f, zooms, 0.5)
    for row, volume in enumerate((b, a)):
        for col, ((panel, aspect), (mask, _)) in enumerate(zip(views(volume, zooms, level), mask_views)):
            ax = axes[row, col]
            vmax = top if col < 3 else 1.0
            ax.imshow(panel, cmap="gray", origin="lower", aspect=aspect, vmin=0, vmax=vmax, interpolation="nearest")
            if row == 0 and mask.any():
                ax.contour(mask > 0.5, levels=[0.5], colors="red", linewidths=0.8)
            ax.set_axis_off()
            if row == 0:
                ax.set_title(VIEWS[col], fontsize=7)
    fig.subplots_adjust(left=0, right=1, bottom=0, top=0.92, wspace=0.02, hspace=0.02)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def montage_base64(before: np.ndarray, after: np.ndarray, face: np.ndarray, affine: np.ndarray,
                   height_px: int = 256) -> str:
    """`montage_png` as base64 text for a risk-section figure."""
    return base64.b64encode(montage_png(before, after, face, affine, height_px)).decode("ascii")
