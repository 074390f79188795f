"""Differentially private noise for numeric columns through OpenDP's samplers (safe against floating-point attacks).

Each released value is clamped to the declared bounds [lower, upper] and perturbed with Laplace or Gaussian noise
calibrated so that one person's value changing anywhere in the bounds (sensitivity upper - lower, unless given) costs
the column's epsilon (and delta for Gaussian). Columns compose by basic composition; the total is checked against the
configured budget before anything is drawn.

OpenDP draws from the operating system's CSPRNG and takes no seed, so a fresh draw differs each run. Releasing a
second, differently noised copy of a person's value would spend the budget again (averaging two snapshots is the
differencing attack), so every draw is kept in the secrets store's release ledger (`NoiseStore`, per table, column and
subject): a rerun or a later release with new subjects reuses each released value, only new subjects and changed
values draw, and the cumulative epsilon/delta per person over all releases is reported and capped. A new secrets store
draws afresh.
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
        if spec.sensitivity is not None and float(spec.sensitivity) < spec.upper - spec.lower - 1e-12:
            raise BudgetError(f"column {column!r}: sensitivity {float(spec.sensitivity):g} is below upper - lower = "
                              f"{spec.upper - spec.lower:g}: one person's value can move that far within the bounds, "
                              "so the stated epsilon would not hold; remove 'sensitivity' or set it >= upper - lower")
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
    """The release ledger (a JSON file in the secrets store): every noised value ever released, per table, column and
    subject, and the privacy loss each release charged to each person.

    A value already released for a subject (same column settings, same original value) is reused, so re-releasing it
    costs nothing (post-processing); only new subjects, and subjects whose value changed, get a fresh draw, and each
    fresh draw charges that person the column's epsilon/delta. `person_loss()` is the cumulative loss per person over
    all releases, which the budget check caps (`tables.noise_budget.person_epsilon`). Nothing is written until
    `save()`, so a release refused for its budget leaves the ledger as it was."""

    NAME = "tables_noise.json"
    FORMAT = 2

    def __init__(self, secrets: SecretStore | None):
        self.secrets = secrets
        data: dict[str, Any] = {}
        if secrets is not None and secrets.exists(self.NAME):
            data = secrets.read_json(self.NAME)
        if data and data.get("format") != self.FORMAT:
            data = {"legacy": data}  # whole-column draws of the first format: reused when the column is unchanged
        self.legacy: dict[str, list[float | None]] = data.get("legacy", {})
        self.columns: dict[str, dict[str, Any]] = data.get("columns", {})
        self.releases: list[dict[str, Any]] = data.get("releases", [])
        self.persons: dict[str, dict[str, float]] = data.get("persons", {})
        self.current: dict[str, dict[str, Any]] = {}  # this release: per table:column, covered and drawn subjects
        self.staged: dict[str, dict[str, float]] = {}  # this release's charges per person, not yet in `persons`

    @staticmethod
    def digest(spec: NoiseSpec, table_name: str, values: pd.Series) -> str:
        """The first format's key of a whole column's draw."""
        text = json.dumps([table_name, asdict(spec), values.astype("string").fillna("").tolist()])
        return hashlib.sha256(text.encode()).hexdigest()

    @staticmethod
    def value_digest(value: Any) -> str:
        return hashlib.sha256(json.dumps("" if pd.isna(value) else str(value)).encode()).hexdigest()[:32]

    def column(self, table_name: str, column: str, settings: Mapping[str, Any]) -> dict[str, Any]:
        """The ledger entry of a column under its settings (changed settings start a new entry: fresh draws)."""
        text = json.dumps([table_name, column, dict(settings)], sort_keys=True, default=str)
        key = f"{table_name}:{column}:{hashlib.sha256(text.encode()).hexdigest()[:16]}"
        entry = self.columns.setdefault(key, {"table": table_name, "column": column, "settings": dict(settings),
                                              "draws": {}})
        self.current.setdefault(f"{table_name}:{column}", {"key": key, "covered": [], "drawn": [],
                                                             "epsilon": float(settings.get("epsilon", 0.0)),
                                                             "delta": float(settings.get("delta", 0.0))})
        return entry

    def charge(self, table_name: str, column: str, person: str, epsilon: float, delta: float) -> None:
        """Charge one fresh draw for `person` to this release."""
        staged = self.staged.setdefault(person, {"epsilon": 0.0, "delta": 0.0})
        staged["epsilon"] += float(epsilon)
        staged["delta"] += float(delta)
        self.current[f"{table_name}:{column}"]["drawn"].append(person)

    def cover(self, table_name: str, column: str, persons: list[str]) -> None:
        self.current[f"{table_name}:{column}"]["covered"].extend(persons)

    def person_loss(self) -> dict[str, dict[str, float]]:
        """Cumulative epsilon/delta per person: earlier releases plus this one's fresh draws."""
        total = {p: dict(v) for p, v in self.persons.items()}
        for person, cost in self.staged.items():
            mine = total.setdefault(person, {"epsilon": 0.0, "delta": 0.0})
            mine["epsilon"] += cost["epsilon"]
            mine["delta"] += cost["delta"]
        return total

    def summary(self) -> dict[str, Any]:
        """What the risk report shows: releases so far, this release per column, the largest loss per person."""
        loss = self.person_loss()
        worst = max(loss.values(), key=lambda v: v["epsilon"], default={"epsilon": 0.0, "delta": 0.0})
        releases = len(self.releases) + (1 if self.staged else 0)
        return {"releases": releases,
                "columns": {c: {"epsilon": v["epsilon"], "delta": v["delta"], "covered": len(set(v["covered"])),
                                "drawn": len(v["drawn"]), "reused": len(v["covered"]) - len(v["drawn"])}
                            for c, v in sorted(self.current.items())},
                "persons": len(loss), "person_epsilon_max": round(worst["epsilon"], 12),
                "person_delta_max": worst["delta"]}

    def save(self) -> None:
        """Record this release (when it drew anything) and write the ledger."""
        if self.staged:
            self.persons = self.person_loss()
            self.releases.append({"release": len(self.releases) + 1,
                                  "columns": {c: {"epsilon": v["epsilon"], "delta": v["delta"],
                                                  "covered": sorted(set(v["covered"])), "drawn": sorted(v["drawn"])}
                                              for c, v in sorted(self.current.items())}})
            self.staged = {}
        if self.secrets is not None and (self.columns or self.legacy):
            self.secrets.write_json(self.NAME, {"format": self.FORMAT, "columns": self.columns,
                                                "releases": self.releases, "persons": self.persons,
                                                **({"legacy": self.legacy} if self.legacy else {})})


