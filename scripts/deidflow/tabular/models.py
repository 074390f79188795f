"""Privacy models over equivalence classes: k-anonymity, l-diversity (distinct, entropy, recursive (c,l)),
t-closeness (equal and ordered distance), and the record-suppression limit.

Everything works on integer class ids and integer sensitive codes, so one `np.bincount` answers a whole node.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np


class PrivacyError(ValueError):
    """The privacy model is misconfigured or cannot be met on this table."""


@dataclass(frozen=True)
class PrivacyModel:
    """The combined privacy model a release must satisfy (absent parts are None)."""

    k: int = 1
    l: float | None = None  # noqa: E741 (the literature's name)
    l_kind: str = "distinct"  # distinct | entropy | recursive
    c: float | None = None  # recursive (c,l)
    t: float | None = None
    t_kind: str = "equal"  # equal | ordered
    suppression: float = 0.0  # the largest fraction of records that may be suppressed

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> "PrivacyModel":
        """A model from the `tables.privacy` config section, checked."""
        model = cls(k=int(cfg.get("k", 1)), l=cfg.get("l"), l_kind=cfg.get("l_kind", "distinct"), c=cfg.get("c"),
                    t=cfg.get("t"), t_kind=cfg.get("t_kind", "equal"), suppression=float(cfg.get("suppression", 0.0)))
        model.check()
        return model

    def check(self) -> None:
        """Raise PrivacyError on impossible settings."""
        if self.k < 1:
            raise PrivacyError(f"privacy.k = {self.k}: must be at least 1")
        if self.l_kind not in ("distinct", "entropy", "recursive"):
            raise PrivacyError(f"privacy.l_kind = {self.l_kind!r}: use distinct, entropy or recursive")
        if self.l is not None and self.l < 1:
            raise PrivacyError(f"privacy.l = {self.l}: must be at least 1")
        if self.l_kind == "recursive" and self.l is not None and (self.c is None or self.c <= 0):
            raise PrivacyError("privacy.l_kind = recursive needs privacy.c > 0")
        if self.t_kind not in ("equal", "ordered"):
            raise PrivacyError(f"privacy.t_kind = {self.t_kind!r}: use equal or ordered")
        if self.t is not None and not 0 <= self.t <= 1:
            raise PrivacyError(f"privacy.t = {self.t}: must lie in [0, 1]")
        if not 0 <= self.suppression <= 1:
            raise PrivacyError(f"privacy.suppression = {self.suppression}: must lie in [0, 1]")

    @property
    def needs_sensitive(self) -> bool:
        return self.l is not None or self.t is not None

    @property
    def monotone(self) -> bool:
        """Whether generalizing an anonymous node always gives an anonymous node (prunes the lattice)."""
        return self.suppression == 0 or (self.t is None and (self.l is None or self.l_kind == "distinct"))


def contingency(classes: np.ndarray, n_classes: int, sensitive: np.ndarray, n_values: int) -> np.ndarray:
    """Counts of each sensitive value in each class (classes x values)."""
    flat = np.bincount(classes * n_values + sensitive, minlength=n_classes * n_values)
    return flat.reshape(n_classes, n_values)


def entropy(table: np.ndarray) -> np.ndarray:
    """Shannon entropy (natural log) of each row's distribution."""
    totals = table.sum(axis=1, keepdims=True)
    p = table / np.maximum(totals, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, -p * np.log(p), 0.0)
    return terms.sum(axis=1)


def recursive_c(table: np.ndarray, l: int) -> np.ndarray:  # noqa: E741
    """For each class, the smallest c with r1 < c (r_l + ... + r_m): r1 / tail (inf when the tail is empty)."""
    ranked = -np.sort(-table, axis=1)
    tail = ranked[:, l - 1:].sum(axis=1) if l - 1 < ranked.shape[1] else np.zeros(len(ranked))
    with np.errstate(divide="ignore"):
        return np.where(tail > 0, ranked[:, 0] / np.maximum(tail, 1), np.inf)


def closeness(table: np.ndarray, overall: np.ndarray, kind: str) -> np.ndarray:
    """Earth mover's distance of each class's sensitive distribution to the table's (equal or ordered)."""
    p = table / np.maximum(table.sum(axis=1, keepdims=True), 1)
    q = overall / overall.sum()
    if kind == "equal":
        return 0.5 * np.abs(p - q).sum(axis=1)
    m = table.shape[1]
    if m < 2:
        return np.zeros(len(table))
    return np.abs(np.cumsum(p - q, axis=1)).sum(axis=1) / (m - 1)


def passing(model: PrivacyModel, counts: np.ndarray, table: np.ndarray | None, overall: np.ndarray | None
            ) -> np.ndarray:
    """Which classes satisfy every part of the model (the others get suppressed)."""
    ok = counts >= model.k
    if model.l is not None:
        assert table is not None
        if model.l_kind == "distinct":
            ok &= (table > 0).sum(axis=1) >= model.l
        elif model.l_kind == "entropy":
            ok &= entropy(table) >= np.log(model.l) - 1e-12
        else:
            ok &= recursive_c(table, int(model.l)) < model.c
    if model.t is not None:
        assert table is not None and overall is not None
        ok &= closeness(table, overall, model.t_kind) <= model.t + 1e-12
    return ok


def achieved(counts: np.ndarray, table: np.ndarray | None, overall: np.ndarray | None, l: int = 2  # noqa: E741
             ) -> dict[str, float | None]:
    """The k, distinct l, entropy l, recursive c (for the given l) and t the released classes actually reach."""
    if len(counts) == 0:
        return {"k": None, "l_distinct": None, "l_entropy": None, "c_recursive": None, "t_equal": None,
                "t_ordered": None}
    out: dict[str, float | None] = {"k": int(counts.min())}
    if table is not None and overall is not None:
        out["l_distinct"] = int((table > 0).sum(axis=1).min())
        out["l_entropy"] = float(np.exp(entropy(table).min()))
        out["c_recursive"] = float(recursive_c(table, l).max())
        out["t_equal"] = float(closeness(table, overall, "equal").max())
        out["t_ordered"] = float(closeness(table, overall, "ordered").max())
    return out
