"""The per-subject McAdams coefficient: keyed by the pseudonym key, so only the key holder can tell it."""

from __future__ import annotations

import hashlib
import hmac

from ..pseudonyms import derive_key

PURPOSE = "audio-mcadams"


def mcadams_alpha(key: bytes, pseudonym: str, low: float, high: float) -> float:
    """A coefficient in [low, high] from HMAC(key, pseudonym): the same subject always gets the same voice change,
    two subjects almost surely different ones. Never written to the release, the report or provenance."""
    digest = hmac.new(derive_key(key, PURPOSE), pseudonym.encode("utf-8"), hashlib.sha256).digest()
    fraction = int.from_bytes(digest[:8], "big") / 2 ** 64
    return low + (high - low) * fraction
