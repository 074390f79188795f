"""Step switches (`steps:` in the config): which steps run, and which input kinds are withheld because their step is
off. A step that is off needs no environment of its own; its inputs are listed in the report as withheld."""

from __future__ import annotations

from typing import Any, Mapping

# step -> the input kinds only it de-identifies (a kind whose step is off is withheld with that reason)
STEP_KINDS: dict[str, tuple[str, ...]] = {
    "dicom": ("dicom",),  # DICOM scrub (part dicom) and, with mri on, conversion to NIfTI (part nifti)
    "mri": ("nifti",),  # NIfTI sidecar scrub and defacing (part nifti)
    "photo": ("photo",),
    "video": ("video",),
    "transcript": ("transcript",),
    "scans": ("scans",),
    "tables": ("table",),
    "eeg": ("eeg",),
    "synth": (),
    "risk_tables": (),
    "risk_synthetic": (),
}
STEP_KINDS["documents"] = ("document",)  # .docx/.odt/.rtf/.pdf (part document)
STEP_KINDS["audio"] = ("audio",)  # voice recordings (issue 19)
# step -> the steps it needs (a step whose requirement is off is off too)
REQUIRES: dict[str, tuple[str, ...]] = {
    "synth": ("tables",),
    "risk_tables": ("tables",),
    "risk_synthetic": ("synth",),
}
# part (docs/contracts.md) -> the step that makes it
PART_STEP: dict[str, str] = {
    "dicom": "dicom",
    "nifti": "mri",
    "photo": "photo",
    "video": "video",
    "transcript": "transcript",
    "scans": "scans",
    "eeg": "eeg",
    "tables": "tables",
    "synth": "synth",
}
PART_STEP["document"] = "documents"
PART_STEP["audio"] = "audio"
PART_STEP["audio_transcript"] = "audio"
# global risk section -> the step that computes it (None: always on)
SECTION_STEP: dict[str, str | None] = {
    "inventory": None,
    "leaks": None,
    "tables": "risk_tables",
    "synthetic": "risk_synthetic",
}


class StepError(ValueError):
    """The `steps:` section names an unknown step or a value that is not on/off."""


def enabled_steps(config: Mapping[str, Any]) -> dict[str, bool]:
    """Every step's switch (default on), with steps whose requirement is off turned off."""
    given = config.get("steps") or {}
    unknown = sorted(set(given) - set(STEP_KINDS))
    if unknown:
        raise StepError(f"steps.{unknown[0]}: unknown step; the steps are {', '.join(STEP_KINDS)}")
    steps = {}
    for name in STEP_KINDS:
        value = given.get(name, True)
        if not isinstance(value, bool):
            raise StepError(f"steps.{name}: {value!r} is not true or false")
        steps[name] = value
    changed = True
    while changed:
        changed = False
        for name, needs in REQUIRES.items():
            if steps[name] and not all(steps[n] for n in needs):
                steps[name] = False
                changed = True
    return steps


def off_reason(step: str, config: Mapping[str, Any]) -> str:
    """Why a step is off: its own switch, or the step it needs."""
    given = config.get("steps") or {}
    if given.get(step, True) is False:
        return f"step {step} is off (steps.{step}: false)"
    for need in REQUIRES.get(step, ()):
        if not enabled_steps(config)[need]:
            return f"step {step} is off because step {need} is off ({off_reason(need, config)})"
    return f"step {step} is off"


def withheld_kinds(config: Mapping[str, Any]) -> dict[str, str]:
    """{input kind: reason} for the kinds whose step is off."""
    steps = enabled_steps(config)
    out = {}
    for step, kinds in STEP_KINDS.items():
        if not steps[step]:
            for kind in kinds:
                out[kind] = off_reason(step, config)
    return out


def enabled_parts(parts: Mapping[str, tuple[str, ...]], config: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """The parts whose step is on, each with only the input kinds that are not withheld."""
    steps = enabled_steps(config)
    off = withheld_kinds(config)
    out = {}
    for part, kinds in parts.items():
        step = PART_STEP.get(part)
        if step is not None and not steps[step]:
            continue
        kept = tuple(k for k in kinds if k not in off)
        if kinds and not kept:
            continue
        out[part] = kept
    return out


def enabled_sections(sections: list[str], config: Mapping[str, Any]) -> list[str]:
    """The global risk sections whose step is on."""
    steps = enabled_steps(config)
    return [s for s in sections if SECTION_STEP.get(s) is None or steps[SECTION_STEP[s]]]
