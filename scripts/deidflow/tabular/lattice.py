"""Optimal global recoding over the full generalization lattice (the Flash family's model).

A node is one generalization level per quasi-identifier. Each node has a lower bound on its utility loss that needs no
counting: the loss without suppression, exact per column, which suppression can only raise (a suppressed cell costs
1) and generalization can only raise. A greedy descent from the top node finds a good anonymous node first; then only
nodes whose bound does not pass the best found are checked, coarsest first, and a node that fails prunes every node
below it (monotonicity; for the non-monotone models, a failure of k alone). The result is the same optimum as
exhaustive search (tested), with ties broken the same way.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from . import hierarchies as hz
from .models import PrivacyError, PrivacyModel, passing

METRICS = ("loss", "precision", "discernibility")


@dataclass
class Problem:
    """A table encoded for the search, compressed to its distinct (quasi-identifiers, sensitive) rows with weights."""

    names: list[str]
    leaf: list[np.ndarray]  # per QI: each distinct row's leaf index in its hierarchy
    level_code: list[list[np.ndarray]]  # per QI, per level: leaf index -> code of its generalized value
    labels: list[list[np.ndarray]]  # per QI, per level: code -> label
    leaf_loss: list[list[np.ndarray]]  # per QI, per level: leaf index -> (leaves under value - 1) / (leaves - 1)
    numeric: list[bool]  # per QI: leaves are numbers in increasing order (Mondrian releases ranges)
    leaf_labels: list[np.ndarray]
    weight: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # rows per distinct row
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # table row -> distinct row
    sensitive: np.ndarray | None = None  # each distinct row's sensitive code (values in sorted order)
    sensitive_values: list[str] = field(default_factory=list)
    n: int = 0

    @property
    def heights(self) -> list[int]:
        return [len(levels) - 1 for levels in self.level_code]

    @property
    def overall(self) -> np.ndarray | None:
        if self.sensitive is None:
            return None
        return np.bincount(self.sensitive, weights=self.weight, minlength=len(self.sensitive_values))


def encode(table: pd.DataFrame, quasi: Mapping[str, pd.DataFrame], sensitive: str | None = None,
           table_name: str = "table") -> Problem:
    """Encode the quasi-identifiers of a table against their hierarchies (errors name the column and value)."""
    if len(table) == 0:
        raise PrivacyError(f"{table_name}: the table has no rows")
    for name in [*quasi, *([sensitive] if sensitive else [])]:
        if name not in table.columns:
            raise PrivacyError(f"{table_name}: column {name!r} is configured but missing from the table")
    problem = Problem([], [], [], [], [], [], [], n=len(table))
    row_leaves = []
    for name, hierarchy in quasi.items():
        column = table[name]
        if column.isna().any():
            raise hz.HierarchyError(f"{table_name}: column {name!r} has an empty cell (row "
                                    f"{int(np.flatnonzero(column.isna().to_numpy())[0]) + 2}); fill or drop it")
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
            if codes and len(pd.unique(codes[-1] * (len(uniques) + 1) + level_codes)) != codes[-1].max() + 1:
                raise hz.HierarchyError(f"{table_name}: column {name!r}: hierarchy level {level} splits a group "
                                        f"of level {level - 1}; each level must merge groups of the level below")
            size = np.bincount(level_codes)[level_codes]
            codes.append(level_codes.astype(np.int64))
            labels.append(np.asarray(uniques, dtype=object))
            losses.append((size - 1) / max(n_leaves - 1, 1))
        problem.names.append(name)
        row_leaves.append(leaf.astype(np.int64))
        problem.level_code.append(codes)
        problem.labels.append(labels)
        problem.leaf_loss.append(losses)
        problem.leaf_labels.append(np.asarray(leaves, dtype=object))
        problem.numeric.append(hz.is_numeric_like(list(leaves)) and
                               bool(np.all(np.diff([float(v) for v in leaves]) > 0)))
    row_sensitive = None
    if sensitive:
        values = table[sensitive].astype(str)
        uniques = list(values.unique())
        order = sorted(uniques, key=float) if hz.is_numeric_like(uniques) else sorted(uniques)
        row_sensitive = pd.Index(order).get_indexer(values).astype(np.int64)
        problem.sensitive_values = [str(v) for v in order]
    columns = row_leaves + ([row_sensitive] if row_sensitive is not None else [])
    if columns:
        key = np.zeros(len(table), dtype=np.int64)
        for col in columns:
            key = pd.factorize(key * (int(col.max()) + 1) + col)[0].astype(np.int64)
        inverse, uniques = pd.factorize(key)
        first = np.zeros(len(uniques), dtype=np.int64)
        first[inverse[::-1]] = np.arange(len(table) - 1, -1, -1)
    else:
        inverse, first = np.zeros(len(table), dtype=np.int64), np.zeros(1, dtype=np.int64)
    problem.rows = inverse.astype(np.int64)
    problem.weight = np.bincount(problem.rows, minlength=len(first)).astype(np.int64)
    problem.leaf = [leaf[first] for leaf in row_leaves]
    if row_sensitive is not None:
        problem.sensitive = row_sensitive[first]
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
    classes: np.ndarray | None = None  # distinct row -> class id
    passed: np.ndarray | None = None  # class id -> passes the model
    counts: np.ndarray | None = None


@dataclass
class Classes:
    """A node's equivalence classes: a representative distinct row, the size and the sensitive counts of each."""

    rep: np.ndarray  # class -> a distinct row in it
    counts: np.ndarray
    table: np.ndarray | None


