"""DPVI through twinify 2.0.0 for mixed tables: a mixture model fitted with DP-SGD (runs in the twinify environment).

DPVI spends its budget once: d3p's accountant turns (epsilon, delta), the subsampling ratio and the number of
iterations into the DP-SGD noise scale, so the card's epsilon and delta are exactly what was asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd


@dataclass
class DpviSettings:
    """Mixture components, passes over the data, batch share and per-example gradient clipping."""

    components: int = 5
    epochs: int = 200
    subsample_ratio: float = 0.05
    clipping_threshold: float = 1.0


def model_spec(kinds: dict[str, str]) -> str:
    """twinify's one-line-per-feature model text: categorical columns categorical, continuous ones normal."""
    return "\n".join(f"{c}: {'categorical' if k == 'categorical' else 'normal'}" for c, k in kinds.items())


def fit(data: pd.DataFrame, kinds: dict[str, str], epsilon: float, delta: float, seed: int,
        settings: DpviSettings | None = None) -> tuple[Any, dict[str, Any]]:
    """Fit the DPVI mixture model on the encoded table; returns twinify's DPVIResult and what was spent."""
    import d3p.dputil
    import d3p.random
    import numpyro
    from twinify.dpvi import DPVIModel
    from twinify.dpvi.modelling import automodel

    settings = settings or DpviSettings()
    features = automodel.parse_model(model_spec(kinds))
    for feature in features:  # categories are already integer codes: only the category count is needed
        if feature.distribution.is_categorical:
            feature.shape = (len(data[feature.name].cat.categories),)
    model_fn = automodel.make_model(features, settings.components)
    guide = numpyro.infer.autoguide.AutoDiagonalNormal(model_fn)
    model = DPVIModel(model_fn, guide, settings.clipping_threshold, settings.epochs, settings.subsample_ratio)
    result = model.fit(data, d3p.random.PRNGKey(seed), epsilon, delta, silent=True)
    spent = {"mechanism": "DP-SGD (d3p), subsampled Gaussian", "model": model_spec(kinds).splitlines(),
             "settings": vars(settings), "noise_scale": float(result.privacy_level.dp_noise)
             if hasattr(result, "privacy_level") else None}
    return result, spent


def generate(result: Any, rows: int, seed: int) -> pd.DataFrame:
    """Draw `rows` synthetic records from one draw of the variational posterior (seeded)."""
    import d3p.random

    return result.generate(d3p.random.PRNGKey(seed), num_parameter_samples=1, num_data_per_parameter_sample=rows)
