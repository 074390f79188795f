"""Analyse long texts in overlapping windows so that an entity crossing a window edge is still found whole."""

from __future__ import annotations

from typing import Callable, Sequence

from presidio_analyzer import RecognizerResult


def windows(length: int, size: int, overlap: int, text: str | None = None) -> list[tuple[int, int]]:
    """[start, end) windows of at most `size` characters, each overlapping the previous by about `overlap`."""
    if size <= 2 * overlap:
        raise ValueError(f"text.chunk_chars ({size}) must be more than twice text.chunk_overlap ({overlap})")
    out, start = [], 0
    while True:
        end = min(start + size, length)
        if end < length and text is not None:
            cut = text.rfind("\n", start + overlap + 1, end)
            if cut == -1:
                cut = text.rfind(" ", start + overlap + 1, end)
            end = cut + 1 if cut != -1 else end
        out.append((start, end))
        if end >= length:
            return out
        start = max(end - overlap, start + 1)


# A pattern that matched a specific format names the entity better than the model's generic label (a ZIP code the
# model calls a DATE is replaced as a postcode).
SPECIFIC = {"POSTCODE", "STREET_ADDRESS", "ID", "EMAIL_ADDRESS", "PHONE_NUMBER", "US_SSN", "URL", "IP_ADDRESS"}


def _rank(r: RecognizerResult) -> tuple[bool, float]:
    return r.entity_type in SPECIFIC, r.score


def resolve(results: Sequence[RecognizerResult]) -> list[RecognizerResult]:
    """Non-overlapping results: overlapping spans merge into their union (nothing partly found stays half
    visible), typed by the highest-ranking member (specific pattern types first, then score)."""
    merged: list[RecognizerResult] = []
    for r in sorted(results, key=lambda r: (r.start, -r.end)):
        if merged and r.start < merged[-1].end:
            last = merged[-1]
            best = last if _rank(last) >= _rank(r) else r
            merged[-1] = RecognizerResult(best.entity_type, last.start, max(last.end, r.end), max(last.score, r.score),
                                          best.analysis_explanation, best.recognition_metadata)
        else:
            merged.append(r)
    return merged


def analyze_chunked(
    text: str, analyze: Callable[[str], list[RecognizerResult]], size: int = 20000, overlap: int = 500
) -> list[RecognizerResult]:
    """Run `analyze` over overlapping windows and merge. Each window owns the characters from the middle of its
    overlap with the previous window to the middle of its overlap with the next, and keeps only results that start
    there: an entity shorter than half the overlap is therefore always seen whole by the window that keeps it."""
    spans = windows(len(text), size, overlap, text)
    found: list[RecognizerResult] = []
    for i, (start, end) in enumerate(spans):
        own_start = 0 if i == 0 else (spans[i - 1][1] + start) // 2
        own_end = len(text) if i == len(spans) - 1 else (end + spans[i + 1][0]) // 2
        for r in analyze(text[start:end]):
            if own_start <= r.start + start < own_end:
                found.append(
                    RecognizerResult(r.entity_type, r.start + start, r.end + start, r.score, r.analysis_explanation,
                                     r.recognition_metadata)
                )
    return resolve(found)
