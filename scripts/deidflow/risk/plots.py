"""Small SVG plots for the risk report (matplotlib, rendered to an inline SVG string; no files, no fonts fetched)."""

from __future__ import annotations

import io
from typing import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

plt.rcParams["svg.hashsalt"] = "deidflow"  # stable element ids, so reports of identical runs are identical
plt.rcParams["svg.fonttype"] = "none"


def _svg(fig) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": "deidflow"})
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def bar_chart_svg(labels: Sequence[str], values: Sequence[float], title: str, xlabel: str = "") -> str:
    """A horizontal bar chart as an SVG string."""
    fig, ax = plt.subplots(figsize=(5.5, 0.35 * max(len(labels), 2) + 0.8))
    ax.barh(list(labels), list(values), color="#4c72b0")
    ax.invert_yaxis()
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return _svg(fig)


def histogram_svg(values: Sequence[float], title: str, xlabel: str, bins: int | Sequence[float] = 20,
                  threshold: float | None = None) -> str:
    """A histogram as an SVG string, with an optional threshold line."""
    fig, ax = plt.subplots(figsize=(5.5, 3))
    ax.hist(list(values), bins=bins, color="#4c72b0", edgecolor="white")
    if threshold is not None:
        ax.axvline(threshold, color="#b00020", linestyle="--", label=f"threshold {threshold:g}")
        ax.legend(frameon=False)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("count")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return _svg(fig)
