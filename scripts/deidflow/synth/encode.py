"""Column checks and the integer encoding twinify needs (string categories crash it), reversed after sampling."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd

MISSING = "<missing>"


class SynthInputError(ValueError):
    """The table cannot be synthesized as configured (the message names the file, the column and the fix)."""


class TooFewRows(SynthInputError):
    """The table is too small to hold out a control split: the twin is skipped and the report says why."""


def select_columns(table: pd.DataFrame, columns: Sequence[str], source: str) -> tuple[list[str], list[dict[str, str]]]:
    """Columns to synthesize and the reported skips (single-valued or empty columns carry nothing to learn)."""
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise SynthInputError(f"{source}: columns {missing} configured in synth.columns are not in the table "
                              f"(it has {list(table.columns)})")
    keep, skipped = [], []
    for column in columns:
        distinct = table[column].dropna().nunique()
        if distinct == 0:
            skipped.append({"column": column, "reason": "every value is missing"})
        elif distinct == 1:
            skipped.append({"column": column, "reason": "single-valued column: nothing to synthesize"})
        else:
            keep.append(column)
    if not keep:
        raise SynthInputError(f"{source}: no column left to synthesize (skipped: {skipped})")
    return keep, skipped


def column_kinds(table: pd.DataFrame, max_levels: int) -> dict[str, str]:
    """'continuous' for numeric columns with more than `max_levels` distinct values, else 'categorical'."""
    kinds = {}
    for column in table.columns:
        numeric = pd.to_numeric(table[column], errors="coerce")
        is_numeric = numeric.notna().sum() == table[column].notna().sum()
        kinds[column] = "continuous" if is_numeric and numeric.nunique() > max_levels else "categorical"
    return kinds


def choose_method(method: str, kinds: dict[str, str]) -> str:
    """NAPSU-MQ for all-discrete tables, DPVI when any column is continuous (or as configured)."""
    if method == "auto":
        return "napsu" if all(k == "categorical" for k in kinds.values()) else "dpvi"
    if method == "napsu" and any(k == "continuous" for k in kinds.values()):
        raise SynthInputError(f"NAPSU-MQ needs discrete columns; continuous: "
                              f"{[c for c, k in kinds.items() if k == 'continuous']} (use method dpvi or auto)")
    if method not in ("napsu", "dpvi"):
        raise SynthInputError(f"synth.method must be auto, napsu or dpvi, got {method!r}")
    return method


@dataclass
class Encoding:
    """Category labels of each categorical column (code = position), and the continuous columns' dtypes."""

    categories: dict[str, list[str]] = field(default_factory=dict)
    continuous: dict[str, str] = field(default_factory=dict)
    scale: dict[str, tuple[float, float]] = field(default_factory=dict)

    @classmethod
    def fit(cls, table: pd.DataFrame, kinds: dict[str, str]) -> "Encoding":
        """Learn the category lists (sorted, missing as its own category) from the table."""
        enc = cls()
        for column, kind in kinds.items():
            if kind == "categorical":
                values = table[column].astype(object).where(table[column].notna(), MISSING).astype(str)
                enc.categories[column] = sorted(values.unique().tolist())
            else:
                numeric = pd.to_numeric(table[column])
                integral = bool(np.all(np.mod(numeric.dropna(), 1) == 0))
                enc.continuous[column] = "int" if integral else "float"
                # standardized for DPVI's normal features (their priors assume unit scale)
                enc.scale[column] = (float(numeric.mean()), float(numeric.std(ddof=0)) or 1.0)
        return enc

    def encode(self, table: pd.DataFrame) -> pd.DataFrame:
        """Integer codes (pandas categorical of ints) for categorical columns, floats for continuous ones."""
        out = {}
        for column in table.columns:
            if column in self.categories:
                values = table[column].astype(object).where(table[column].notna(), MISSING).astype(str)
                codes = pd.Categorical(values, categories=self.categories[column]).codes
                out[column] = pd.Categorical(codes.astype(np.int64), categories=list(range(len(self.categories[column]))))
            else:
                mean, std = self.scale[column]
                out[column] = (pd.to_numeric(table[column]).astype(np.float64) - mean) / std
        return pd.DataFrame(out)

    def decode(self, table: pd.DataFrame) -> pd.DataFrame:
        """Back to the original labels; continuous columns rounded to integers where the input was integral."""
        out = {}
        for column in table.columns:
            if column in self.categories:
                labels = np.asarray(self.categories[column], dtype=object)
                values = labels[np.asarray(table[column]).astype(np.int64)]
                out[column] = pd.Series(values).replace(MISSING, "")
            else:
                mean, std = self.scale[column]
                values = pd.Series(np.asarray(table[column], dtype=np.float64) * std + mean)
                out[column] = values.round().astype(np.int64) if self.continuous[column] == "int" else values.round(4)
        return pd.DataFrame(out)

    def as_dict(self) -> dict[str, Any]:
        return {"categorical": {c: len(v) for c, v in self.categories.items()}, "continuous": dict(self.continuous)}
