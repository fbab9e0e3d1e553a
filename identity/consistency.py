"""Clusters whose members are mutually consistent, not merely connected.

Union-find joins whatever a chain of links connects: a father and a son of one name at one
address, each with several records, are one cluster as soon as a single record without a
birth date links to both. Such a cluster holds two birth dates, each on two records or more,
that the birth-date comparison weighs against each other (not a typo, not day and month
swapped): records of one person get a wrong date by independent corruption, so the same
wrong date twice is rare, while two people each repeat their own. The records of the two
dates are then kept apart (cannot-links) and the run's accepted links are applied again in
their order, so the weakest bridge, the link that would join them, is set aside.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from identity.clustering import ConstrainedUnionFind
from identity.comparisons import evaluate_comparison
from identity.model import MatchModel
from identity.records import RecordTable
from identity.scoring import level_weight

__all__ = ["TWO_BIRTH_DATES", "conflicting_dates"]

TWO_BIRTH_DATES = "the cluster would hold two birth dates, each on several of its records"
_SUPPORT = 2
"""Records a birth date needs in one cluster to count as a person's own, not a corruption."""


def conflicting_dates(
    table: RecordTable,
    model: MatchModel,
    uf: ConstrainedUnionFind,
    known: Callable[[int, int], bool],
) -> list[tuple[int, int]]:
    """Pairs of records (positions) of one cluster whose birth dates are each held by at
    least `_SUPPORT` records of the cluster and disagree by the model's birth-date comparison
    (a negative level); pairs `known` together (stored in one profile) are left alone."""
    names = [c.output_name for c in model.comparisons]
    if "birth_date" not in names:
        return []
    births = table.column("birth_date")
    groups: dict[int, dict[str, list[int]]] = {}
    for pos in np.flatnonzero(births != None).tolist():  # noqa: E711 (elementwise)
        groups.setdefault(uf.find(pos), {}).setdefault(births[pos], []).append(pos)
    pairs: list[tuple[list[int], list[int]]] = []
    for dates in groups.values():
        supported = [members for members in dates.values() if len(members) >= _SUPPORT]
        for i, first in enumerate(supported):
            pairs.extend((first, other) for other in supported[i + 1 :])
    if not pairs:
        return []
    comparison = model.comparisons[names.index("birth_date")]
    left = np.array([a[0] for a, _ in pairs], dtype=np.int64)
    right = np.array([b[0] for _, b in pairs], dtype=np.int64)
    gamma = evaluate_comparison(comparison, (table, table), (left, right))
    weights = np.array([level_weight(level) for level in comparison.levels])[gamma]
    out: list[tuple[int, int]] = []
    for (first, other), weight in zip(pairs, weights.tolist(), strict=True):
        if weight < 0:
            out.extend((a, b) for a in first for b in other if not known(a, b))
    return out