def _group(problem: Problem, node: Sequence[int], rep: np.ndarray) -> tuple[np.ndarray, int]:
    """Class ids of the given distinct rows at a node (one integer key per row, then one count)."""
    key = np.zeros(len(rep), dtype=np.int64)
    space = 1
    for i, lv in enumerate(node):
        codes = problem.level_code[i][lv]
        width = int(codes.max()) + 1
        if space * width > 2**62:
            key = pd.factorize(key)[0].astype(np.int64)
            space = int(key.max()) + 1
        key += codes[problem.leaf[i][rep]] * space
        space *= width
    if space <= 4 * len(rep) + 1024:
        present = np.zeros(space, dtype=bool)
        present[key] = True
        remap = np.cumsum(present) - 1
        return remap[key], int(present.sum())
    inverse, uniques = pd.factorize(key)
    return inverse.astype(np.int64), len(uniques)


def rollup(problem: Problem, node: Sequence[int], base: Classes, with_table: bool) -> Classes:
    """A node's classes from a finer node's classes (or from the distinct rows): classes only ever merge."""
    inverse, size = _group(problem, node, base.rep)
    counts = np.bincount(inverse, weights=base.counts, minlength=size).astype(np.int64)
    rep = np.zeros(size, dtype=np.int64)
    rep[inverse[::-1]] = base.rep[::-1]
    table = None
    if with_table and base.table is not None:
        table = np.zeros((size, base.table.shape[1]), dtype=np.int64)
        if base.table.shape[1] > 8:
            np.add.at(table, inverse, base.table)
        else:
            for j in range(base.table.shape[1]):
                table[:, j] = np.bincount(inverse, weights=base.table[:, j], minlength=size)
    return Classes(rep, counts, table)


def base_classes(problem: Problem, with_table: bool) -> Classes:
    """The distinct rows as classes of their own (the root every rollup starts from)."""
    d = len(problem.weight)
    table = None
    if with_table and problem.sensitive is not None:
        table = np.zeros((d, len(problem.sensitive_values)), dtype=np.int64)
        table[np.arange(d), problem.sensitive] = problem.weight
    return Classes(np.arange(d), problem.weight, table)


