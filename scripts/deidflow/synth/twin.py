"""Make a synthetic twin of a table: checks, control split, encoding, NAPSU-MQ or DPVI, decoding, card."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
import pandas as pd

from . import card as cards
from . import dpvi, napsu
from .encode import Encoding, SynthInputError, TooFewRows, choose_method, column_kinds, select_columns


@dataclass
class Twin:
    """The synthetic table, its card, and the training/control split of the original (kept in the secure area)."""

    synthetic: pd.DataFrame
    card: dict[str, Any]
    train: pd.DataFrame
    control: pd.DataFrame


def split_control(table: pd.DataFrame, fraction: float, seed: int, min_rows: int, source: str
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hold out a random control split for the privacy attacks; refuse tables too small to split."""
    if not 0 < fraction < 1:
        raise SynthInputError(f"synth.control_fraction must be in (0, 1), got {fraction}")
    n_control = int(round(len(table) * fraction))
    if n_control < 1 or len(table) - n_control < min_rows:
        raise TooFewRows(f"{source}: {len(table)} records are too few to hold out a control split of "
                              f"{fraction:.0%} and keep {min_rows} for training (synth.min_rows); add records or "
                              f"turn the step off (steps.synth: false)")
    order = np.random.default_rng(seed).permutation(len(table))
    control = table.iloc[np.sort(order[:n_control])].reset_index(drop=True)
    train = table.iloc[np.sort(order[n_control:])].reset_index(drop=True)
    return train, control


def synthesize(table: pd.DataFrame, settings: Mapping[str, Any], *, source: str = "table") -> Twin:
    """Fit the configured generator on the training split with the whole budget once, and sample the twin."""
    seed = int(settings["seed"])
    epsilon, delta = float(settings["epsilon"]), float(settings["delta"])
    if not epsilon > 0:
        raise SynthInputError(f"synth.epsilon must be > 0, got {epsilon}: a twin without a privacy budget is not "
                              f"differentially private")
    columns, skipped = select_columns(table, list(settings["columns"]), source)
    train, control = split_control(table[columns], float(settings["control_fraction"]), seed,
                                   int(settings["min_rows"]), source)
    kinds = column_kinds(train, int(settings["max_levels"]))
    method = choose_method(settings["method"], kinds)
    if method == "napsu":
        kinds = {c: "categorical" for c in kinds}
    encoding = Encoding.fit(train, kinds)
    encoded = encoding.encode(train)
    rows = int(settings.get("rows") or len(train))
    if method == "napsu":
        budget = napsu.split_budget(epsilon, delta, settings["selection"], float(settings["selection_share"]))
        if settings["selection"] == "mst":
            queries = napsu.mst_select(encoded, budget, seed)
        else:
            queries = napsu.public_queries(columns, settings.get("queries"))
        mcmc = napsu.McmcSettings(**settings.get("napsu", {}))
        result, details = napsu.fit(encoded, queries, budget, seed, mcmc)
        sample = napsu.generate(result, rows, seed + 1)
        budget_card = budget.as_dict()
        query_list = [list(q) for q in queries]
    else:
        if not 0 < delta < 1:
            raise SynthInputError(f"synth.delta must be in (0, 1), got {delta}")
        result, details = dpvi.fit(encoded, kinds, epsilon, delta, seed, dpvi.DpviSettings(**settings.get("dpvi", {})))
        sample = dpvi.generate(result, rows, seed + 1)
        budget_card = {"epsilon": epsilon, "delta": delta, "composition": "single DP-SGD run"}
        query_list = None
    synthetic = encoding.decode(sample[columns])
    card = cards.make_card(method=method, budget=budget_card, queries=query_list, seed=seed, rows=len(synthetic),
                           training_rows=len(train), columns=columns, skipped=skipped, encoding=encoding.as_dict(),
                           details=details)
    return Twin(synthetic, card, train, control)
