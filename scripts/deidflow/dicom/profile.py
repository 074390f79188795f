"""The PS3.15 Annex E confidentiality profile (Table E.1-1) as data, resolved to one action per tag and IOD."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Mapping

DATA = Path(__file__).with_name("data")
TABLE = DATA / "ps3.15_table_e1-1.csv"
EDITION = "DICOM PS3.15 2026c (basic profile), option columns from 2024b"

# The profile options deidflow can apply: config name -> (table column, CID 7050 code, code meaning).
OPTIONS: dict[str, tuple[str, str, str]] = {
    "retain_safe_private": ("rtnSafePrivOpt", "113111", "Retain Safe Private Option"),
    "retain_uids": ("rtnUIDsOpt", "113110", "Retain UIDs Option"),
    "retain_device_identity": ("rtnDevIdOpt", "113109", "Retain Device Identity Option"),
    "retain_institution_identity": ("rtnInstIdOpt", "113112", "Retain Institution Identity Option"),
    "retain_patient_characteristics": ("rtnPatCharsOpt", "113108", "Retain Patient Characteristics Option"),
    "retain_longitudinal_modified_dates": (
        "rtnLongModifDatesOpt",
        "113107",
        "Retain Longitudinal Temporal Information Modified Dates Option",
    ),
    "clean_descriptors": ("cleanDescOpt", "113105", "Clean Descriptors Option"),
    "clean_structured_content": ("cleanStructContOpt", "113104", "Clean Structured Content Option"),
}
BASIC_CODE = ("113100", "Basic Application Confidentiality Profile")

# SOP classes of the multi-frame "enhanced" IODs (Enhanced General Equipment, Type 1 device/institution).
ENHANCED_SOP_CLASSES = frozenset(
    {
        "1.2.840.10008.5.1.4.1.1.2.1",  # Enhanced CT
        "1.2.840.10008.5.1.4.1.1.4.1",  # Enhanced MR
        "1.2.840.10008.5.1.4.1.1.4.3",  # Enhanced MR Color
        "1.2.840.10008.5.1.4.1.1.130",  # Enhanced PET
        "1.2.840.10008.5.1.4.1.1.4.2",  # MR Spectroscopy
    }
)
SIMPLE_ACTIONS = frozenset("DZXKCU")


class ProfileError(ValueError):
    """The profile table or the selected options are inconsistent."""


@dataclass(frozen=True)
class Rule:
    """One row of Table E.1-1: the basic action and the action each option substitutes."""

    tag: int | None  # None for the repeating groups and the private-attribute row
    keyword: str
    basic: str
    options: Mapping[str, str] = field(default_factory=dict)  # table column -> action


@dataclass(frozen=True)
class Profile:
    """The table, the selected options and the IOD types used to resolve combined codes."""

    rules: Mapping[int, Rule]
    options: frozenset[str]
    iod_types: Mapping[str, Mapping[str, int]]
    special: Mapping[str, Rule]  # CurveData*, OverlayData*, OverlayComments*, PrivateAttributes

    def __post_init__(self) -> None:
        object.__setattr__(self, "_cache", {})

    def action(self, tag: int, sop_class_uid: str = "") -> str | None:
        """The resolved single action (D, Z, X, K, C, U) for a tag in an IOD, or None when the table does not list it."""
        return self.resolved(iod_family(sop_class_uid)).get(tag)

    def resolved(self, family: str) -> Mapping[int, str]:
        """{tag: action} for every listed tag in an IOD family (computed once per profile and family)."""
        cache = self._cache  # type: ignore[attr-defined]
        if family not in cache:
            cache[family] = {tag: self._resolve(tag, family) for tag in self.rules}
        return cache[family]

    def _resolve(self, tag: int, family: str) -> str | None:
        rule = self.rules.get(tag)
        if rule is None:
            return None
        for name in sorted(self.options):
            option_action = rule.options.get(OPTIONS[name][0])
            if option_action:
                return option_action
        action = resolve(rule.basic, self.iod_types.get(family, {}).get(rule.keyword))
        if action == "U" and "retain_uids" in self.options:
            return "K"  # rows the option column misses (e.g. UID (0040,A124)) are UIDs all the same
        return action

    def codes(self) -> list[tuple[str, str]]:
        """The CID 7050 codes for De-identification Method Code Sequence: basic profile plus applied options."""
        return [BASIC_CODE] + [(OPTIONS[n][1], OPTIONS[n][2]) for n in sorted(self.options, key=lambda n: OPTIONS[n][1])]


def iod_family(sop_class_uid: str) -> str:
    """Which IOD family's attribute types apply to a SOP class."""
    return "enhanced" if str(sop_class_uid) in ENHANCED_SOP_CLASSES else "default"


