"""Privacy risk of a synthetic twin: anonymeter's singling-out, linkability and inference attacks.

Each attack runs against the training split (the records the twin was fitted to) and, as the baseline that
separates privacy leakage from mere utility, against a held-out control split the generator never saw. anonymeter
reports the risk with its confidence interval. anonymeter 1.1.0 needs numpy<1.27, so this runs in the twinify
environment.
"""

from __future__ import annotations

import logging
from typing import Any, Mapping, Sequence

import pandas as pd

log = logging.getLogger(__name__)


def _risk(evaluator: Any, confidence: float) -> dict[str, Any]:
    risk = evaluator.risk(confidence_level=confidence)
    results = evaluator.results(confidence_level=confidence)
    return {"risk": float(risk.value), "ci": [float(risk.ci[0]), float(risk.ci[1])],
            "attack_rate": float(results.attack_rate.value), "baseline_rate": float(results.baseline_rate.value),
            "control_rate": float(results.control_rate.value) if results.control_rate is not None else None,
            "attacks": int(results.n_attacks_ori)}


def attack_count(train: pd.DataFrame, control: pd.DataFrame, requested: int) -> int:
    """Attacks are drawn from both splits without replacement: at most as many as the smaller one holds."""
    return max(1, min(requested, len(train), len(control)))


def anonymeter_risks(train: pd.DataFrame, synthetic: pd.DataFrame, control: pd.DataFrame,
                     settings: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Singling-out, linkability and inference risk with confidence intervals; an attack that cannot run is a skip."""
    from anonymeter.evaluators import InferenceEvaluator, LinkabilityEvaluator, SinglingOutEvaluator

    columns = list(train.columns)
    synthetic = synthetic[columns]
    n_attacks = attack_count(train, control, int(settings.get("n_attacks", 500)))
    confidence = float(settings.get("confidence", 0.95))
    seed = int(settings.get("seed", 0))
    out: dict[str, dict[str, Any]] = {}

    def run(name: str, make) -> None:
        try:
            out[name] = _risk(make().evaluate(**({"mode": "multivariate"} if name == "singling_out" else {"n_jobs": 1})),
                              confidence)
        except Exception as err:  # anonymeter raises on data it cannot attack (too few records, no queries found)
            log.warning("anonymeter %s attack skipped: %s", name, err)
            out[name] = {"skipped": f"{type(err).__name__}: {err}"}

    run("singling_out", lambda: SinglingOutEvaluator(train, synthetic, n_attacks=n_attacks,
                                                      n_cols=min(3, len(columns)), control=control, seed=seed,
                                                      max_attempts=20000))
    if len(columns) >= 2:
        half = len(columns) // 2
        aux = (list(settings.get("link_left") or columns[:half]), list(settings.get("link_right") or columns[half:]))
        run("linkability", lambda: LinkabilityEvaluator(train, synthetic, aux_cols=aux, n_attacks=n_attacks,
                                                          control=control, n_neighbors=1))
        secrets: Sequence[str] = settings.get("secrets") or [columns[-1]]
        for secret in secrets:
            if secret not in columns:
                raise ValueError(f"risk.synthetic.secrets names {secret!r}, which is not a synthesized column")
            aux_cols = [c for c in columns if c != secret]
            run(f"inference:{secret}", lambda s=secret, a=aux_cols: InferenceEvaluator(
                train, synthetic, aux_cols=a, secret=s, n_attacks=n_attacks, control=control))
    return out


def risk_checks(risks: Mapping[str, Mapping[str, Any]], limits: Mapping[str, float], min_attacks: int = 20
                ) -> list[dict[str, Any]]:
    """One gate check per attack: the risk estimate must not exceed the configured limit for its kind.

    With fewer attacks than `min_attacks` (a tiny control split) the estimate is too uncertain to gate on; it is
    reported with its interval instead.
    """
    checks = []
    for name, result in risks.items():
        kind = name.split(":")[0]
        limit = float(limits.get(kind, 1.0))
        if "skipped" in result:
            checks.append({"name": f"anonymeter {name} risk", "passed": None, "gated": False,
                           "detail": f"skipped (reported, not gated): {result['skipped']}"[:500]})
            continue
        if result["attacks"] < min_attacks:
            checks.append({"name": f"anonymeter {name} risk", "passed": result["risk"] <= limit, "gated": False,
                           "value": result["risk"], "limit": limit,
                           "detail": f"reported, not gated: {result['attacks']} attacks are fewer than "
                                     f"risk.synthetic.min_attacks ({min_attacks}); risk {result['risk']:.3f} "
                                     f"(95% CI {result['ci'][0]:.3f}-{result['ci'][1]:.3f})"})
            continue
        checks.append({"name": f"anonymeter {name} risk at most {limit:g}", "passed": result["risk"] <= limit,
                       "value": result["risk"], "limit": limit,
                       "detail": f"risk {result['risk']:.3f} (95% CI {result['ci'][0]:.3f}-{result['ci'][1]:.3f}), "
                                 f"{result['attacks']} attacks, attack rate {result['attack_rate']:.3f} vs control "
                                 f"{result['control_rate']:.3f}"})
    return checks


def budget_check(card: Mapping[str, Any], configured: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The twin's privacy budget was spent once: its parts (query selection and measurement, when split) sum to the
    card's epsilon and delta, and those do not exceed the configured `synth` budget.

    A generator that spends the budget on selection and again on measurement (twinify 2.0.0's own `fit()` does)
    fails this check instead of releasing a twin whose card understates what it spent.
    """
    budget = card.get("budget") or {}
    epsilon, delta = float(card["epsilon"]), float(card["delta"])
    parts = [budget[p] for p in ("selection", "measurement") if isinstance(budget.get(p), Mapping)]
    spent_eps = sum(float(p["epsilon"]) for p in parts) if parts else epsilon
    spent_delta = sum(float(p["delta"]) for p in parts) if parts else delta
    problems = []
    if spent_eps > epsilon * (1 + 1e-9) or spent_delta > delta * (1 + 1e-9):
        problems.append(f"its mechanisms spent epsilon {spent_eps:g}, delta {spent_delta:g}, more than the card's "
                        f"{epsilon:g}, {delta:g}")
    if configured:
        limit_eps, limit_delta = float(configured["epsilon"]), float(configured["delta"])
        if epsilon > limit_eps * (1 + 1e-9) or delta > limit_delta * (1 + 1e-9):
            problems.append(f"the card's epsilon {epsilon:g}, delta {delta:g} exceed the configured synth budget "
                            f"{limit_eps:g}, {limit_delta:g}")
    how = " + ".join(f"{p['epsilon']:g}" for p in parts) if parts else f"{epsilon:g} in one mechanism"
    return {"name": "synthetic twin: privacy budget spent once, within the configured budget",
            "passed": not problems,
            "detail": "; ".join(problems) if problems else f"epsilon {epsilon:g} = {how}, delta {delta:g}"
            + (f" (configured {float(configured['epsilon']):g}, {float(configured['delta']):g})" if configured else "")}
