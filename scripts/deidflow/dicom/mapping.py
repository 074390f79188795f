"""The series-to-BIDS mapping (config `dicom.bids_mapping`), shared by the scrub (which keeps face-bearing series
out of the DICOM part) and the conversion (which names the NIfTI)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping


@dataclass(frozen=True)
class SeriesRule:
    """One series-to-BIDS rule: a regex on SeriesDescription/ProtocolName and the BIDS datatype and suffix."""

    match: str
    datatype: str
    suffix: str
    acq: str | None = None


def series_rules(cfg: Mapping[str, Any]) -> list[SeriesRule]:
    """The configured rules, in order."""
    return [SeriesRule(**r) for r in cfg.get("bids_mapping", [])]


def series_description(ds: Any) -> str:
    """The text the rules match: SeriesDescription, else ProtocolName."""
    return str(ds.get("SeriesDescription", "") or ds.get("ProtocolName", ""))


def map_series(description: str, rules: Iterable[SeriesRule]) -> SeriesRule | None:
    """The first mapping rule whose regex matches the series description, or None (the series is withheld)."""
    for rule in rules:
        if re.search(rule.match, description):
            return rule
    return None
