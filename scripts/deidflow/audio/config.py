"""The audio section of the config as a typed object (defaults match workflow/schemas/audio.schema.yaml)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

ACTIONS = ("drop", "anonymize", "keep")
LOSSY_AS = ("flac", "wav")


@dataclass(frozen=True)
class AudioConfig:
    """What happens to voices: standalone recordings and video soundtracks, and the McAdams settings."""

    standalone: str = "anonymize"
    video_soundtrack: str = "drop"
    mcadams_min: float = 0.75
    mcadams_max: float = 0.90
    window_ms: float = 20.0
    shift_ms: float = 10.0
    lpc_order: int = 20
    lossy_as: str = "flac"
    transcribe: bool = False

    @classmethod
    def from_config(cls, section: Mapping[str, Any] | None) -> "AudioConfig":
        """Build from `config["audio"]` (missing keys take defaults); a clear error naming the key when wrong."""
        section = dict(section or {})
        low, high = section.pop("mcadams_range", (cls.mcadams_min, cls.mcadams_max))
        known = {k: v for k, v in section.items() if k in cls.__dataclass_fields__}
        cfg = cls(**known, mcadams_min=float(low), mcadams_max=float(high))
        for key in ("standalone", "video_soundtrack"):
            if getattr(cfg, key) not in ACTIONS:
                raise ValueError(f"config audio.{key}: {getattr(cfg, key)!r} is not one of {', '.join(ACTIONS)}")
        if not 0.5 <= cfg.mcadams_min <= cfg.mcadams_max < 1.0:
            raise ValueError(f"config audio.mcadams_range: [{low}, {high}] must satisfy 0.5 <= low <= high < 1 "
                             "(1 leaves the voice unchanged)")
        if cfg.lossy_as not in LOSSY_AS:
            raise ValueError(f"config audio.lossy_as: {cfg.lossy_as!r} is not one of {', '.join(LOSSY_AS)}")
        if not 0 < cfg.shift_ms <= cfg.window_ms:
            raise ValueError("config audio.shift_ms must be above 0 and at most audio.window_ms")
        return cfg

    @property
    def options(self) -> dict[str, Any]:
        """Keyword options of `mcadams.anonymize`."""
        return {"win_ms": self.window_ms, "shift_ms": self.shift_ms, "order": self.lpc_order}
