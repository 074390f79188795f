"""Free text inside recordings (annotations, descriptions, sidecar values) cleaned with the transcript recognizers
and the subject's deny-list, consistently (the same name gets the same surrogate in every file of the subject)."""

from __future__ import annotations

import re
from collections import Counter
from typing import Iterable, Mapping

from ..text.deidentify import TextConfig, find_entities, replace, seed_names, study_deny
from ..text.surrogates import Surrogates

REMOVED = "[REMOVED]"


class FreeText:
    """`clean(text)`: markers kept, other text analysed; a value still holding a study identifier becomes REMOVED."""

    def __init__(self, record, items: Iterable[Mapping[str, str]], text_cfg: TextConfig, marker: re.Pattern[str],
                 *, salt: str = "", enabled: bool = True, language: str | None = None):
        from ..text.languages import get

        self.language = get(language or text_cfg.language).code
        self.items = list(items)
        self.cfg, self.marker, self.enabled = text_cfg, marker, enabled
        self.deny, self.check = study_deny(self.items, text_cfg)
        self.surrogates = Surrogates(record.pseudonym, style=text_cfg.surrogates, date_mode=text_cfg.dates,
                                     shift_days=record.date_shift_days, salt=salt, language=self.language)
        seed_names(self.surrogates, self.items)
        self._engine = None
        self._cache: dict[str, str] = {}
        self.entities: Counter = Counter()
        self.found: list[tuple[str, str]] = []  # (original value, kind) for the leak scan

    @property
    def engine(self):
        if self._engine is None:
            from ..text.engine import analyzer, model_for

            self._engine = analyzer(model_for(self.language, self.cfg.model), language=self.language)
        return self._engine

    def __call__(self, text: str) -> str:
        if not text or not text.strip() or self.marker.fullmatch(text.strip()):
            return text
        if text in self._cache:
            return self._cache[text]
        if self.enabled:
            results = find_entities(text, "txt", self.engine, self.deny, self.cfg, language=self.language)
            out = replace(text, results, self.surrogates)
            self.entities.update(r.entity_type for r in results)
            self.found += [(text[r.start:r.end], f"transcript:{r.entity_type}") for r in results
                           if r.entity_type != "DATE_TIME" and len(text[r.start:r.end]) >= 3]
        else:
            out = text
        if self.check is not None and self.check.search(out):
            out = REMOVED  # a known identifier survived (or cleaning is off): the value does not travel
            self.entities["REMOVED"] += 1
        self._cache[text] = out
        return out
