"""Which DICOM series may show a face: decided from the content (modality, body part, anatomic region, descriptions,
geometry), never from a name alone. A name can only add suspicion, never remove it.

A CT, MR, PT or NM image series is a *head volume* when nothing in it places it away from the head (its body part,
anatomic region and descriptions point at the head or neck, at the whole body, or say nothing) and its extent could
hold a face (at least `min_extent_mm` in every axis: a 3-D volume or a stack covering several centimetres). Head
volumes never leave as scrubbed DICOM; head localizers and scouts are withheld everywhere.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Sequence

import numpy as np

VOLUME_MODALITIES = frozenset({"CT", "MR", "PT", "NM"})
MIN_EXTENT_MM = 30.0  # default of dicom.head_min_extent_mm
HEAD_WORDS = re.compile(
    r"(?i)head|brain|skull|crani|cephal|neuro|neck|face|facial|orbit|sinus|sella|pituit|\btmj\b|\biac\b|inner ?ear|"
    r"temporal bone|mandib|maxill|jaw|nasal|nose|dental|c-?spine|cervical|whole ?body|entire ?body|\bwb\b|total ?body|"
    r"circle of willis|\bcow\b|angio.*(head|brain|neck)|carotid|stroke|hippocamp|mprage|spgr|bravo|mp2rage|flair")
LOCALIZER_WORDS = re.compile(
    r"(?i)locali[sz]er|scout|survey|scanogram|topogram|surview|aahead|aa_?scout|3[- ]?plane|tri-?pilot|pilot")
# Body parts that place a series away from the head (DICOM PS3.16 Annex L defined terms and common free text).
ELSEWHERE_WORDS = re.compile(
    r"(?i)chest|thorax|lung|heart|cardiac|breast|abdomen|abd|liver|kidney|pancreas|pelvis|prostate|bladder|uterus|"
    r"hip|knee|ankle|foot|feet|shoulder|elbow|wrist|hand|arm|leg|femur|tibia|extremit|lspine|l-spine|lumbar|tspine|"
    r"t-spine|thoracic|sacrum|spleen|colon|rectum")


def region_texts(ds: Any) -> list[str]:
    """What a dataset says about the body region: BodyPartExamined, AnatomicRegionSequence code meanings."""
    texts = [str(ds.get("BodyPartExamined", "") or "")]
    for item in ds.get("AnatomicRegionSequence", []) or []:
        texts.append(str(item.get("CodeMeaning", "") or ""))
    return [t for t in texts if t.strip()]


def description_texts(ds: Any) -> list[str]:
    """The free-text descriptions that may name a region: series, protocol, study and procedure descriptions."""
    keys = ("SeriesDescription", "ProtocolName", "StudyDescription", "PerformedProcedureStepDescription",
            "RequestedProcedureDescription")
    return [str(ds.get(k, "") or "") for k in keys if str(ds.get(k, "") or "").strip()]


def is_localizer(ds: Any) -> bool:
    """A localizer/scout image: ImageType says LOCALIZER, or a description says localizer, scout, survey, pilot."""
    image_type = [str(v).upper() for v in (ds.get("ImageType", []) or [])]
    return "LOCALIZER" in image_type or any(LOCALIZER_WORDS.search(t) for t in description_texts(ds))


def region_of(ds: Any) -> str:
    """'head' when region or descriptions point at the head/neck (or the whole body), 'elsewhere' when the body part
    or anatomic region names another region and nothing points at the head, 'unknown' otherwise."""
    regions, descriptions = region_texts(ds), description_texts(ds)
    if any(HEAD_WORDS.search(t) for t in regions + descriptions):
        return "head"
    if regions and all(ELSEWHERE_WORDS.search(t) for t in regions):
        return "elsewhere"
    return "unknown"


def _floats(value: Any) -> list[float] | None:
    try:
        return [float(v) for v in value]
    except (TypeError, ValueError):
        return None


def series_extent_mm(datasets: Sequence[Any]) -> tuple[float, float, float] | None:
    """The extent (mm) of a series in its rows, columns and through-plane directions; None when the geometry is
    missing (which then counts as 'could hold a face')."""
    first = datasets[0]
    spacing = _floats(first.get("PixelSpacing")) or _floats(first.get("ImagerPixelSpacing"))
    rows, cols = int(first.get("Rows", 0) or 0), int(first.get("Columns", 0) or 0)
    if not spacing or len(spacing) < 2 or not rows or not cols:
        return None
    thickness = float(first.get("SpacingBetweenSlices", 0) or first.get("SliceThickness", 0) or 0)
    frames = int(first.get("NumberOfFrames", 1) or 1)
    positions = [p for p in (_floats(ds.get("ImagePositionPatient")) for ds in datasets) if p and len(p) == 3]
    orientation = _floats(first.get("ImageOrientationPatient"))
    through = thickness * max(frames, 1)
    if len(positions) > 1 and orientation and len(orientation) == 6:
        normal = np.cross(orientation[:3], orientation[3:])
        depths = np.asarray(positions) @ normal
        through = max(through, float(np.ptp(depths)) + thickness)
    elif len(datasets) > 1:
        through = max(through, thickness * len(datasets))
    return rows * spacing[0], cols * spacing[1], through


def head_volume_reason(datasets: Sequence[Any], min_extent_mm: float = MIN_EXTENT_MM) -> str | None:
    """Why a series may show a face (a head volume or a head localizer), or None when its content rules it out."""
    first = datasets[0]
    modality = str(first.get("Modality", "") or "").upper()
    if modality not in VOLUME_MODALITIES:
        return None
    region = region_of(first)
    if region == "elsewhere":
        return None
    where = "points at the head" if region == "head" else "names no body region"
    if is_localizer(first):
        return f"{modality} head localizer/scout (its region {where}): withheld"
    extent = series_extent_mm(datasets)
    if region == "head" and extent is not None and min(extent) < min_extent_mm:
        return (f"{modality} series whose description or body part points at the head: withheld (a name never "
                "marks a head series safe)")
    if extent is None or min(extent) >= min_extent_mm:
        size = "unknown extent" if extent is None else "extent " + " x ".join(f"{e:.0f}" for e in extent) + " mm"
        return (f"{modality} head volume ({size}; its region {where}): its pixels can show the face, so it leaves "
                "only as defaced NIfTI")
    return None
