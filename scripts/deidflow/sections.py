"""Typed config sections: a section's keys checked against the dataclass that holds it."""

from __future__ import annotations

from typing import Any, Mapping


def known_keys(cls: type, section: Mapping[str, Any] | None, where: str) -> dict[str, Any]:
    """The section as a dict, or a ValueError naming the section (`where`) and every key `cls` does not declare."""
    section = dict(section or {})
    unknown = set(section) - set(cls.__dataclass_fields__)
    if unknown:
        raise ValueError(f"{where}: unknown config keys {sorted(unknown)}")
    return section