def score_of(problem: Problem, model: PrivacyModel, node: Sequence[int], cls: Classes, metric: str,
             cost: list[list[np.ndarray]], bound: float | None = None, overall: np.ndarray | None = None
             ) -> NodeResult:
    """Check a node's classes against the model and compute its metric."""
    ok = passing(model, cls.counts, cls.table, overall if overall is not None else problem.overall)
    suppressed = int(cls.counts[~ok].sum())
    anonymous = suppressed <= int(np.floor(model.suppression * problem.n + 1e-9))
    n, q = problem.n, len(node)
    if metric == "discernibility":
        score = float((cls.counts[ok].astype(np.float64) ** 2).sum() + suppressed * n)
    else:
        total = bound * n * q if bound is not None else sum(
            float(np.dot(cost[i][lv][problem.leaf[i]], problem.weight)) for i, lv in enumerate(node))
        if suppressed:
            bad = cls.rep[~ok]
            row_cost = sum(cost[i][lv][problem.leaf[i][bad]] for i, lv in enumerate(node))
            total += float(np.dot(cls.counts[~ok], q - row_cost))
        score = total / (n * q)
    return NodeResult(tuple(int(v) for v in node), anonymous, suppressed, score, None, ok, cls.counts)


def evaluate(problem: Problem, model: PrivacyModel, node: Sequence[int], metric: str = "loss",
             cost: list[list[np.ndarray]] | None = None) -> NodeResult:
    """Check one node from scratch, keeping each distinct row's class (to recode the table)."""
    cost = cost if cost is not None else cell_cost(problem, metric)
    if model.needs_sensitive and problem.sensitive is None:
        raise PrivacyError("l-diversity / t-closeness need a column with role 'sensitive'")
    base = base_classes(problem, model.needs_sensitive)
    inverse, size = _group(problem, node, base.rep)
    cls = rollup(problem, node, base, model.needs_sensitive)
    result = score_of(problem, model, node, cls, metric, cost)
    result.classes = inverse
    return result


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


class _Counter:
    """Counts one node's classes straight from the distinct rows (the search's fast path; `evaluate` is the oracle).

    A node's class key is the mixed-radix number of its generalized codes, so `np.bincount` over the key gives the
    class sizes and the sensitive counts in one pass each, with no hashing while the key space stays small (classes
    of coarse nodes); wide keys are factorized first. Empty keys are classes of no rows and never count as failing.
    """

    def __init__(self, problem: Problem, model: PrivacyModel, cost: list[list[np.ndarray]], dense_max: int = 1 << 20):
        self.problem, self.model, self.dense_max = problem, model, dense_max
        self.weight = problem.weight.astype(np.float64)
        self.codes = [[lc[leaf] for lc in levels] for levels, leaf in zip(problem.level_code, problem.leaf)]
        self.width = [[int(lc.max()) + 1 for lc in levels] for levels in problem.level_code]
        self.weighted_cost = [[c[leaf] * self.weight for c in levels] for levels, leaf in zip(cost, problem.leaf)]
        self.sensitive = problem.sensitive if model.needs_sensitive else None
        self.values = len(problem.sensitive_values)
        self.overall = problem.overall
        self.limit = int(np.floor(model.suppression * problem.n + 1e-9))

    def key(self, node: np.ndarray) -> tuple[np.ndarray, int]:
        key, space = np.zeros(len(self.weight), dtype=np.int64), 1
        for i in sorted(range(len(node)), key=lambda j: -self.width[j][node[j]]):
            width = self.width[i][node[i]]
            if width == 1:
                continue
            if space * width > 2**62:
                key = pd.factorize(key)[0].astype(np.int64)
                space = int(key.max()) + 1
            key = key * width + self.codes[i][node[i]]
            space *= width
        if space > self.dense_max:
            key, uniques = pd.factorize(key)
            space = len(uniques)
        return key, space

    def check(self, node: np.ndarray, bound: float, metric: str) -> tuple[NodeResult, bool]:
        """The node's result, and whether k alone already fails (then every finer node fails too)."""
        key, space = self.key(node)
        counts = np.bincount(key, weights=self.weight, minlength=space)
        table = None
        if self.sensitive is not None:
            table = np.bincount(key * self.values + self.sensitive, weights=self.weight,
                                minlength=space * self.values).reshape(space, self.values)
        ok = passing(self.model, counts, table, self.overall) | (counts == 0)
        suppressed = int(round(counts[~ok].sum()))
        n, q = self.problem.n, len(node)
        if metric == "discernibility":
            score = float((counts[ok] ** 2).sum() + suppressed * n)
        else:
            total = bound * n * q
            if suppressed:  # a suppressed record costs 1 per cell instead of its generalized cells' cost
                kept = np.bincount(key, weights=sum(self.weighted_cost[i][lv] for i, lv in enumerate(node)),
                                   minlength=space)
                total += q * suppressed - float(kept[~ok].sum())
            score = total / (n * q)
        k_fails = int(round(counts[counts < self.model.k].sum())) > self.limit
        return NodeResult(tuple(int(v) for v in node), suppressed <= self.limit, suppressed, score), k_fails


