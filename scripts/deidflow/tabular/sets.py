"""Set-valued columns (a list of codes per person: diagnoses, medications) made k^m-anonymous with an item hierarchy,
as Amnesia does after Terrovitis, Mamoulis and Kalnis (2008): an attacker who knows up to m items of a person finds at
least k records holding them. Items are generalized along their hierarchy by a greedy cut (the Apriori-based
anonymization idea): while some combination of at most m generalized items has a support between 1 and k - 1, the
item taking part in most such combinations is raised one level, and with it every item under the same parent (so the
released items form a cut of the hierarchy), up to the level below `*`. Items still in a rare combination there are
removed from the records holding them (generalizing one item to `*` would, in a cut, take every item with it)."""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass

import pandas as pd

from . import hierarchies as hz


@dataclass
class SetResult:
    """Released sets, each leaf item's level, the items removed, and the smallest support of any released
    combination of at most m items."""

    values: pd.Series
    levels: dict[str, int]
    removed: int
    k_achieved: int | None


def split(values: pd.Series, sep: str) -> list[frozenset[str]]:
    return [frozenset() if pd.isna(v) else frozenset(i.strip() for i in str(v).split(sep) if i.strip())
            for v in values]


def violations(records: list[frozenset[str]], k: int, m: int) -> Counter:
    """Support of every combination of at most m items that is held by fewer than k records (and at least one)."""
    support: Counter = Counter()
    for items in records:
        for size in range(1, min(m, len(items)) + 1):
            support.update(itertools.combinations(sorted(items), size))
    return Counter({combo: n for combo, n in support.items() if n < k})


def km_anonymize(values: pd.Series, hierarchy: pd.DataFrame, k: int, m: int, sep: str = ";") -> SetResult:
    """Generalize (and at the top, remove) items until every released combination of <= m items has support >= k."""
    records = split(values, sep)
    leaves = list(hierarchy.index)
    top = hierarchy.shape[1] - 1
    level = dict.fromkeys(leaves, 0)

    def released() -> list[frozenset[str]]:
        return [frozenset(hierarchy.at[i, level[i]] for i in items) for items in records]

    while True:
        current = released()
        bad = violations(current, k, m)
        if not bad:
            break
        blame: Counter = Counter()
        for combo, n in bad.items():
            for label in combo:
                blame[label] += 1
        raisable = [(count, label) for label, count in blame.items()
                    if any(hierarchy.at[i, level[i]] == label and level[i] < top - 1 for i in leaves)]
        if not raisable:
            break
        _, label = max(raisable, key=lambda t: (t[0], t[1]))
        under = [i for i in leaves if hierarchy.at[i, level[i]] == label]
        new = min(max(level[i] for i in under) + 1, top - 1)
        parent = hierarchy.at[under[0], new]
        for i in leaves:  # everything under the new parent moves up with it (a cut)
            if hierarchy.at[i, new] == parent:
                level[i] = max(level[i], new)
    current = released()
    removed = 0
    bad = violations(current, k, m)
    if bad:  # still rare at the top: remove the rare items from the records holding them
        rare = {label for combo in bad for label in combo}
        kept = []
        for items in current:
            keep = frozenset(i for i in items if i not in rare)
            removed += len(items) - len(keep)
            kept.append(keep)
        current = kept
        while violations(current, k, m):  # combinations of common items can still be rare: drop them too
            rare = {label for combo in violations(current, k, m) for label in combo}
            nxt = [frozenset(i for i in items if i not in rare) for items in current]
            removed += sum(len(a) - len(b) for a, b in zip(current, nxt))
            current = nxt
    support = Counter()
    for items in current:
        for size in range(1, min(m, len(items)) + 1):
            support.update(itertools.combinations(sorted(items), size))
    out = pd.Series([sep.join(sorted(items)) if items else (None if pd.isna(v) else "")
                     for items, v in zip(current, values)], index=values.index, name=values.name, dtype=object)
    return SetResult(out, level, removed, min(support.values()) if support else None)


def item_hierarchy(values: pd.Series, spec: dict, sep: str, base_dir: str = ".") -> pd.DataFrame:
    """The hierarchy of the items that occur (any hierarchy type of the quasi role)."""
    items = sorted({i for items in split(values, sep) for i in items})
    return hz.build(spec or {"type": "suppress"}, items, base_dir)

