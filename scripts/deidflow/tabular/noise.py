"""Differentially private noise for numeric columns through OpenDP's samplers (safe against floating-point attacks).

Each released value is clamped to the declared bounds [lower, upper] and perturbed with Laplace or Gaussian noise
calibrated so that one person's value changing anywhere in the bounds (sensitivity upper - lower, unless given) costs
the column's epsilon (and delta for Gaussian). Columns compose by basic composition; the total is checked against the
configured budget before anything is drawn.

OpenDP draws from the operating system's CSPRNG and takes no seed, so a fresh draw differs each run. Releasing a
second, differently noised copy of the same column would spend the budget again, so each draw is kept in the secrets
store (`NoiseStore`, keyed by the table, column, mechanism and the column's values) and a rerun reuses it: reruns
are byte-identical and the budget is spent once. A new secrets store draws afresh.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any, Mapping

import numpy as np
import opendp.prelude as dp
import pandas as pd

from ..secrets import SecretStore

dp.enable_features("contrib")


class BudgetError(ValueError):
    """The noise configuration is invalid or spends more than the privacy budget."""


@dataclass(frozen=True)
class NoiseSpec:
    """One column's mechanism, bounds and privacy loss."""

    column: str
    mechanism: str  # laplace | gaussian
    epsilon: float
    lower: float
    upper: float
    delta: float = 0.0
    sensitivity: float | None = None
    decimals: int | None = None

    @classmethod
    def from_config(cls, column: str, cfg: Mapping[str, Any]) -> "NoiseSpec":
        """A spec from a column's config, checked."""
        for key in ("epsilon", "lower", "upper"):
            if cfg.get(key) is None:
                raise BudgetError(f"column {column!r} (role noise): set {key!r}")
        spec = cls(column, cfg.get("mechanism", "laplace"), float(cfg["epsilon"]), float(cfg["lower"]),
                   float(cfg["upper"]), float(cfg.get("delta", 0.0)), cfg.get("sensitivity"), cfg.get("decimals"))
        if spec.mechanism not in ("laplace", "gaussian"):
            raise BudgetError(f"column {column!r}: mechanism {spec.mechanism!r}: use laplace or gaussian")
        if spec.epsilon <= 0 or spec.upper <= spec.lower:
            raise BudgetError(f"column {column!r}: need epsilon > 0 and lower < upper")
        if spec.mechanism == "gaussian" and not 0 < spec.delta < 1:
            raise BudgetError(f"column {column!r}: the Gaussian mechanism needs 0 < delta < 1")
        return spec

    @property
    def d_in(self) -> float:
        return float(self.sensitivity) if self.sensitivity is not None else self.upper - self.lower


def mechanism(spec: NoiseSpec) -> tuple[Any, float]:
    """The OpenDP measurement for a column and its noise scale (found so the privacy map meets epsilon/delta)."""
    if spec.mechanism == "laplace":
        space = dp.vector_domain(dp.atom_domain(T=float, nan=False)), dp.l1_distance(T=float)
        scale = spec.d_in / spec.epsilon
        meas = dp.m.make_laplace(*space, scale=scale)
        if meas.map(spec.d_in) > spec.epsilon * (1 + 1e-9):
            raise BudgetError(f"column {spec.column!r}: OpenDP says the Laplace scale overspends epsilon")
        return meas, scale
    space = dp.vector_domain(dp.atom_domain(T=float, nan=False)), dp.l2_distance(T=float)

    def chain(scale: float) -> Any:
        return dp.c.make_fix_delta(dp.c.make_zCDP_to_approxDP(dp.m.make_gaussian(*space, scale=scale)), spec.delta)

    scale = dp.binary_search_param(chain, d_in=spec.d_in, d_out=(spec.epsilon, spec.delta))
    return chain(scale), scale


def check_budget(specs: list[NoiseSpec], epsilon_limit: float | None, delta_limit: float | None = None
                 ) -> tuple[float, float]:
    """Total epsilon and delta of all noised columns (basic composition), refused over the configured limits."""
    epsilon = float(sum(s.epsilon for s in specs))
    delta = float(sum(s.delta for s in specs))
    if epsilon_limit is not None and epsilon > epsilon_limit + 1e-12:
        raise BudgetError(f"the noise columns spend epsilon {epsilon:g} but tables.noise_budget.epsilon is "
                          f"{epsilon_limit:g}; lower a column's epsilon or raise the budget")
    if delta_limit is not None and delta > delta_limit + 1e-15:
        raise BudgetError(f"the noise columns spend delta {delta:g} over tables.noise_budget.delta {delta_limit:g}")
    return epsilon, delta


class NoiseStore:
    """Noised columns already released from this study (a JSON file in the secrets store), reused on reruns."""

    NAME = "tables_noise.json"

    def __init__(self, secrets: SecretStore | None):
        self.secrets = secrets
        self.draws: dict[str, list[float | None]] = {}
        if secrets is not None and secrets.exists(self.NAME):
            self.draws = secrets.read_json(self.NAME)

    @staticmethod
    def digest(spec: NoiseSpec, table_name: str, values: pd.Series) -> str:
        text = json.dumps([table_name, asdict(spec), values.astype("string").fillna("").tolist()])
        return hashlib.sha256(text.encode()).hexdigest()

    def get(self, digest: str) -> list[float | None] | None:
        return self.draws.get(digest)

    def put(self, digest: str, values: pd.Series) -> None:
        self.draws[digest] = [None if pd.isna(v) else float(v) for v in values]

    def save(self) -> None:
        if self.secrets is not None and self.draws:
            self.secrets.write_json(self.NAME, self.draws)


def add_noise(values: pd.Series, spec: NoiseSpec, table_name: str = "table", store: NoiseStore | None = None
              ) -> tuple[pd.Series, float]:
    """Clamp a numeric column to its bounds and add OpenDP noise (or reuse the stored draw); returns the released
    column and its scale."""
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() & values.notna() & (values.astype(str).str.strip() != "")
    if bad.any():
        raise BudgetError(f"{table_name}: column {spec.column!r}: value {values[bad].iloc[0]!r} is not a number")
    meas, scale = mechanism(spec)
    digest = NoiseStore.digest(spec, table_name, values) if store is not None else ""
    stored = store.get(digest) if store is not None else None
    if stored is not None:
        return pd.Series(stored, index=values.index, name=values.name, dtype=float), scale
    present = numbers.notna().to_numpy()
    clamped = np.clip(numbers.to_numpy(dtype=float, na_value=np.nan)[present], spec.lower, spec.upper)
    noisy = np.clip(np.asarray(meas(list(map(float, clamped))), dtype=float), spec.lower, spec.upper)
    out = np.full(len(values), np.nan)
    out[present] = noisy if spec.decimals is None else np.round(noisy, int(spec.decimals))
    released = pd.Series(out, index=values.index, name=values.name)
    if store is not None:
        store.put(digest, released)
    return released, scale
