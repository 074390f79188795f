"""Safety measures of a defacing: brain voxels removed, registration quality (NMI), and the bounds that gate them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def nmi(a: np.ndarray, b: np.ndarray, region: np.ndarray | None = None, bins: int = 32) -> float:
    """Normalized mutual information (H(A)+H(B))/H(A,B) over `region`: 1 = independent, 2 = identical."""
    if region is not None:
        a, b = a[region], b[region]
    a, b = np.ravel(a).astype(float), np.ravel(b).astype(float)
    if a.size < bins or np.ptp(a) == 0 or np.ptp(b) == 0:
        return 1.0
    joint, _, _ = np.histogram2d(a, b, bins=bins)
    pxy = joint / joint.sum()
    px, py = pxy.sum(axis=1), pxy.sum(axis=0)

    def entropy(p: np.ndarray) -> float:
        p = p[p > 0]
        return float(-(p * np.log(p)).sum())

    hxy = entropy(pxy.ravel())
    return float((entropy(px) + entropy(py)) / hxy) if hxy > 0 else 1.0


def brain_loss(face: np.ndarray, brain: np.ndarray) -> float:
    """Fraction of brain voxels that the face mask would zero."""
    total = int(brain.sum())
    return float((face & brain).sum() / total) if total else 1.0


@dataclass(frozen=True)
class Bounds:
    """Limits an image must meet to be released defaced; anything else is withheld."""

    max_brain_loss: float = 0.01
    min_nmi: float = 1.1
    scale_range: tuple[float, float] = (0.6, 1.6)
    min_brain_fraction: float = 0.5  # share of the warped brain mask inside the scan's field of view


def violations(metrics: dict, bounds: Bounds) -> list[str]:
    """Why an image fails the bounds (empty when it passes); each reason names the measure and the bound."""
    reasons = []
    if metrics["nmi"] < bounds.min_nmi:
        reasons.append(f"registration quality too low (NMI {metrics['nmi']:.3f} < {bounds.min_nmi}): "
                       "not a head, or the template did not align")
    low, high = bounds.scale_range
    if not (low <= metrics["scale_min"] and metrics["scale_max"] <= high):
        reasons.append(f"implausible registration scale ({metrics['scale_min']:.2f}-{metrics['scale_max']:.2f} "
                       f"outside {low}-{high})")
    if metrics["brain_loss"] > bounds.max_brain_loss:
        reasons.append(f"defacing would remove {metrics['brain_loss']:.2%} of brain voxels "
                       f"(bound {bounds.max_brain_loss:.2%})")
    if metrics.get("brain_fraction_in_view", 1.0) < bounds.min_brain_fraction:
        reasons.append(f"only {metrics['brain_fraction_in_view']:.0%} of the template brain falls in the field of view")
    return reasons
