"""Recall and precision of a detector against passages with gold spans (tests/data/text_eval/eval.json)."""

from __future__ import annotations

import re
from typing import Callable, Iterable

_WORD = re.compile(r"\w+")


def covered(start: int, end: int, spans: Iterable[tuple[int, int]], text: str) -> bool:
    """Whether every non-space character of text[start:end] lies inside some predicted span."""
    marked = [False] * (end - start)
    for s, e in spans:
        for i in range(max(s, start), min(e, end)):
            marked[i - start] = True
    return all(m or text[start + i].isspace() for i, m in enumerate(marked))


def score(passages: list[dict], detect: Callable[[dict], list[tuple[int, int]]]) -> dict:
    """Recall (a gold span counts only when wholly covered: a half-removed name still identifies) overall and on
    the study-known identifiers, precision (a predicted span is right when it overlaps a gold span) and
    over-redaction (the share of words outside every gold span that a predicted span replaced)."""
    found = total = known_found = known_total = tp = predicted = words = over = 0
    missed: list[str] = []
    for p in passages:
        spans = detect(p)
        for g in p["gold"]:
            hit = covered(g["start"], g["end"], spans, p["text"])
            total += 1
            found += hit
            if g["known"]:
                known_total += 1
                known_found += hit
            if not hit:
                missed.append(f"{p['id']}:{g['field']}")
        for s, e in spans:
            predicted += 1
            tp += any(s < g["end"] and e > g["start"] for g in p["gold"])
        for w in _WORD.finditer(p["text"]):  # over-redaction: words outside every gold span that were replaced
            if any(w.start() < g["end"] and w.end() > g["start"] for g in p["gold"]):
                continue
            words += 1
            over += any(w.start() < e and w.end() > s for s, e in spans)
    return {
        "recall": found / total if total else 1.0,
        "recall_known": known_found / known_total if known_total else 1.0,
        "precision": tp / predicted if predicted else 1.0,
        "over_redaction": over / words if words else 0.0,
        "gold_spans": total,
        "predicted_spans": predicted,
        "missed": missed,
    }
