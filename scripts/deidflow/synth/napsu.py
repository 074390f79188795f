"""NAPSU-MQ through twinify 2.0.0 with one honest privacy budget (runs in the twinify environment).

twinify's `NapsuMQModel.fit()` without `query_sets` first runs MST selection on the data with the full (epsilon,
delta) and then measures the selected marginals with the same (epsilon, delta) again: the released model is then
not (epsilon, delta)-DP. This driver either takes the marginal queries from public structure (declared column
groups; no budget spent on selection) or runs MST selection with an explicit share of the budget and measures
with the rest, so that the card's epsilon and delta are the totals under basic composition. It also makes the
MCMC size configurable and the run seeded (twinify hard-codes 4 chains x 2,800 steps and MST uses numpy's global
RNG).

Two things make twinify 2.0.0's NAPSU-MQ unusable beyond toy tables, and this driver works around both:
1. `MarkovNetwork.log_factor_vector` builds each factor with one `.at[].set()` per query in a Python loop, so the
   traced log-partition function grows with the number of queries (about 20,000 equations for ADULT's 1,200) and
   XLA compiles its derivatives for tens of minutes. `_network()` returns a subclass that fills each factor with one
   scatter (identical values).
2. The posterior's Laplace approximation (twinify's, and NUTS on the normalised model after it) differentiates the
   likelihood's covariance, a third derivative of the log-partition function; on ADULT that does not finish here.
   `laplace()` finds the posterior mode by damped Gauss-Newton steps on the same model (the Jacobian of the mean
   statistics is their covariance, so only the mean and covariance are needed; each step is accepted only if the
   exact negative log posterior decreases) and takes the Gauss-Newton precision at the mode. `inference: nuts` uses
   it to normalise NUTS, as twinify does with its own Laplace approximation; `inference: map` generates from the
   posterior mode itself (one parameter vector, so no posterior uncertainty in the twin), which is what scales.
   Drawing parameters from the Laplace Gaussian instead is not offered: for cells with (near-)zero counts the
   posterior is one-sided and the Gaussian puts mass on huge parameters (on ADULT such draws gave a twin with mean
   2-way TVD 0.96, against 0.047 from the mode).
None of this touches the privacy accounting: all of it is post-processing of the one noisy measurement.
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
    """How the posterior is sampled (twinify's fit fixes NUTS with 4 chains x (800 warm-up + 2,000 draws)).

    `inference`: `nuts` (NUTS on the Laplace-normalised model, `num_samples` posterior draws), `map` (the posterior
    mode; for query sets too large for NUTS), or `auto`: NUTS up to `nuts_max_parameters` model parameters, else MAP.
    """

    num_warmup: int = 300
    num_samples: int = 500
    num_chains: int = 1
    inference: str = "auto"
    nuts_max_parameters: int = 300

    def __post_init__(self) -> None:
        if self.inference not in ("auto", "nuts", "map"):
            raise ValueError(f"synth.napsu.inference must be 'auto', 'nuts' or 'map', got {self.inference!r}")

    def method(self, parameters: int) -> str:
        """The inference used for a model with this many parameters."""
        if self.inference != "auto":
            return self.inference
        return "nuts" if parameters <= self.nuts_max_parameters else "map"


_NETWORK_CLASS: Any = None


def _network(values_by_col: Any, query_set: Any) -> Any:
    """twinify's MarkovNetwork with `log_factor_vector` as one scatter per factor instead of one per query."""
    global _NETWORK_CLASS
    if _NETWORK_CLASS is None:
        import jax.numpy as jnp
        from twinify.napsu_mq.markov_network import MarkovNetwork

        class ScatterMarkovNetwork(MarkovNetwork):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                self._scatter = {}
                for variables, indices in self.variable_associations.items():
                    shape = tuple(len(self.domain[v]) for v in variables)
                    values = np.array([self.flat_queries.queries[i].value for i in indices], dtype=np.int64)
                    flat = np.ravel_multi_index(tuple(values.reshape(len(indices), len(variables)).T), shape)
                    self._scatter[variables] = (shape, flat, np.asarray(indices, dtype=np.int64))

            def log_factor_vector(self, lambdas: Any, variables: Any) -> Any:
                shape, flat, indices = self._scatter[tuple(variables)]
                return jnp.zeros(int(np.prod(shape))).at[flat].set(lambdas[indices]).reshape(shape)

        _NETWORK_CLASS = ScatterMarkovNetwork
    return _NETWORK_CLASS(values_by_col, query_set)


@dataclass
class Laplace:
    """A Gaussian approximation of the NAPSU-MQ posterior: its mode and precision, and how it was found."""

    mean: np.ndarray
    precision: np.ndarray
    iterations: int
    converged: bool
    decrement: float  # half the Newton decrement at the end (nats the Gauss-Newton model says are left)


def laplace(network: Any, noisy: np.ndarray, n: int, sigma: float, prior_sigma: float = 10.0,
            max_iter: int = 200, tol: float = 1e-7) -> Laplace:
    """Mode and Gauss-Newton precision of the NAPSU-MQ posterior (twinify's model: lambdas ~ N(0, prior_sigma^2 I),
    noisy ~ N(n mean(lambdas), n cov(lambdas) + sigma^2 I))."""
    d = int(network.lambda_d)
    eye = np.eye(d)
    noisy = np.asarray(noisy, dtype=np.float64)

    def state(lam: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        mean, cov = (np.asarray(a, dtype=np.float64) for a in network.suff_stat_mean_and_cov(lam))
        total = n * cov + sigma**2 * eye
        chol = np.linalg.cholesky(total)
        resid = noisy - n * mean
        white = np.linalg.solve(chol, resid)
        value = 0.5 * white @ white + np.log(np.diag(chol)).sum() + 0.5 * lam @ lam / prior_sigma**2
        return float(value), cov, chol, resid

    lam = np.zeros(d)
    value, cov, chol, resid = state(lam)
    converged, iteration, decrement = False, 0, float("inf")
    def gauss_newton_precision() -> np.ndarray:  # (n cov) C^-1 (n cov) + prior precision, at the current state
        return (n * cov) @ _chol_solve(chol, n * cov) + eye / prior_sigma**2

    for iteration in range(1, max_iter + 1):
        gradient = -(n * cov) @ _chol_solve(chol, resid) + lam / prior_sigma**2
        precision = gauss_newton_precision()
        step = np.linalg.solve(precision, gradient)
        decrement = float(gradient @ step) / 2  # what the Gauss-Newton model says is left to gain
        if decrement <= tol * max(1.0, abs(value)):
            converged = True
            break
        size = 1.0
        while size > 1e-6:  # damping: accept only a step that lowers the exact negative log posterior
            candidate = lam - size * step
            new = state(candidate)
            if np.isfinite(new[0]) and new[0] <= value:
                break
            size /= 2
        else:
            # No damped step lowers the exact objective: the Gauss-Newton direction ignores how the covariance
            # moves with the parameters, so this is as close as it gets. Converged if little was left to gain.
            converged = decrement <= 1e-3 * d
            break
        lam, (value, cov, chol, resid) = candidate, new
    else:  # out of iterations: the last step moved the parameters
        precision = gauss_newton_precision()
    return Laplace(lam, 0.5 * (precision + precision.T), iteration, converged, decrement)


def _chol_solve(chol: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    return np.linalg.solve(chol.T, np.linalg.solve(chol, rhs))


def fit(data: pd.DataFrame, queries: list[tuple[str, ...]], budget: Budget, seed: int,
        mcmc: McmcSettings | None = None) -> tuple[Any, dict[str, Any]]:
    """Measure the queries once with the measurement budget (Gaussian mechanism) and sample the NAPSU-MQ posterior.

    The mechanism and its accounting are twinify's (`privacy_accounting.sigma` with sensitivity sqrt(2|Q|) on the
    sufficient statistics); only the spending is explicit. Returns twinify's NapsuMQResult and what was spent.
    """
    import d3p.random
    import jax
    import jax.numpy as jnp
    import numpyro.distributions as dist
    import twinify.napsu_mq.maximum_entropy_inference as mei
    import twinify.napsu_mq.privacy_accounting as accounting
    from twinify.dataframe_data import DataFrameData
    from twinify.napsu_mq.marginal_query import FullMarginalQuerySet
    from twinify.napsu_mq.napsu_mq import NapsuMQResult

    mcmc = mcmc or McmcSettings()
    frame = DataFrameData(data)
    n = frame.int_df.shape[0]
    query_set = FullMarginalQuerySet(queries, frame.values_by_col).get_canonical_queries()
    network = _network(frame.values_by_col, query_set)
    suff_stat = np.sum(query_set.flatten()(frame.int_df.to_numpy()), axis=0)
    sensitivity = float(np.sqrt(2 * len(queries)))
    sigma = float(accounting.sigma(budget.measure_epsilon, budget.measure_delta, sensitivity))
    rng = d3p.random.PRNGKey(seed)
    inference_rng, dp_rng = d3p.random.split(rng, 2)
    noisy = suff_stat + d3p.random.normal(dp_rng, suff_stat.shape) * sigma
    key = d3p.random.convert_to_jax_rng_key(inference_rng)
    approx = laplace(network, np.asarray(noisy), n, sigma)
    inference = mcmc.method(int(network.lambda_d))
    if inference == "map":
        lambdas = approx.mean[None, :]
    else:
        normal = dist.MultivariateNormal(loc=jnp.asarray(approx.mean), precision_matrix=jnp.asarray(approx.precision))
        run, back = mei.run_numpyro_mcmc_normalised(key, noisy, n, sigma, network, normal, num_samples=mcmc.num_samples,
                                                    num_warmup=mcmc.num_warmup, num_chains=mcmc.num_chains,
                                                    disable_progressbar=True)
        lambdas = np.asarray(back(run.get_samples()["norm_lambdas"]))
    result = NapsuMQResult(frame.values_by_col, query_set, jnp.asarray(lambdas), frame.data_description)
    spent = {"mechanism": "Gaussian on marginal counts", "sensitivity": sensitivity, "sigma": sigma,
             "queries": [list(q) for q in queries], "mcmc": vars(mcmc), "jax": jax.__version__,
             "inference": {"nuts": "NUTS on the Laplace-normalised posterior",
                           "map": "posterior mode (MAP)"}[inference],
             "laplace": {"iterations": approx.iterations, "converged": approx.converged,
                         "decrement": round(approx.decrement, 6), "parameters": int(len(approx.mean))}}
    return result, spent


def generate(result: Any, rows: int, seed: int) -> pd.DataFrame:
    """Draw `rows` synthetic records from one posterior draw (twinify's generator, seeded, with the scatter network)."""
    import d3p.random
    import twinify.napsu_mq.napsu_mq as module

    original = module.MarkovNetwork
    module.MarkovNetwork = lambda domain, queries: _network(domain, queries)
    try:
        return result.generate(d3p.random.PRNGKey(seed), num_parameter_samples=1, num_data_per_parameter_sample=rows)
    finally:
        module.MarkovNetwork = original
