"""NAPSU-MQ through twinify 2.0.0 with one honest privacy budget (runs in the twinify environment).

twinify's `NapsuMQModel.fit()` without `query_sets` first runs MST selection on the data with the full (epsilon,
delta) and then measures the selected marginals with the same (epsilon, delta) again: the released model is then
not (epsilon, delta)-DP. This driver either takes the marginal queries from public structure (declared column
groups; no budget spent on selection) or runs MST selection with an explicit share of the budget and measures
with the rest, so that the card's epsilon and delta are the totals under basic composition. It also makes the
MCMC size configurable and the run seeded (twinify hard-codes 4 chains x 2,800 steps and MST uses numpy's global
RNG).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd


@dataclass
class Budget:
    """How a total (epsilon, delta) is spent: selection (0 with public queries) and measurement."""

    epsilon: float
    delta: float
    select_epsilon: float = 0.0
    select_delta: float = 0.0

    @property
    def measure_epsilon(self) -> float:
        return self.epsilon - self.select_epsilon

    @property
    def measure_delta(self) -> float:
        return self.delta - self.select_delta

    def as_dict(self) -> dict[str, float]:
        return {"epsilon": self.epsilon, "delta": self.delta, "selection": {"epsilon": self.select_epsilon,
                "delta": self.select_delta}, "measurement": {"epsilon": self.measure_epsilon,
                "delta": self.measure_delta}, "composition": "basic (sums of the two mechanisms)"}


def split_budget(epsilon: float, delta: float, selection: str, selection_share: float) -> Budget:
    """Split (epsilon, delta) between query selection and measurement; public queries spend nothing on selection."""
    if not epsilon > 0:
        raise ValueError(f"synth.epsilon must be > 0, got {epsilon}")
    if not 0 < delta < 1:
        raise ValueError(f"synth.delta must be in (0, 1), got {delta}")
    if selection == "public":
        return Budget(epsilon, delta)
    if selection != "mst":
        raise ValueError(f"synth.selection must be 'public' or 'mst', got {selection!r}")
    if not 0 < selection_share < 1:
        raise ValueError(f"synth.selection_share must be in (0, 1), got {selection_share}")
    return Budget(epsilon, delta, epsilon * selection_share, delta * selection_share)


def public_queries(columns: Sequence[str], declared: Iterable[Sequence[str]] | None) -> list[tuple[str, ...]]:
    """Marginal queries fixed without looking at the data: the declared column groups, else every pair of columns."""
    if declared:
        queries = [tuple(group) for group in declared]
        unknown = sorted({c for group in queries for c in group} - set(columns))
        if unknown:
            raise ValueError(f"synth.queries names columns that are not synthesized: {unknown}")
        covered = {c for group in queries for c in group}
        queries += [(c,) for c in columns if c not in covered]  # every column needs at least its 1-way marginal
        return queries
    if len(columns) == 1:
        return [(columns[0],)]
    return list(itertools.combinations(columns, 2))


def mst_select(data: pd.DataFrame, budget: Budget, seed: int) -> list[tuple[str, ...]]:
    """Run twinify's MST selection with the selection share of the budget, seeded (it draws from numpy's global RNG)."""
    from twinify.dataframe_data import DataFrameData
    from twinify.mst import MST_selection
    from twinify.napsu_mq.private_pgm.dataset import Dataset
    from twinify.napsu_mq.private_pgm.domain import Domain

    frame = DataFrameData(data)
    columns = list(frame.columns)
    domain = Domain(columns, [len(frame.values_by_col[c]) for c in columns])
    state = np.random.get_state()
    np.random.seed(seed % (2**32))
    try:
        cliques = MST_selection(Dataset(frame.int_df, domain), budget.select_epsilon, budget.select_delta)
    finally:
        np.random.set_state(state)
    return [tuple(c) for c in cliques]


@dataclass
class McmcSettings:
    """Size of the posterior sampling (twinify's fit fixes 4 chains x (800 warm-up + 2,000 draws))."""

    num_warmup: int = 300
    num_samples: int = 500
    num_chains: int = 1


def fit(data: pd.DataFrame, queries: list[tuple[str, ...]], budget: Budget, seed: int,
        mcmc: McmcSettings | None = None) -> tuple[Any, dict[str, Any]]:
    """Measure the queries once with the measurement budget (Gaussian mechanism) and sample the NAPSU-MQ posterior.

    The mechanism and its accounting are twinify's (`privacy_accounting.sigma` with sensitivity sqrt(2|Q|) on the
    sufficient statistics); only the spending is explicit. Returns twinify's NapsuMQResult and what was spent.
    """
    import d3p.random
    import jax
    import jax.numpy as jnp
    import twinify.napsu_mq.maximum_entropy_inference as mei
    import twinify.napsu_mq.privacy_accounting as accounting
    from twinify.dataframe_data import DataFrameData
    from twinify.napsu_mq.marginal_query import FullMarginalQuerySet
    from twinify.napsu_mq.markov_network import MarkovNetwork
    from twinify.napsu_mq.napsu_mq import NapsuMQResult

    mcmc = mcmc or McmcSettings()
    frame = DataFrameData(data)
    n = frame.int_df.shape[0]
    query_set = FullMarginalQuerySet(queries, frame.values_by_col).get_canonical_queries()
    network = MarkovNetwork(frame.values_by_col, query_set)
    suff_stat = np.sum(query_set.flatten()(frame.int_df.to_numpy()), axis=0)
    sensitivity = float(np.sqrt(2 * len(queries)))
    sigma = float(accounting.sigma(budget.measure_epsilon, budget.measure_delta, sensitivity))
    rng = d3p.random.PRNGKey(seed)
    inference_rng, dp_rng = d3p.random.split(rng, 2)
    noisy = suff_stat + d3p.random.normal(dp_rng, suff_stat.shape) * sigma
    key = d3p.random.convert_to_jax_rng_key(inference_rng)
    run = mei.run_numpyro_mcmc(key, noisy, n, sigma, network, num_samples=mcmc.num_samples,
                               num_warmup=mcmc.num_warmup, num_chains=mcmc.num_chains, disable_progressbar=True)
    lambdas = np.asarray(run.get_samples()["lambdas"])
    result = NapsuMQResult(frame.values_by_col, query_set, jnp.asarray(lambdas), frame.data_description)
    spent = {"mechanism": "Gaussian on marginal counts", "sensitivity": sensitivity, "sigma": sigma,
             "queries": [list(q) for q in queries], "mcmc": vars(mcmc), "jax": jax.__version__}
    return result, spent


def generate(result: Any, rows: int, seed: int) -> pd.DataFrame:
    """Draw `rows` synthetic records from one posterior draw (twinify's generator, seeded)."""
    import d3p.random

    return result.generate(d3p.random.PRNGKey(seed), num_parameter_samples=1, num_data_per_parameter_sample=rows)
