"""The synthetic twin's card: what was made, how, and the privacy budget it really spent."""

from __future__ import annotations

import importlib.metadata
import platform
from typing import Any

PACKAGES = ("twinify", "jax", "jaxlib", "numpyro", "d3p", "numpy", "pandas", "anonymeter")


def versions() -> dict[str, str]:
    """Versions of the packages that made the twin (those installed in this environment)."""
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return found


def make_card(*, method: str, budget: dict[str, Any], queries: list[list[str]] | None, seed: int, rows: int,
              training_rows: int, columns: list[str], skipped: list[dict[str, str]], encoding: dict[str, Any],
              details: dict[str, Any]) -> dict[str, Any]:
    """The JSON card released beside the twin (no data values, only structure and accounting)."""
    return {
        "method": {"napsu": "NAPSU-MQ", "dpvi": "DPVI"}[method],
        "epsilon": budget["epsilon"],
        "delta": budget["delta"],
        "budget": budget,
        "queries": queries,
        "seed": seed,
        "rows": rows,
        "training_rows": training_rows,
        "columns": columns,
        "skipped_columns": skipped,
        "encoding": encoding,
        "details": details,
        "versions": versions(),
        "note": "Differential privacy covers the training split only; the held-out control split is never used "
                "for fitting and serves the anonymeter attacks.",
    }