def check_person_budget(store: NoiseStore, epsilon_cap: float | None, delta_cap: float | None = None) -> None:
    """Refuse a release that takes any person's cumulative loss over the caps (before anything is saved)."""
    loss = store.person_loss()
    for key, cap, label in (("epsilon", epsilon_cap, "person_epsilon"), ("delta", delta_cap, "person_delta")):
        if cap is None:
            continue
        over = sorted(p for p, v in loss.items() if v[key] > cap + 1e-12)
        if over:
            worst = max(loss[p][key] for p in over)
            raise BudgetError(f"{len(over)} person(s) would reach a cumulative {key} of {worst:g} over all releases "
                              f"(tables.noise_budget.{label} is {cap:g}); values already released are reused, so "
                              "this comes from new or changed values: raise the cap or lower the column's epsilon")


def add_noise(values: pd.Series, spec: NoiseSpec, table_name: str = "table", store: NoiseStore | None = None,
              subjects: pd.Series | None = None) -> tuple[pd.Series, float]:
    """Clamp a numeric column to its bounds and add OpenDP noise; with a ledger, values already released for a subject
    are reused and only new subjects (or changed values) draw. Returns the released column and its scale.

    `subjects` names each row's person (the pseudonym); without it each row is its own person."""
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() & values.notna() & (values.astype(str).str.strip() != "")
    if bad.any():
        raise BudgetError(f"{table_name}: column {spec.column!r}: value {values[bad].iloc[0]!r} is not a number")
    meas, scale = mechanism(spec)
    if store is not None and store.legacy:
        stored = store.legacy.get(NoiseStore.digest(spec, table_name, values))
        if stored is not None:
            return pd.Series(stored, index=values.index, name=values.name, dtype=float), scale
    persons = (subjects.astype(str).to_list() if subjects is not None
               else [f"{table_name}:row{i}" for i in range(len(values))])
    occurrence = pd.Series(persons).groupby(persons).cumcount().to_list()  # a person's 1st, 2nd... row
    out = np.full(len(values), np.nan)
    entry = store.column(table_name, spec.column, asdict(spec)) if store is not None else None
    todo = []
    for i, (person, nth, value) in enumerate(zip(persons, occurrence, values)):
        if pd.isna(numbers.iloc[i]):
            continue
        if entry is not None:
            kept = entry["draws"].get(person, {}).get(str(nth))
            if kept is not None and kept["value"] == NoiseStore.value_digest(value):
                out[i] = kept["released"]
                continue
        todo.append(i)
    if todo:
        clamped = np.clip(numbers.to_numpy(dtype=float, na_value=np.nan)[todo], spec.lower, spec.upper)
        noisy = np.clip(np.asarray(meas(list(map(float, clamped))), dtype=float), spec.lower, spec.upper)
        out[todo] = noisy if spec.decimals is None else np.round(noisy, int(spec.decimals))
    if store is not None:
        store.cover(table_name, spec.column, [p for i, p in enumerate(persons) if not np.isnan(out[i])])
        for i in todo:
            entry["draws"].setdefault(persons[i], {})[str(occurrence[i])] = {
                "value": NoiseStore.value_digest(values.iloc[i]), "released": float(out[i])}
            store.charge(table_name, spec.column, persons[i], spec.epsilon, spec.delta)
    return pd.Series(out, index=values.index, name=values.name), scale
