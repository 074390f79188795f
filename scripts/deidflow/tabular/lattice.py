"""Optimal global recoding over the full generalization lattice (the Flash family's model).

A node is one generalization level per quasi-identifier. The search visits nodes in order of a lower bound on their
utility loss (the loss without suppression, which is exact per column and cannot grow smaller when records are
suppressed), stops once the bound passes the best anonymous node found, and prunes with monotonicity: a node below a
known non-anonymous node is non-anonymous, and a node above one whose classes all pass needs no suppression, so its
loss is its bound. The result is the same optimum as exhaustive search (tested), with ties broken the same way.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from . import hierarchies as hz
from .models import PrivacyError, PrivacyModel, contingency, passing

METRICS = ("loss", "precision", "discernibility")


@dataclass
class Problem:
    """A table encoded for the search: per quasi-identifier the row's leaf index and per-level leaf maps."""

    names: list[str]
    leaf: list[np.ndarray]  # per QI: each row's leaf index in its hierarchy
    level_code: list[list[np.ndarray]]  # per QI, per level: leaf index -> code of its generalized value
    labels: list[list[np.ndarray]]  # per QI, per level: code -> label
    leaf_loss: list[list[np.ndarray]]  # per QI, per level: leaf index -> (leaves under value - 1) / (leaves - 1)
    numeric: list[bool]  # per QI: leaves are numbers in increasing order (Mondrian releases ranges)
    leaf_labels: list[np.ndarray]
    sensitive: np.ndarray | None = None  # each row's sensitive code (values in sorted order)
    sensitive_values: list[str] = field(default_factory=list)
    n: int = 0

    @property
    def heights(self) -> list[int]:
        return [len(levels) - 1 for levels in self.level_code]

    @property
    def overall(self) -> np.ndarray | None:
        if self.sensitive is None:
            return None
        return np.bincount(self.sensitive, minlength=len(self.sensitive_values))


def encode(table: pd.DataFrame, quasi: Mapping[str, pd.DataFrame], sensitive: str | None = None,
           table_name: str = "table") -> Problem:
    """Encode the quasi-identifiers of a table against their hierarchies (errors name the column and value)."""
    if len(table) == 0:
        raise PrivacyError(f"{table_name}: the table has no rows")
    for name in [*quasi, *([sensitive] if sensitive else [])]:
        if name not in table.columns:
            raise PrivacyError(f"{table_name}: column {name!r} is configured but missing from the table")
    problem = Problem([], [], [], [], [], [], [], n=len(table))
    for name, hierarchy in quasi.items():
        column = table[name]
        if column.isna().any():
            raise hz.HierarchyError(f"{table_name}: column {name!r} has empty cells (row "
                                    f"{int(np.flatnonzero(column.isna().to_numpy())[0]) + 2}); fill or drop them")
        leaves = pd.Index(hierarchy.index)
        leaf = leaves.get_indexer(column.astype(str))
        if (leaf < 0).any():
            missing = column.astype(str)[leaf < 0].iloc[0]
            raise hz.HierarchyError(f"{table_name}: column {name!r}: value {missing!r} is not in its hierarchy "
                                    "(add it to the hierarchy or fix the data)")
        n_leaves = len(leaves)
        codes, labels, losses = [], [], []
        for level in hierarchy.columns:
            level_codes, uniques = pd.factorize(hierarchy[level].astype(str), sort=False)
            size = np.bincount(level_codes)[level_codes]
            codes.append(level_codes.astype(np.int64))
            labels.append(np.asarray(uniques, dtype=object))
            losses.append((size - 1) / max(n_leaves - 1, 1))
        problem.names.append(name)
        problem.leaf.append(leaf.astype(np.int64))
        problem.level_code.append(codes)
        problem.labels.append(labels)
        problem.leaf_loss.append(losses)
        problem.leaf_labels.append(np.asarray(leaves, dtype=object))
        problem.numeric.append(hz.is_numeric_like(list(leaves)) and
                               bool(np.all(np.diff([float(v) for v in leaves]) > 0)))
    if sensitive:
        values = table[sensitive].astype(str)
        numeric = hz.is_numeric_like(list(values.unique()))
        order = sorted(values.unique(), key=float if numeric else str)
        problem.sensitive = pd.Index(order).get_indexer(values).astype(np.int64)
        problem.sensitive_values = list(order)
    return problem


def cell_cost(problem: Problem, metric: str) -> list[list[np.ndarray]]:
    """Per QI and level, each leaf's cell cost in [0, 1]: the loss metric, or precision (level / height)."""
    if metric == "loss":
        return problem.leaf_loss
    return [[np.full(len(levels[0]), lv / max(len(levels) - 1, 1)) for lv in range(len(levels))]
            for levels in problem.level_code]


@dataclass
class NodeResult:
    """One lattice node checked against the model."""

    node: tuple[int, ...]
    anonymous: bool
    suppressed: int
    score: float  # the metric: mean cell cost (loss, precision) or the discernibility sum
    classes: np.ndarray | None = None  # row -> class id
    passed: np.ndarray | None = None  # class id -> passes the model
    counts: np.ndarray | None = None


