"""Consistent UID remapping: the same original UID gives the same new UID across series, subjects and reruns."""

from __future__ import annotations

import hashlib
import hmac
import re

DEFAULT_ROOT = "2.25"
_UID = re.compile(r"^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$")


class UIDError(ValueError):
    """A UID root that cannot make valid UIDs."""


def check_root(root: str) -> str:
    """Return the root if it is a valid UID prefix that leaves room for a 20-digit suffix, else raise."""
    root = root.rstrip(".")
    if not _UID.match(root) or len(root) > 64 - 21:
        raise UIDError(f"dicom.uid_root {root!r} is not a valid UID root (digits and dots, at most 43 characters)")
    return root


class UIDMapper:
    """Keyed HMAC-SHA256 of the original UID under the study's UID sub-key, written under a root (2.25 by default)."""

    def __init__(self, key: bytes, root: str = DEFAULT_ROOT):
        self.key = key
        self.root = check_root(root)
        self.room = 64 - len(self.root) - 1
        self.cache: dict[str, str] = {}

    def __call__(self, uid: str) -> str:
        """The new UID for an original one (at most 64 characters, no leading zeros)."""
        uid = str(uid).strip().rstrip("\x00")
        if not uid:
            return uid
        new = self.cache.get(uid)
        if new is None:
            digest = hmac.new(self.key, uid.encode(), hashlib.sha256).digest()
            number = int.from_bytes(digest[:16], "big")  # 128 bits, as 2.25 UUID-derived UIDs (ISO/IEC 9834-8)
            text = str(number)[: self.room].lstrip("0") or "1"
            new = self.cache[uid] = f"{self.root}.{text}"
        return new
