"""Plain text, WebVTT and SRT: which characters are spoken content (analysed) and which are structure (kept)."""

from __future__ import annotations

import re
from typing import Iterable

DEFAULT_SPEAKERS = ("Interviewer", "Participant", "Interviewee", "Moderator", "Facilitator", "Respondent", "Speaker")
_TIMING = re.compile(
    r"^[ \t]*(?:\d{1,2}:)?\d{1,2}:\d{2}[.,]\d{3}[ \t]*-->[ \t]*(?:\d{1,2}:)?\d{1,2}:\d{2}[.,]\d{3}[^\n]*$", re.M
)
_VTT_HEADER = re.compile(r"\AWEBVTT[^\n]*$", re.M)
_VTT_BLOCK = re.compile(r"^(?:STYLE|REGION)[ \t]*\r?\n(?:[^\n]*\S[^\n]*\n?)*", re.M)
_VTT_TAG = re.compile(r"</?(?:v|c|i|b|u|lang|ruby|rt)(?:\.[\w.-]+)?(?:[ \t][^>]*)?>|<\d{1,2}:\d{2}[:.\d]*>")
_INLINE_TIME = re.compile(r"\[?\(?\b\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?\b\)?\]?")


class TranscriptFormatError(ValueError):
    """The file does not follow the format its extension names."""


def detect_format(name: str) -> str:
    """'vtt', 'srt' or 'txt' from the file name."""
    lower = name.lower()
    return "vtt" if lower.endswith(".vtt") else "srt" if lower.endswith(".srt") else "txt"


def speaker_pattern(speakers: Iterable[str]) -> re.Pattern[str]:
    """A line-start speaker label ('Interviewer:', 'Speaker 2:', 'P:'), never analysed as a name."""
    names = "|".join(re.escape(s) for s in sorted(set(speakers), key=len, reverse=True))
    return re.compile(rf"^[ \t]*(?:-[ \t]*)?(?:(?:{names})(?:[ \t]*\d+)?|[A-Z]{{1,2}}\d{{0,2}})[ \t]*:", re.M)


def structure_spans(text: str, fmt: str, speakers: Iterable[str] = DEFAULT_SPEAKERS) -> list[tuple[int, int]]:
    """[start, end) spans of structure (headers, cue numbers, timings, cue settings, voice tags, speaker labels)."""
    spans: list[tuple[int, int]] = []
    if fmt == "vtt":
        header = _VTT_HEADER.match(text.lstrip("\ufeff"))
        if header is None:
            raise TranscriptFormatError("does not start with 'WEBVTT'")
        offset = len(text) - len(text.lstrip("\ufeff"))
        spans.append((0, header.end() + offset))
        spans += [m.span() for m in _VTT_BLOCK.finditer(text)]
        spans += [m.span() for m in _VTT_TAG.finditer(text)]
    if fmt in ("vtt", "srt"):
        timings = [m.span() for m in _TIMING.finditer(text)]
        if not timings and text.strip():
            raise TranscriptFormatError("has no cue timings ('00:00:01.000 --> 00:00:02.000')")
        spans += timings
        # A numeric cue identifier is the line just before a timing line.
        for start, _ in timings:
            prev_end = text.rfind("\n", 0, start)
            if prev_end > 0:
                prev_start = text.rfind("\n", 0, prev_end) + 1
                if text[prev_start:prev_end].strip().isdigit():  # other cue ids are free text: analysed
                    spans.append((prev_start, prev_end))
    else:
        spans += [m.span() for m in _INLINE_TIME.finditer(text)]
    spans += [m.span() for m in speaker_pattern(speakers).finditer(text)]
    return sorted(spans)


def mask(text: str, spans: list[tuple[int, int]]) -> str:
    """The text with structure replaced by spaces (same length, newlines kept), for the analyser."""
    chars = list(text)
    for start, end in spans:
        for i in range(start, end):
            if chars[i] not in "\r\n":
                chars[i] = " "
    return "".join(chars)
