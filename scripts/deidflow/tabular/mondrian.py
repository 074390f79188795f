"""Mondrian multidimensional partitioning (LeFevre, DeWitt and Ramakrishnan, 2006) under the same privacy models.

Strict top-down median splits over the distinct rows (weighted by how many table rows each stands for), choosing the
quasi-identifier with the widest normalised range first; a split is kept only when both halves satisfy the model.
Each partition releases, per quasi-identifier, a numeric range (numeric hierarchies) or the lowest hierarchy level
that covers all its values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .lattice import Problem
from .models import PrivacyError, PrivacyModel, contingency, passing


@dataclass
class Partitioning:
    """Mondrian's result: each distinct row's partition and the released labels and cell costs per partition."""

    part: np.ndarray  # distinct row -> partition id
    labels: list[np.ndarray]  # per QI: partition -> released label
    cost: list[np.ndarray]  # per QI: partition -> loss-metric cell cost
    counts: np.ndarray  # partition -> rows
    score: float  # mean loss-metric cell cost
    passed: np.ndarray  # partition -> satisfies the model (all True unless the whole table fails)


def _ok(model: PrivacyModel, problem: Problem, idx: np.ndarray, overall: np.ndarray | None) -> bool:
    weight = problem.weight[idx]
    counts = np.array([weight.sum()])
    table = None
    if model.needs_sensitive:
        table = np.bincount(problem.sensitive[idx], weights=weight,
                            minlength=len(problem.sensitive_values))[None, :].astype(np.int64)
    return bool(passing(model, counts, table, overall)[0])


def partition(problem: Problem, model: PrivacyModel) -> Partitioning:
    """Split the table into partitions that each satisfy the model, as finely as strict Mondrian allows."""
    if model.k > problem.n:
        raise PrivacyError(f"k = {model.k} is larger than the table ({problem.n} rows)")
    if model.needs_sensitive and problem.sensitive is None:
        raise PrivacyError("l-diversity / t-closeness need a column with role 'sensitive'")
    overall = problem.overall
    points = np.column_stack(problem.leaf) if problem.leaf else np.zeros((len(problem.weight), 0), dtype=np.int64)
    spread = np.array([max(len(labels[0]) - 1, 1) for labels in problem.labels], dtype=float)
    everything = np.arange(len(problem.weight))
    whole_ok = _ok(model, problem, everything, overall)
    stack, done = [everything], []
    while stack:
        idx = stack.pop()
        sub = points[idx]
        if len(idx) < 2 or problem.weight[idx].sum() < 2 * model.k:
            done.append(idx)
            continue
        width = (sub.max(axis=0) - sub.min(axis=0)) / spread
        halves = None
        for dim in np.argsort(-width, kind="stable"):
            if width[dim] == 0:
                break
            left = _split(sub[:, dim], problem.weight[idx])
            if left is None:
                continue
            a, b = idx[left], idx[~left]
            if _ok(model, problem, a, overall) and _ok(model, problem, b, overall):
                halves = (a, b)
                break
        if halves is None:
            done.append(idx)
        else:
            stack.extend(halves[::-1])
    part = np.zeros(len(problem.weight), dtype=np.int64)
    for p, idx in enumerate(done):
        part[idx] = p
    return _describe(problem, part, len(done), points, whole_ok)


def _split(values: np.ndarray, weight: np.ndarray) -> np.ndarray | None:
    """The weighted-median split of one dimension (values <= median | > median), or the < / >= split on ties."""
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weight[order])
    median = values[order][np.searchsorted(cum, cum[-1] / 2)]
    left = values <= median
    if left.all():
        left = values < median
    if not left.any() or left.all():
        return None
    return left


def _describe(problem: Problem, part: np.ndarray, n_parts: int, points: np.ndarray, whole_ok: bool
              ) -> Partitioning:
    counts = np.bincount(part, weights=problem.weight, minlength=n_parts).astype(np.int64)
    labels, costs = [], []
    for i in range(points.shape[1]):
        lo = np.full(n_parts, np.iinfo(np.int64).max)
        hi = np.full(n_parts, -1)
        np.minimum.at(lo, part, points[:, i])
        np.maximum.at(hi, part, points[:, i])
        n_leaves = len(problem.labels[i][0])
        leaves = problem.leaf_labels[i]
        if problem.numeric[i]:
            text = np.where(lo == hi, leaves[lo], np.char.add(np.char.add(leaves[lo].astype(str), "-"),
                                                                leaves[hi].astype(str)).astype(object))
            cost = (hi - lo) / max(n_leaves - 1, 1)
        else:
            text = np.empty(n_parts, dtype=object)
            cost = np.zeros(n_parts)
            assigned = np.zeros(n_parts, dtype=bool)
            for lv, codes in enumerate(problem.level_code[i]):
                first = np.full(n_parts, -1)
                first[part[::-1]] = codes[points[::-1, i]]
                differs = np.zeros(n_parts, dtype=bool)
                np.logical_or.at(differs, part, codes[points[:, i]] != first[part])
                uniform = ~differs
                todo = uniform & ~assigned
                assigned |= todo
                text[todo] = problem.labels[i][lv][first[todo]]
                cost[todo] = problem.leaf_loss[i][lv][_leaf_of(part, points[:, i], n_parts)[todo]]
        labels.append(np.asarray(text, dtype=object))
        costs.append(np.asarray(cost, dtype=float))
    q = points.shape[1]
    score = float(sum(np.dot(c, counts) for c in costs) / (problem.n * max(q, 1)))
    return Partitioning(part, labels, costs, counts, score, np.full(n_parts, whole_ok))


def _leaf_of(part: np.ndarray, leaves: np.ndarray, n_parts: int) -> np.ndarray:
    first = np.zeros(n_parts, dtype=np.int64)
    first[part[::-1]] = leaves[::-1]
    return first


def recode(problem: Problem, result: Partitioning) -> dict[str, np.ndarray]:
    """The released values of every quasi-identifier, per table row."""
    rows = result.part[problem.rows]
    return {name: result.labels[i][rows] for i, name in enumerate(problem.names)}
