"""Utility of a synthetic twin: total variation distance of 1-, 2- and 3-way marginals vs an independent baseline.

The baseline is a table of the same size as the twin drawn from the product of the original's own 1-way marginals
(each column sampled independently, non-privately): it carries the same sampling noise as the twin but no
association, so a twin that is no closer than it on 2-way marginals has learnt nothing about how columns relate.
The exact distance of the product of marginals (no sampling noise) is reported beside it. All pairs are scored, not only strongly associated ones (unlike sdmetrics' QualityReport).
Pure pandas/numpy: it runs in the core and in the twinify environment.
"""

from __future__ import annotations

import itertools
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd


def discretize(real: pd.DataFrame, synth: pd.DataFrame, max_levels: int = 20, bins: int = 10
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both tables as strings; numeric columns with many values binned on the original's quantiles."""
    out_real, out_synth = {}, {}
    for column in real.columns:
        r, s = real[column], synth[column]
        rn, sn = pd.to_numeric(r, errors="coerce"), pd.to_numeric(s, errors="coerce")
        numeric = rn.notna().sum() == r.notna().sum() and rn.nunique() > max_levels
        if numeric:
            edges = np.unique(np.quantile(rn.dropna().to_numpy(dtype=float), np.linspace(0, 1, bins + 1)))
            edges[0], edges[-1] = -np.inf, np.inf
            out_real[column] = pd.Series(np.searchsorted(edges, rn.to_numpy(dtype=float), side="right")).astype(str)
            out_synth[column] = pd.Series(np.searchsorted(edges, sn.to_numpy(dtype=float), side="right")).astype(str)
        else:
            out_real[column] = r.astype(object).where(r.notna(), "<NA>").astype(str).reset_index(drop=True)
            out_synth[column] = s.astype(object).where(s.notna(), "<NA>").astype(str).reset_index(drop=True)
    return pd.DataFrame(out_real), pd.DataFrame(out_synth)


def _distribution(table: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    return table.groupby(list(columns), sort=False).size() / len(table)


def tvd(real: pd.DataFrame, synth: pd.DataFrame, columns: Sequence[str]) -> float:
    """Total variation distance between the two tables' joint distributions over `columns` (0 same, 1 disjoint)."""
    p, q = _distribution(real, columns), _distribution(synth, columns)
    p, q = p.align(q, fill_value=0.0)
    return float(0.5 * np.abs(p.to_numpy() - q.to_numpy()).sum())


def independence_tvd(real: pd.DataFrame, columns: Sequence[str]) -> float:
    """TVD between the original's joint over `columns` and the product of its 1-way marginals."""
    joint = _distribution(real, columns)
    marginals = [_distribution(real, [c]) for c in columns]
    product = np.ones(len(joint))
    index = joint.index if len(columns) > 1 else pd.MultiIndex.from_arrays([joint.index])
    for level, marginal in enumerate(marginals):
        product *= marginal.reindex(index.get_level_values(level)).to_numpy()
    # mass of the product distribution on combinations never seen in the original
    unseen = 1.0 - product.sum()
    return float(0.5 * (np.abs(joint.to_numpy() - product).sum() + unseen))


def independent_sample(real: pd.DataFrame, rows: int, seed: int) -> pd.DataFrame:
    """The baseline generator: every column drawn independently (with replacement) from the original's values."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({c: real[c].to_numpy()[rng.integers(0, len(real), rows)] for c in real.columns})


def marginal_scores(real: pd.DataFrame, synth: pd.DataFrame, ways: Iterable[int] = (1, 2, 3),
                    max_level: int = 20, seed: int = 0) -> dict[str, Any]:
    """Mean and max TVD per marginal order for the twin and the independent baseline, and each pair's scores."""
    real_d, synth_d = discretize(real, synth[list(real.columns)], max_level)
    _, base_d = discretize(real, independent_sample(real, len(synth), seed), max_level)
    columns = list(real_d.columns)
    result: dict[str, Any] = {}
    pairs, singles = [], []
    for way in ways:
        if way > len(columns):
            continue
        twin_scores, base_scores, exact_scores = [], [], []
        for combo in itertools.combinations(columns, way):
            twin = tvd(real_d, synth_d, combo)
            base = tvd(real_d, base_d, combo)
            twin_scores.append(twin)
            base_scores.append(base)
            exact_scores.append(independence_tvd(real_d, combo) if way > 1 else 0.0)
            if way == 1:
                singles.append({"column": combo[0], "twin_tvd": round(twin, 4), "baseline_tvd": round(base, 4),
                                "shares": shares(real_d, synth_d, base_d, combo[0],
                                                 binned=_binned(real[combo[0]], max_level))})
            if way == 2:
                pairs.append({"columns": " x ".join(combo), "twin_tvd": round(twin, 4), "baseline_tvd": round(base, 4)})
        result[f"{way}-way"] = {"marginals": len(twin_scores), "twin_mean_tvd": float(np.mean(twin_scores)),
                                "twin_max_tvd": float(np.max(twin_scores)), "baseline_mean_tvd": float(np.mean(base_scores)),
                                "baseline_exact_mean_tvd": float(np.mean(exact_scores))}
    result["pairs"] = pairs
    result["per_column"] = singles  # each column's 1-way TVD, twin and baseline (kept in the section's metrics)
    return result


def _binned(column: pd.Series, max_levels: int) -> bool:
    numeric = pd.to_numeric(column, errors="coerce")
    return bool(numeric.notna().sum() == column.notna().sum() and numeric.nunique() > max_levels)


def shares(real_d: pd.DataFrame, synth_d: pd.DataFrame, base_d: pd.DataFrame, column: str, binned: bool = False,
           top: int = 12) -> list[dict[str, Any]]:
    """One column's 1-way marginal, original vs twin vs baseline (shares of rows), for its `top` commonest values.

    The values are those of the released table the twin was fitted to (quantile bins for numeric columns with many
    values), so showing them discloses nothing the release does not."""
    p, q, b = (t[column].value_counts(normalize=True) for t in (real_d, synth_d, base_d))
    keys = sorted(p.index, key=lambda v: int(v)) if binned else sorted(p.index, key=lambda v: (-p[v], v))[:top]
    return [{"value": f"quantile bin {k}" if binned else k, "original": round(float(p.get(k, 0.0)), 4),
             "twin": round(float(q.get(k, 0.0)), 4), "baseline": round(float(b.get(k, 0.0)), 4)} for k in keys]


def beats_baseline(scores: dict[str, Any]) -> tuple[bool, str]:
    """The gate's utility check: the twin's mean 2-way TVD is below the independent baseline's."""
    two = scores.get("2-way")
    if two is None:
        return True, "fewer than two columns: no 2-way marginal to compare"
    passed = two["twin_mean_tvd"] < two["baseline_mean_tvd"]
    return passed, (f"mean 2-way TVD {two['twin_mean_tvd']:.4f} (twin) vs {two['baseline_mean_tvd']:.4f} "
                    f"(independent marginals) over {two['marginals']} pairs")


def comparison_svg(pairs: list[dict[str, Any]]) -> str:
    """A bar chart of each pair's TVD, twin beside baseline, as inline SVG."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, max(2.0, 0.3 * len(pairs) + 1)))
    y = np.arange(len(pairs))
    ax.barh(y - 0.2, [p["twin_tvd"] for p in pairs], height=0.4, label="synthetic twin")
    ax.barh(y + 0.2, [p["baseline_tvd"] for p in pairs], height=0.4, label="independent marginals")
    ax.set_yticks(y, [p["columns"] for p in pairs], fontsize=7)
    ax.set_xlabel("total variation distance to the original (lower is better)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg")
    plt.close(fig)
    svg = buffer.getvalue()
    return svg[svg.index("<svg"):]