def resolve(code: str, iod_type: int | None) -> str:
    """Resolve a combined code (X/Z, X/D, Z/D, X/Z/D, X/Z/U*) by the attribute's Type in the IOD (PS3.15 E.1.1)."""
    if code in SIMPLE_ACTIONS:
        return code
    choices = code.replace("*", "").split("/")
    if "U" in choices:
        return "U"  # sequences of references: keep the references, remap their UIDs
    wanted = {1: "D", 2: "Z", 3: "X"}.get(iod_type or 0)
    order = ["X", "Z", "D"]
    if wanted is not None:
        # the weakest listed action that is at least as strong as the Type requires
        for action in order[order.index(wanted):]:
            if action in choices:
                return action
    # Type unknown for this IOD: a choice that is conformant whatever the Type (a dummy value, else empty)
    return "D" if "D" in choices else "Z"


def _parse_tag(text: str) -> int | None:
    group, element = text.strip("()").split(",")
    if "X" in group.upper() or "X" in element.upper() or group.upper() == "GGGG":
        return None
    return int(group, 16) << 16 | int(element, 16)


@lru_cache(maxsize=None)
def _load_rows() -> tuple[dict[int, Rule], dict[str, Rule]]:
    option_columns = [column for column, _, _ in OPTIONS.values()] + [
        "rtnLongFullDatesOpt",
        "cleanStructContOpt",
        "cleanGraphOpt",
    ]
    extra: dict[str, dict[str, str]] = {}
    with open(DATA / "options_2026c.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            extra.setdefault(row["keyword"], {})[row["option"]] = row["action"]
    rules: dict[int, Rule] = {}
    special: dict[str, Rule] = {}
    with open(TABLE, newline="") as fh:
        for row in csv.DictReader(fh):
            code = row["basic_profile_action"].strip()
            if not code or not set(code.replace("/", "").replace("*", "")) <= SIMPLE_ACTIONS:
                raise ProfileError(f"{TABLE}: unknown action {code!r} for {row['keyword']}")
            options = {c: row[c].strip() for c in option_columns if row.get(c, "").strip()}
            options.update(extra.get(row["keyword"], {}))
            tag = _parse_tag(row["tag"])
            rule = Rule(tag, row["keyword"], code, options)
            if tag is None:
                special[row["keyword"].rstrip("*")] = rule
            else:
                rules[tag] = rule
    return rules, special


@lru_cache(maxsize=None)
def _load_iod_types() -> dict[str, dict[str, int]]:
    types: dict[str, dict[str, int]] = {}
    with open(DATA / "iod_types.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            types.setdefault(row["iod"], {})[row["keyword"]] = int(row["type"])
    return types


def load_profile(options: Mapping[str, bool] | None = None) -> Profile:
    """Load Table E.1-1 with the profile options that are switched on (names as in OPTIONS)."""
    selected = frozenset(name for name, on in (options or {}).items() if on)
    unknown = selected - set(OPTIONS)
    if unknown:
        raise ProfileError(f"unknown DICOM profile option(s) {sorted(unknown)}; known: {sorted(OPTIONS)}")
    rules, special = _load_rows()
    return Profile(rules=rules, options=selected, iod_types=_load_iod_types(), special=special)
