"""Utility metrics of a released table: loss metric, discernibility, precision and the normalised average
equivalence-class size.

The loss metric is the one the ADULT benchmark compares tools on: per quasi-identifier cell, (leaves under the released
value - 1) / (leaves in the hierarchy - 1); a suppressed cell counts 1; the figure is the mean over all cells."""

from __future__ import annotations

import numpy as np


def discernibility(counts: np.ndarray, suppressed: int, n: int) -> float:
    """Sum of squared class sizes, plus n for each suppressed record (Bayardo and Agrawal)."""
    return float((np.asarray(counts, dtype=np.float64) ** 2).sum() + suppressed * n)


def average_class_size(counts: np.ndarray, k: int) -> float | None:
    """C_avg = released records / (classes x k) (LeFevre et al.); 1 is ideal."""
    counts = np.asarray(counts)
    return float(counts.sum() / (len(counts) * k)) if len(counts) else None


def utility(counts: np.ndarray, suppressed: int, n: int, k: int, loss: float | None, precision: float | None
            ) -> dict[str, float | int | None]:
    """The utility figures the summary and the risk report carry."""
    return {"loss": loss, "precision": precision, "discernibility": discernibility(counts, suppressed, n),
            "average_class_size": average_class_size(counts, k), "classes": int(len(counts)),
            "suppressed_rows": int(suppressed)}
