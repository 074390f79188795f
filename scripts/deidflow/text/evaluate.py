"""Recall and precision of a detector against passages with gold spans (tests/data/text_eval/eval.json)."""

from __future__ import annotations

from typing import Callable, Iterable


def covered(start: int, end: int, spans: Iterable[tuple[int, int]], text: str) -> bool:
    """Whether every non-space character of text[start:end] lies inside some predicted span."""
    marked = [False] * (end - start)
    for s, e in spans:
        for i in range(max(s, start), min(e, end)):
            marked[i - start] = True
    return all(m or text[start + i].isspace() for i, m in enumerate(marked))


def score(passages: list[dict], detect: Callable[[dict], list[tuple[int, int]]]) -> dict:
    """Recall (a gold span counts only when wholly covered: a half-removed name still identifies) overall and on
    the study-known identifiers, and precision (a predicted span is right when it overlaps a gold span)."""
    found = total = known_found = known_total = tp = predicted = 0
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
    return {
        "recall": found / total if total else 1.0,
        "recall_known": known_found / known_total if known_total else 1.0,
        "precision": tp / predicted if predicted else 1.0,
        "gold_spans": total,
        "predicted_spans": predicted,
        "missed": missed,
    }
