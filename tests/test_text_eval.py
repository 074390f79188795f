"""Recall and precision on the evaluation set (36 synthetic interview passages with gold identifier spans)."""

from __future__ import annotations

import json
from pathlib import Path

from deidflow.text.deidentify import TextConfig, find_entities, study_deny
from deidflow.text.engine import analyzer
from deidflow.text.evaluate import covered, score

EVAL = Path(__file__).parent / "data" / "text_eval" / "eval.json"


def test_recall_and_precision_meet_the_bar_on_the_evaluation_set():
    passages = json.loads(EVAL.read_text())["passages"]
    assert len(passages) >= 30
    engine, cfg = analyzer(), TextConfig()

    def detect(passage: dict) -> list[tuple[int, int]]:
        deny, _ = study_deny(passage["identifiers"], cfg)
        return [(r.start, r.end) for r in find_entities(passage["text"], "txt", engine, deny, cfg)]

    result = score(passages, detect)
    assert result["recall_known"] >= 0.95, result
    assert result["recall"] >= 0.85, result
    assert result["precision"] >= 0.85, result


def test_gold_spans_point_at_their_values_and_a_partial_cover_is_a_miss():
    passages = json.loads(EVAL.read_text())["passages"]
    fields = {g["field"] for p in passages for g in p["gold"]}
    assert {"full_name", "nickname", "relative0", "city", "hospital", "street_address", "postcode", "date_of_birth",
            "visit_date", "email", "phone", "national_id", "employer"} <= fields
    for p in passages:
        assert all(p["text"][g["start"]:g["end"]] == g["value"] for g in p["gold"])
    assert not covered(0, 10, [(0, 4)], "Mary Jones and")