def classes_of(problem: Problem, node: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Row -> equivalence-class id and the class sizes for a node (vectorised: one key per row, one count)."""
    key = np.zeros(problem.n, dtype=np.int64)
    space = 1
    for i, lv in enumerate(node):
        codes = problem.level_code[i][lv]
        width = int(codes.max()) + 1
        if space * width > 2**62:
            key = pd.factorize(key)[0].astype(np.int64)
            space = int(key.max()) + 1
        key += codes[problem.leaf[i]] * space
        space *= width
    if space <= 8 * problem.n + 1024:
        full = np.bincount(key, minlength=space)
        present = np.flatnonzero(full)
        remap = np.zeros(space, dtype=np.int64)
        remap[present] = np.arange(len(present))
        return remap[key], full[present]
    inverse, _ = pd.factorize(key)
    return inverse.astype(np.int64), np.bincount(inverse)


def evaluate(problem: Problem, model: PrivacyModel, node: Sequence[int], metric: str = "loss",
             cost: list[list[np.ndarray]] | None = None) -> NodeResult:
    """Check one node: which classes pass, how many records are suppressed, and its metric."""
    cost = cost if cost is not None else cell_cost(problem, metric)
    classes, counts = classes_of(problem, node)
    table = overall = None
    if model.needs_sensitive:
        if problem.sensitive is None:
            raise PrivacyError("l-diversity / t-closeness need a column with role 'sensitive'")
        table = contingency(classes, len(counts), problem.sensitive, len(problem.sensitive_values))
        overall = problem.overall
    ok = passing(model, counts, table, overall)
    suppressed = int(counts[~ok].sum())
    anonymous = suppressed <= int(np.floor(model.suppression * problem.n + 1e-9))
    n, q = problem.n, len(node)
    if metric == "discernibility":
        score = float((counts[ok].astype(np.float64) ** 2).sum() + suppressed * n)
    else:
        total = sum(float(np.dot(np.bincount(problem.leaf[i], minlength=len(cost[i][lv])), cost[i][lv]))
                    for i, lv in enumerate(node))
        if suppressed:
            first = np.empty(len(counts), dtype=np.int64)
            first[classes[::-1]] = np.arange(n - 1, -1, -1)
            bad = first[~ok]
            row_cost = sum(cost[i][lv][problem.leaf[i][bad]] for i, lv in enumerate(node))
            total += float(np.dot(counts[~ok], q - row_cost))
        score = total / (n * q)
    return NodeResult(tuple(int(v) for v in node), anonymous, suppressed, score, classes, ok, counts)


def _rank(result: NodeResult) -> tuple[float, int, tuple[int, ...]]:
    return (round(result.score, 10), sum(result.node), result.node)


@dataclass
class SearchResult:
    """The optimum node and how the search got there."""

    best: NodeResult
    nodes: int  # lattice size
    checked: int  # nodes whose classes were counted


def lattice(problem: Problem) -> np.ndarray:
    """Every node of the lattice, one row per node."""
    return np.array(list(itertools.product(*[range(h + 1) for h in problem.heights])), dtype=np.int64)


def search(problem: Problem, model: PrivacyModel, metric: str = "loss") -> SearchResult:
    """The anonymous node with the least metric (optimal global recoding with pruning)."""
    if metric not in METRICS:
        raise PrivacyError(f"metric {metric!r}: use one of {', '.join(METRICS)}")
    if model.k > problem.n:
        raise PrivacyError(f"k = {model.k} is larger than the table ({problem.n} rows)")
    cost = cell_cost(problem, metric)
    nodes = lattice(problem)
    if metric == "discernibility":
        bound = np.zeros(len(nodes))
    else:
        per_level = [np.array([np.dot(np.bincount(problem.leaf[i], minlength=len(c)), c) for c in cost[i]])
                     for i in range(len(problem.names))]
        bound = sum(per_level[i][nodes[:, i]] for i in range(nodes.shape[1])) / (problem.n * nodes.shape[1])
    order = np.lexsort((*nodes[:, ::-1].T, nodes.sum(axis=1), np.round(bound, 10)))
    best: NodeResult | None = None
    failed: list[np.ndarray] = []
    clean: list[np.ndarray] = []  # anonymous with nothing suppressed: everything above needs no suppression
    checked = 0
    for idx in order:
        node = nodes[idx]
        if best is not None and round(bound[idx], 10) > round(best.score, 10):
            break
        if model.monotone and failed and np.all(node <= np.array(failed), axis=1).any():
            continue
        if metric != "discernibility" and clean and np.all(node >= np.array(clean), axis=1).any():
            result = NodeResult(tuple(int(v) for v in node), True, 0, float(bound[idx]))
        else:
            result = evaluate(problem, model, node, metric, cost)
            checked += 1
            if not result.anonymous:
                failed.append(node)
                continue
            if result.suppressed == 0:
                clean.append(node)
        if best is None or _rank(result) < _rank(best):
            best = result
    if best is None:
        raise PrivacyError("no generalization satisfies the privacy model, even with every value suppressed to '*'; "
                       "raise the suppression limit or relax k / l / t")
    if best.classes is None:
        best = evaluate(problem, model, best.node, metric, cost)
        checked += 1
    return SearchResult(best, len(nodes), checked)


def exhaustive(problem: Problem, model: PrivacyModel, metric: str = "loss") -> NodeResult:
    """Check every node (the oracle the pruned search is tested against)."""
    results = [evaluate(problem, model, node, metric) for node in lattice(problem)]
    anonymous = [r for r in results if r.anonymous]
    if not anonymous:
        raise PrivacyError("no node is anonymous")
    return min(anonymous, key=_rank)


def recode(problem: Problem, node: Sequence[int]) -> dict[str, np.ndarray]:
    """The generalized values of every quasi-identifier at a node."""
    return {name: problem.labels[i][node[i]][problem.level_code[i][node[i]][problem.leaf[i]]]
            for i, name in enumerate(problem.names)}
