"""Free-text columns (role `text`): each cell is cleaned by the transcript step's library (Presidio over the offline
spaCy model, pattern recognizers, and a deny-list built from the row's own identifiers), with surrogates consistent
per subject and dates moved by the subject's shift, in the row's subject's language (`text.language_column`) or the
study's (`text.language`). A cell in which a known identifier survives replacement is withheld (released empty),
never passed through."""

from __future__ import annotations

from collections import Counter
from typing import Any, Mapping, Sequence

import pandas as pd

from .roles import RoleError


def identifier_columns(options: Mapping[str, Any], table: pd.DataFrame, table_name: str, column: str
                       ) -> dict[str, str]:
    """`identifiers`: {column: kind} (kind: name, email, phone, address, place, date, id) or a list (kind id)."""
    spec = options.get("identifiers") or {}
    spec = {c: "id" for c in spec} if isinstance(spec, (list, tuple)) else dict(spec)
    missing = [c for c in spec if c not in table.columns]
    if missing:
        raise RoleError(f"{table_name}: column {column!r} (role text): identifiers names column {missing[0]!r}, "
                        "which is not in the table")
    return spec


def clean(values: pd.Series, table: pd.DataFrame, options: Mapping[str, Any], persons: Sequence[str],
          shifts: Sequence[int] | None, text_cfg: Mapping[str, Any] | None, table_name: str, column: str,
          salt: str = "", languages: Sequence[str | None] | None = None) -> tuple[pd.Series, dict[str, Any]]:
    """The cleaned column and what happened (entities replaced per type, cells withheld, languages used).
    `languages`: each row's subject's language code (None: the study's `text.language`)."""
    try:
        from ..text.deidentify import TextConfig, deidentify_bytes, study_deny
        from ..text.engine import analyzer, model_for
        from ..text.surrogates import Surrogates
    except ImportError as err:
        raise RoleError(f"{table_name}: column {column!r} (role text) needs the text step's packages (Presidio, "
                        f"spaCy and its model, envs/text.txt) in the tabular environment: {err}") from None

    cfg = TextConfig.from_config(dict(text_cfg or {}))
    kinds = identifier_columns(options, table, table_name, column)
    surrogates: dict[str, Surrogates] = {}
    out: list[str | None] = []
    entities: Counter = Counter()
    used: Counter = Counter()
    withheld = 0
    for i, (value, person) in enumerate(zip(values, persons)):
        if pd.isna(value) or not str(value).strip():
            out.append(None if pd.isna(value) else str(value))
            continue
        language = (languages[i] if languages is not None else None) or cfg.language
        engine = analyzer(model_for(language, cfg.model), language=language)  # cached per language
        used[language] += 1
        items = [{"value": str(table[c].iloc[i]), "kind": kind} for c, kind in kinds.items()
                 if not pd.isna(table[c].iloc[i])]
        deny, check = study_deny(items, cfg)
        if person not in surrogates:
            surrogates[person] = Surrogates(person, style=cfg.surrogates, date_mode=cfg.dates,
                                            shift_days=int(shifts[i]) if shifts is not None else 0, salt=salt,
                                            language=language)
            for item in items:
                if item["kind"] == "name":
                    surrogates[person]("PERSON", item["value"])
        result = deidentify_bytes(str(value).encode("utf-8"), f"{table_name}:{column}.txt", engine, deny, check,
                                  surrogates[person], cfg, language)
        if result.error is not None:
            out.append(None)
            withheld += 1
            continue
        out.append(result.text)
        entities.update(result.entities)
    models = sorted({str(model_for(code, cfg.model) or f"{code}: patterns only") for code in used} or {cfg.model})
    info = {"model": ", ".join(models), "languages": dict(sorted(used.items())),
            "entities_replaced": dict(sorted(entities.items())), "cells_withheld": withheld}
    return pd.Series(out, index=values.index, name=values.name, dtype=object), info
