"""Estimating the model from the data, without labels.

- u (P(level | non-match)) from random pairs: almost every random pair is two strangers.
- m (P(level | match)) and the share of matches among candidate pairs by
  expectation-maximisation over the candidate pairs' comparison vectors, with u held fixed.
  Identical comparison vectors are grouped first, so EM runs over a few thousand patterns
  whatever the number of pairs.
- The prior (probability that two random records match) = matches among candidates / all pairs.
- Term frequencies of the values of `tf` levels, kept for values at least `tf_minimum` common.
- Whether the data holds households (`household_evidence_suffices`): among candidate pairs that
  agree on what a family shares (family name, and street or phone) with given name and birth
  date both present, the share where both disagree, against the share the learned m values
  predict if all were one person's records (corruption alone). Far more means families
  (the built-in rule stays: such a pair needs a given name or birth date to agree); no more
  means none (Febrl), and the evidence decides alone.
- Where families are found, m is estimated again (`em.estimate_m_by_rule`): relatives are a
  class of their own in EM, so their pairs no longer pass for matches whose given name and
  birth date differ (which made those disagreements weigh -1.1 bits on a CRM export, against
  -5 and -4 learned now), and each blocking rule's pairs teach only the comparisons the rule
  did not block on.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from identity.clustering import ConstrainedUnionFind
from identity.comparisons import Comparison, comparison_vectors
from identity.em import clip, estimate_m_by_em, estimate_m_by_rule, level_frequencies
from identity.model import MatchModel
from identity.records import RecordTable
from identity.scoring import level_weight

__all__ = [
    "TrainingReport",
    "estimate_m_by_em",
    "estimate_u",
    "household_test",
    "term_frequencies",
    "train",
]

HOUSEHOLD_MIN_PAIRS = 50
"""Fewer household-shaped pairs than this cannot tell: the built-in rule stays."""
PERSONAL = ("given_name", "birth_date")
"""What a family does not share: relatives agree on these no more than strangers do."""

Index = npt.NDArray[np.int64]


@dataclass(frozen=True)
class TrainingReport:
    random_pairs: int
    candidate_pairs: int
    patterns: int
    iterations: int
    candidate_match_share: float
    prior: float


def estimate_u(
    model: MatchModel, table: RecordTable, *, pairs: int = 200_000, seed: int = 42
) -> MatchModel:
    """u from `pairs` random record pairs."""
    n = len(table)
    if n < 2:
        return model
    rng = np.random.default_rng(seed)
    left = rng.integers(0, n, pairs)
    right = rng.integers(0, n, pairs)
    keep = left != right
    gamma = comparison_vectors(model.comparisons, (table, table), (left[keep], right[keep]))
    comparisons = []
    for k, comparison in enumerate(model.comparisons):
        u = level_frequencies(gamma, comparison, k)
        levels = tuple(
            level.with_mu(level.m, None if level.is_neutral else clip(u[i]))
            for i, level in enumerate(comparison.levels)
        )
        comparisons.append(
            Comparison(comparison.field, levels, comparison.description, comparison.name)
        )
    return model.replace(comparisons=tuple(comparisons))


def _weights(model: MatchModel, gamma: npt.NDArray[np.int8], name: str) -> npt.NDArray[np.float64]:
    k = [c.output_name for c in model.comparisons].index(name)
    table = np.array([level_weight(level) for level in model.comparisons[k].levels])
    return table[gamma[:, k]]


def _present(model: MatchModel, gamma: npt.NDArray[np.int8], name: str) -> npt.NDArray[np.bool_]:
    k = [c.output_name for c in model.comparisons].index(name)
    null = np.array([level.kind == "null" for level in model.comparisons[k].levels])
    return ~null[gamma[:, k]]


def _disagree_share(model: MatchModel, name: str) -> float:
    """P(the comparison disagrees | match), from the learned m (non-neutral levels)."""
    levels = [lv for lv in model.comparison(name).levels if not lv.is_neutral]
    total = sum(lv.m or 0.0 for lv in levels)
    against = sum(lv.m or 0.0 for lv in levels if level_weight(lv) < 0)
    return against / total if total else 0.0


def household_test(model: MatchModel, gamma: npt.NDArray[np.int8]) -> dict[str, float] | None:
    """(pairs looked at, observed share of both personal fields disagreeing, the share
    corruption alone predicts), or None when the model lacks the comparisons it needs."""
    names = {c.output_name for c in model.comparisons}
    if not {"given_name", "birth_date", "family_name"} <= names or not len(gamma):
        return None
    family = _weights(model, gamma, "family_name") > 0
    shared = np.zeros(len(gamma), dtype=bool)
    for name in ("address", "phone"):
        if name in names:
            shared |= _weights(model, gamma, name) > 0
    both = (
        family
        & shared
        & _present(model, gamma, "given_name")
        & _present(model, gamma, "birth_date")
    )
    apart = (_weights(model, gamma, "given_name") < 0) & (_weights(model, gamma, "birth_date") < 0)
    pairs = int(both.sum())
    observed = float((apart & both).sum() / pairs) if pairs else 0.0
    expected = _disagree_share(model, "given_name") * _disagree_share(model, "birth_date")
    return {"pairs": pairs, "observed": round(observed, 5), "expected": round(expected, 5)}


def term_frequencies(
    model: MatchModel, table: RecordTable, *, limit: int = 20_000
) -> dict[str, dict[str, float]]:
    """Relative frequency of each value of every column with a `tf` level."""
    columns = {level.column or c.field for c in model.comparisons for level in c.levels if level.tf}
    tables: dict[str, dict[str, float]] = {}
    for column in sorted(columns):
        values = [v for v in table.column(column) if v is not None]
        if not values:
            continue
        total = len(values)
        floor = model.tf_minimum * total
        counts = Counter(values).most_common(limit)
        tables[column] = {value: count / total for value, count in counts if count >= floor}
    return tables


def _identifier_clusters(table: RecordTable, model: MatchModel) -> tuple[Index, int]:
    """Clusters by the unguarded identifiers (customer, loyalty, user, anonymous ids...) and
    the number of record pairs inside them: matches the candidates alone would not count."""
    kinds = {rule.kind for rule in model.identifier_rules if not rule.guarded}
    uf = ConstrainedUnionFind(len(table))
    groups: dict[tuple[str, str], list[int]] = {}
    for pos, record in enumerate(table.records):
        for identifier in record.identifiers:
            if identifier[0] in kinds:
                groups.setdefault(identifier, []).append(pos)
    for members in groups.values():
        if 1 < len(members) <= model.max_block_size:
            for other in members[1:]:
                uf.union(members[0], other, strict=False)
    labels = np.array(uf.labels(), dtype=np.int64)
    sizes = np.bincount(labels).astype(np.int64)
    return labels, int((sizes * (sizes - 1) // 2).sum())


def train(
    model: MatchModel,
    table: RecordTable,
    candidates: tuple[Index, Index],
    *,
    seed: int = 42,
    max_em_pairs: int = 1_000_000,
    keys: Mapping[str, npt.NDArray[np.object_]] | None = None,
    vectors: npt.NDArray[np.int8] | None = None,
) -> tuple[MatchModel, TrainingReport]:
    """u from random pairs, m and the prior by EM over `candidates`, term frequencies
    (`keys`: each blocking rule's keys by record, from `candidate_pairs`, and `vectors`:
    the candidates' comparison vectors, to save computing them again)."""
    n = len(table)
    model = estimate_u(model, table, seed=seed)
    sample = candidates
    pick = None
    if len(candidates[0]) > max_em_pairs:
        # EM only needs the pattern frequencies; a uniform sample estimates them well.
        pick = np.random.default_rng(seed).choice(len(candidates[0]), max_em_pairs, replace=False)
        sample = (candidates[0][pick], candidates[1][pick])
    if vectors is None:
        gamma = comparison_vectors(model.comparisons, (table, table), sample)
    else:
        # Levels do not depend on m and u: the candidates' vectors, computed once.
        gamma = vectors if pick is None else vectors[pick]
    base = model
    model, share, patterns, iterations = estimate_m_by_em(base, gamma)
    households = household_test(model, gamma)
    suffices = model.household_evidence_suffices
    if households is not None and households["pairs"] >= HOUSEHOLD_MIN_PAIRS:
        suffices = suffices or households["observed"] <= households["expected"]
    if not suffices:
        # Families are in the data: estimate again with relatives as a class of their own.
        model, share, patterns, iterations = estimate_m_by_rule(
            base, table, sample, gamma, personal=PERSONAL, keys=keys
        )
    all_pairs = max(n * (n - 1) / 2, 1.0)
    labels, known = _identifier_clusters(table, model)
    outside = int(np.count_nonzero(labels[candidates[0]] != labels[candidates[1]]))
    prior = float(min(max((known + share * outside) / all_pairs, 1e-12), 0.5))
    report = TrainingReport(200_000, len(candidates[0]), patterns, iterations, share, prior)
    trained: dict[str, object] = {
        "records": n,
        "candidate_pairs": len(candidates[0]),
        "candidate_match_share": round(share, 6),
        "em_iterations": iterations,
    }
    if households is not None:
        trained["households"] = households
    tf_tables = term_frequencies(model, table)
    return model.replace(
        prior=prior,
        tf_tables=tf_tables,
        trained=trained,
        household_evidence_suffices=suffices,
    ), report