def search(problem: Problem, model: PrivacyModel, metric: str = "loss") -> SearchResult:
    """The anonymous node with the least metric (optimal global recoding with pruning).

    First a greedy descent from the top node (each step to the best anonymous child) finds a good anonymous node
    quickly. Then every node whose lower bound does not exceed the best so far is checked, coarsest first, so that a
    failing node prunes everything below it: for monotone models any failure does, and for the others a failure of
    k alone does (k-anonymity with suppression is monotone on its own, and failing it fails the whole model).
    """
    if metric not in METRICS:
        raise PrivacyError(f"metric {metric!r}: use one of {', '.join(METRICS)}")
    if model.k > problem.n:
        raise PrivacyError(f"k = {model.k} is larger than the table ({problem.n} rows)")
    if model.needs_sensitive and problem.sensitive is None:
        raise PrivacyError("l-diversity / t-closeness need a column with role 'sensitive'")
    cost = cell_cost(problem, metric)
    nodes = lattice(problem)
    q = nodes.shape[1]
    if metric == "discernibility":
        bound = np.zeros(len(nodes))
    else:
        per_level = [np.array([np.dot(c[problem.leaf[i]], problem.weight) for c in cost[i]]) for i in range(q)]
        bound = sum(per_level[i][nodes[:, i]] for i in range(q)) / (problem.n * q)
    rounded = np.round(bound, 10)
    radix = np.cumprod([1, *(np.array(problem.heights[::-1]) + 1)])[:-1][::-1]  # node -> its row in `nodes`
    counter = _Counter(problem, model, cost)
    open_ = np.ones(len(nodes), dtype=bool)
    results: dict[int, NodeResult] = {}
    best: NodeResult | None = None

    def check(idx: int) -> NodeResult | None:
        """The node's result (None for a node already known to fail)."""
        nonlocal best
        if idx in results or not open_[idx]:
            return results.get(idx)
        result, k_fails = counter.check(nodes[idx], float(bound[idx]), metric)
        results[idx] = result
        open_[idx] = False
        if not result.anonymous:
            if model.monotone or k_fails:
                open_[np.all(nodes <= nodes[idx], axis=1)] = False
        elif best is None or _rank(result) < _rank(best):
            best = result
        return result

    current = len(nodes) - 1
    result = check(current)
    while result.anonymous:
        children = [current - int(radix[i]) for i in range(q) if nodes[current, i] > 0]
        anonymous = [(r, c) for r, c in ((check(c), c) for c in children) if r is not None and r.anonymous]
        if not anonymous:
            break
        result, current = min(anonymous, key=lambda pair: _rank(pair[0]))
    for idx in np.lexsort((rounded, -nodes.sum(axis=1))):
        if best is None or rounded[idx] <= round(best.score, 10):
            check(int(idx))
    if best is None:
        raise PrivacyError("no generalization satisfies the privacy model, even with every value suppressed to '*'; "
                           "raise the suppression limit or relax k / l / t")
    best = evaluate(problem, model, best.node, metric, cost)
    return SearchResult(best, len(nodes), len(results))


def exhaustive(problem: Problem, model: PrivacyModel, metric: str = "loss") -> NodeResult:
    """Check every node (the oracle the pruned search is tested against)."""
    results = [evaluate(problem, model, node, metric) for node in lattice(problem)]
    anonymous = [r for r in results if r.anonymous]
    if not anonymous:
        raise PrivacyError("no node is anonymous")
    return min(anonymous, key=_rank)


def recode(problem: Problem, node: Sequence[int]) -> dict[str, np.ndarray]:
    """The generalized values of every quasi-identifier at a node."""
    return {name: problem.labels[i][node[i]][problem.level_code[i][node[i]][problem.leaf[i][problem.rows]]]
            for i, name in enumerate(problem.names)}
