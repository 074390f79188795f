"""The `eeg:` config section as a typed object (defaults match workflow/schemas/eeg.schema.yaml)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from ..sections import known_keys

# Event and annotation descriptions that are markers, not free text: kept as they are.
DEFAULT_MARKERS = (
    r"(?:(?:Stimulus|Response|Trigger|Marker|Toggle|Comment)\s*/\s*)?[SRT]?\s*\d{1,5}",
    r"boundary|New Segment|Bad Interval|DC Correction|SyncStatus|Sync On|Time 0|Impedance|EDGE\b.*|BAD_?\w*",
    r"\d+(?:\.\d+)?",
)


@dataclass(frozen=True)
class EegConfig:
    """How recordings and their sidecars are de-identified."""

    dates: str = "shift"  # shift: measurement dates moved by the subject's date shift; remove: no date released
    head_shape: str = "drop"  # drop: digitized head-shape points removed from FIF/EEGLAB (they outline the face)
    clean_text: bool = True  # annotations, descriptions and free-text sidecar values through the transcript recognizers
    markers: tuple[str, ...] = field(default_factory=lambda: DEFAULT_MARKERS)

    @classmethod
    def from_config(cls, section: Mapping[str, Any] | None) -> "EegConfig":
        section = known_keys(cls, section, "eeg")
        if "markers" in section:
            section["markers"] = tuple(section["markers"])
        cfg = cls(**section)
        if cfg.dates not in ("shift", "remove"):
            raise ValueError(f"config eeg.dates: {cfg.dates!r} is not 'shift' or 'remove'")
        if cfg.head_shape not in ("drop", "keep"):
            raise ValueError(f"config eeg.head_shape: {cfg.head_shape!r} is not 'drop' or 'keep'")
        for pattern in cfg.markers:
            try:
                re.compile(pattern)
            except re.error as err:
                raise ValueError(f"config eeg.markers: {pattern!r} is not a regular expression ({err})") from None
        return cfg

    def marker(self) -> re.Pattern[str]:
        return re.compile("|".join(f"(?:{p})" for p in self.markers), re.I)
