"""Fellegi-Sunter scoring: match weights `log2(m/u)` per comparison level, term-frequency
adjustments (rare values weigh more), vetoes, and explanations.

Total weight = prior + Σ level weights (+ TF adjustments); probability = 2^w / (1 + 2^w). The
prior is the log-odds that two records drawn at random are the same person, so the same
probability threshold demands more evidence as the data grows (more strangers to confuse).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from identity.comparisons import Comparison, ComparisonLevel, comparison_vectors
from identity.model import MatchModel
from identity.records import RecordTable

__all__ = [
    "M_U_CLAMP_MIN",
    "Contribution",
    "MatchExplanation",
    "ScoredPairs",
    "bayes_factor_sentence",
    "eligible",
    "explain_pair",
    "level_weight",
    "probability",
    "score_pairs",
]

PERSONAL_FIELDS = frozenset({"given_name", "birth_date"})
NAME_FIELDS = frozenset({"given_name", "family_name", "given_canonical", "name_tokens"})
M_U_CLAMP_MIN = 1e-6
M_U_CLAMP_MAX = 1 - 1e-6

Index = npt.NDArray[np.int64]


def _clamp(value: float | None) -> float:
    return float(min(max(value if value is not None else 0.5, M_U_CLAMP_MIN), M_U_CLAMP_MAX))


def level_weight(level: ComparisonLevel) -> float:
    if level.is_neutral:
        return 0.0
    return math.log2(_clamp(level.m) / _clamp(level.u))


def probability(weight: float) -> float:
    if weight > 60:
        return 1.0
    odds = 2.0**weight
    return float(odds / (1 + odds))


def prior_weight(model: MatchModel) -> float:
    return math.log2(model.prior / (1 - model.prior))


def bayes_factor_sentence(label: str, weight: float) -> str:
    factor = 2.0 ** abs(weight)
    if weight == 0:
        return f"`{label}`: no evidence either way"
    direction = "more" if weight > 0 else "less"
    return (
        f"If comparison level is `{label}` then comparison is {factor:,.2f} times "
        f"{direction} likely to be a match"
    )


def _tf(model: MatchModel, column: str, value: str | None) -> float:
    table = model.tf_tables.get(column)
    if table is None or value is None:
        return 0.0
    return max(table.get(value, 0.0), model.tf_minimum)


def _tf_adjustment(
    model: MatchModel, level: ComparisonLevel, column: str, value: str | None
) -> float:
    frequency = _tf(model, column, value)
    if not level.tf or frequency == 0.0:
        return 0.0
    return math.log2(_clamp(level.u) / frequency)


@dataclass(frozen=True)
class ScoredPairs:
    """Candidate pairs with their level indices (`gamma`), total weights and veto flags."""

    left: Index
    right: Index
    gamma: npt.NDArray[np.int8]
    total: npt.NDArray[np.float64]
    vetoed: npt.NDArray[np.bool_]
    corroborated: npt.NDArray[np.bool_] | None = None
    """True where something other than the names agrees (a positive non-name level)."""
    personal: npt.NDArray[np.bool_] | None = None
    """True where something only one person has agrees (given name or birth date), not only
    what a household shares (family name, address, phone)."""
    apart: npt.NDArray[np.bool_] | None = None
    """True where what only one person has disagrees (given name or birth date) and none of
    it agrees: the evidence of two people (a household's, sharing an email or a phone), which
    keeps a third record from joining them."""
    contradicted: npt.NDArray[np.bool_] | None = None
    """True where some comparison weighs against the match (a negative level)."""

    @property
    def kept_apart(self) -> npt.NDArray[np.bool_]:
        """Vetoed (a model's own vetoes, if it declares any) or evidence of two people."""
        return self.vetoed if self.apart is None else self.vetoed | self.apart

    def __len__(self) -> int:
        return len(self.left)


@functools.lru_cache(maxsize=256)
def _weight_table(comparison: Comparison) -> npt.NDArray[np.float64]:
    """Each level's weight (cached: a comparison is immutable, and an incremental run scores
    a few pairs with the same model again and again)."""
    weights = np.array([level_weight(level) for level in comparison.levels])
    weights.flags.writeable = False
    return weights


def score_pairs(
    model: MatchModel,
    tables: tuple[RecordTable, RecordTable],
    idx: tuple[Index, Index],
    vectors: npt.NDArray[np.int8] | None = None,
) -> ScoredPairs:
    """Score every candidate pair at once (vectorised per comparison level); `vectors`, the
    pairs' comparison vectors if already computed."""
    gamma = comparison_vectors(model.comparisons, tables, idx) if vectors is None else vectors
    total = np.full(len(idx[0]), prior_weight(model))
    vetoed = np.zeros(len(idx[0]), dtype=bool)
    corroborated = np.zeros(len(idx[0]), dtype=bool)
    personal = np.zeros(len(idx[0]), dtype=bool)
    disagree = np.zeros(len(idx[0]), dtype=bool)
    contradicted = np.zeros(len(idx[0]), dtype=bool)
    for k, comparison in enumerate(model.comparisons):
        weights = _weight_table(comparison)
        total += weights[gamma[:, k]]
        contradicted |= weights[gamma[:, k]] < 0
        total += _tf_adjustments(model, comparison, gamma[:, k], tables[0], idx[0])
        vetoed |= _veto_mask(model, comparison, gamma[:, k])
        if comparison.field not in NAME_FIELDS:
            corroborated |= weights[gamma[:, k]] > 0
        if comparison.field in PERSONAL_FIELDS:
            personal |= weights[gamma[:, k]] > 0
            disagree |= weights[gamma[:, k]] < 0
    # Evidence of two people only where households exist (training tells, `training.py`).
    apart = disagree & ~personal & (not model.household_evidence_suffices)
    return ScoredPairs(
        idx[0], idx[1], gamma, total, vetoed, corroborated, personal, apart, contradicted
    )


def _tf_adjustments(
    model: MatchModel,
    comparison: Comparison,
    gamma: npt.NDArray[np.int8],
    table: RecordTable,
    idx: Index,
) -> npt.NDArray[np.float64]:
    out = np.zeros(len(gamma))
    for position, level in enumerate(comparison.levels):
        column = level.column or comparison.field
        if not level.tf or column not in model.tf_tables:
            continue
        at_level = np.flatnonzero(gamma == position)
        if at_level.size == 0:
            continue
        per_value = _frequencies(table, column, model.tf_tables[column])
        frequency = np.maximum(per_value[table.codes(column)[idx[at_level]]], model.tf_minimum)
        out[at_level] = np.log2(_clamp(level.u) / frequency)
    return out


def _frequencies(
    table: RecordTable, column: str, frequencies: dict[str, float]
) -> npt.NDArray[np.float64]:
    """Each distinct value's term frequency, by code (0 for the last entry, code -1), looked
    up once per table and table of frequencies."""

    def build() -> tuple[dict[str, float], npt.NDArray[np.float64]]:
        found = [frequencies.get(value, 0.0) for value in table.distinct(column)]
        return frequencies, np.array([*found, 0.0], dtype=float)

    held, per_value = table.memo(f"tf:{column}:{id(frequencies)}", build)
    return per_value if held is frequencies else build()[1]


def _veto_mask(
    model: MatchModel, comparison: Comparison, gamma: npt.NDArray[np.int8]
) -> npt.NDArray[np.bool_]:
    positions = [
        i
        for veto in model.vetoes
        if veto.comparison == comparison.output_name
        for i, level in enumerate(comparison.levels)
        if level.label in veto.levels
    ]
    if not positions:
        return np.zeros(len(gamma), dtype=bool)
    return np.isin(gamma, positions)


@dataclass(frozen=True)
class Contribution:
    """One comparison's part in a match weight (a row of the waterfall)."""

    comparison: str
    label: str
    level: int
    weight: float
    m: float | None
    u: float | None
    tf_adjustment: float
    left_value: str | None
    right_value: str | None
    is_veto: bool
    sentence: str


@dataclass(frozen=True)
class MatchExplanation:
    """Why two records are (not) the same person: prior, contributions, total, probability."""

    prior_weight: float
    contributions: tuple[Contribution, ...]
    total: float
    probability: float
    vetoes: tuple[str, ...]
    decision: str
    model_version: str

    @property
    def kept_apart_by(self) -> tuple[Contribution, ...]:
        """Vetoes first, then the contributions that lowered the weight, most negative first."""
        negatives = sorted(
            (c for c in self.contributions if c.weight + c.tf_adjustment < 0),
            key=lambda c: c.weight + c.tf_adjustment,
        )
        return tuple([c for c in negatives if c.is_veto] + [c for c in negatives if not c.is_veto])

    def to_dict(self) -> dict[str, object]:
        return {
            "prior_weight": round(self.prior_weight, 4),
            "total": round(self.total, 4),
            "probability": self.probability,
            "decision": self.decision,
            "vetoes": list(self.vetoes),
            "model_version": self.model_version,
            "comparisons": [
                {
                    "comparison": c.comparison,
                    "label": c.label,
                    "weight": round(c.weight, 4),
                    "tf_adjustment": round(c.tf_adjustment, 4),
                    "left": c.left_value,
                    "right": c.right_value,
                    "veto": c.is_veto,
                }
                for c in self.contributions
            ],
        }


def eligible(model: MatchModel, scored: ScoredPairs) -> npt.NDArray[np.bool_]:
    """Pairs whose evidence may merge them: not vetoed, and not only what a household (or,
    if configured, a name) shares."""
    out = ~scored.vetoed
    if not model.names_alone_suffice and scored.corroborated is not None:
        # Two people with one name are common at scale: names alone go to review.
        out &= scored.corroborated
    if not model.household_evidence_suffices and scored.personal is not None:
        # A household shares a surname, an address and a phone: a link also needs a given
        # name or a birth date to agree.
        out &= scored.personal
    return out


def decide(model: MatchModel, total: float, is_vetoed: bool, is_eligible: bool = True) -> str:
    if is_vetoed:
        return "rejected"
    if total >= model.match_weight and is_eligible:
        return "accepted"
    if total >= model.review_weight:
        return "review"
    return "rejected"


def explain_pair(
    model: MatchModel, tables: tuple[RecordTable, RecordTable], left: int, right: int
) -> MatchExplanation:
    """The full waterfall of one pair (row positions in `tables[0]` and `tables[1]`)."""
    idx = (np.array([left], dtype=np.int64), np.array([right], dtype=np.int64))
    scored = score_pairs(model, tables, idx)
    contributions = []
    vetoes = []
    for k, comparison in enumerate(model.comparisons):
        position = int(scored.gamma[0, k])
        level = comparison.levels[position]
        column = level.column or comparison.field
        left_value = tables[0].column(comparison.field)[left]
        right_value = tables[1].column(comparison.field)[right]
        weight = level_weight(level)
        tf = _tf_adjustment(model, level, column, tables[0].column(column)[left])
        is_veto = bool(_veto_mask(model, comparison, scored.gamma[:1, k])[0])
        if is_veto:
            vetoes.append(
                f"{comparison.output_name}: {level.label} ({left_value} vs {right_value})"
            )
        contributions.append(
            Contribution(
                comparison.output_name,
                level.label,
                position,
                weight,
                level.m,
                level.u,
                tf,
                left_value,
                right_value,
                is_veto,
                bayes_factor_sentence(level.label, weight + tf),
            )
        )
    total = float(scored.total[0])
    return MatchExplanation(
        prior_weight(model),
        tuple(contributions),
        total,
        probability(total),
        tuple(vetoes),
        decide(model, total, bool(vetoes), bool(eligible(model, scored)[0])),
        model.version,
    )
