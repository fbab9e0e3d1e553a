"""Comparisons declared as data, splink-style, and their vectorised evaluation.

A `Comparison` looks at one feature of two records and puts the pair in exactly one of its
ordered `ComparisonLevel`s: the first level whose condition holds wins. A null level comes
first (weight 0: missing data is no evidence) and an else level comes last.

    GIVEN_NAME = Comparison("given_name", levels=(
        null_level(), exact_level(label="exact given name", tf=True),
        jaro_winkler_level(0.92, label="given names JW >= 0.92"), else_level(),
    ))

Levels are evaluated over numpy arrays of candidate pairs (`identity._levels`): rapidfuzz's
`cpdist`, integer codes, and tests run once per distinct pair of values, never a Python loop
per pair.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from identity._levels import level_mask
from identity._pairwise import TRANSFORMS
from identity.records import RecordTable

__all__ = [
    "LEVEL_KINDS",
    "TRANSFORMS",
    "Comparison",
    "ComparisonLevel",
    "Vectors",
    "comparison_vectors",
    "date_transposed_level",
    "differ_level",
    "else_level",
    "email_typo_level",
    "evaluate_comparison",
    "exact_level",
    "implied_level",
    "initial_level",
    "jaro_winkler_level",
    "levenshtein_level",
    "made_of_level",
    "nickname_level",
    "null_level",
    "same_formal_name_level",
    "swapped_level",
    "swapped_one_name_level",
]

LEVEL_KINDS = (
    "null",
    "exact",
    "jaro_winkler",
    "levenshtein",
    "swapped",
    "swapped_one_name",
    "date_transposed",
    "implied",
    "made_of",
    "initial",
    "nickname",
    "same_formal_name",
    "osa",
    "email_typo",
    "differ",
    "else",
)


@dataclass(frozen=True)
class ComparisonLevel:
    """One level of a comparison: a condition, a human label, and its m and u probabilities.

    Attributes:
        label: shown in explanations ("exact email").
        kind: one of `LEVEL_KINDS`.
        column: the record column compared (defaults to the comparison's field).
        threshold: JW similarity floor, or the maximum Levenshtein distance.
        transform: a `TRANSFORMS` name applied to both values first (e.g. `initial`).
        other: for `swapped`, the column the field is crossed with (given <-> family name);
            for `implied`, the column whose equality explains the likeness.
        tf: adjust the weight by the value's term frequency (rare values weigh more).
        neutral: no evidence either way, never estimated: what another comparison already
            counts (a swap of given and family name is counted once, by the given name).
        m, u: P(level | match), P(level | non-match); None until estimated.
    """

    label: str
    kind: str
    column: str | None = None
    threshold: float | None = None
    transform: str | None = None
    other: str | None = None
    tf: bool = False
    neutral: bool = False
    m: float | None = None
    u: float | None = None

    @property
    def is_neutral(self) -> bool:
        """Whether the level is no evidence either way (weight 0, never estimated): data
        missing on either side (`null`), or a likeness another comparison counts (`implied`,
        or a level marked `neutral`)."""
        return self.neutral or self.kind in ("null", "implied", "made_of")

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None and v is not False}

    def with_mu(self, m: float | None, u: float | None) -> ComparisonLevel:
        return replace(self, m=m, u=u)


@dataclass(frozen=True)
class Comparison:
    """An ordered list of levels over one feature (`field`, a `RecordTable` column)."""

    field: str
    levels: tuple[ComparisonLevel, ...]
    description: str = ""
    name: str = ""

    @property
    def output_name(self) -> str:
        return self.name or self.field

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"field": self.field, "levels": [x.to_dict() for x in self.levels]}
        if self.name:
            data["name"] = self.name
        if self.description:
            data["description"] = self.description
        return data


def null_level(label: str = "missing on either side") -> ComparisonLevel:
    return ComparisonLevel(label=label, kind="null")


def else_level(label: str = "all other comparisons") -> ComparisonLevel:
    return ComparisonLevel(label=label, kind="else")


def exact_level(
    label: str, *, column: str | None = None, transform: str | None = None, tf: bool = False
) -> ComparisonLevel:
    return ComparisonLevel(label=label, kind="exact", column=column, transform=transform, tf=tf)


def jaro_winkler_level(threshold: float, label: str | None = None) -> ComparisonLevel:
    return ComparisonLevel(
        label=label or f"Jaro-Winkler >= {threshold}", kind="jaro_winkler", threshold=threshold
    )


def osa_level(distance: int, label: str) -> ComparisonLevel:
    """Optimal string alignment distance at most `distance`: substitutions, insertions,
    deletions and swaps of two adjacent characters (`1956-04-09`, `1965-04-09`)."""
    return ComparisonLevel(label=label, kind="osa", threshold=distance)


def email_typo_level(label: str = "same domain, mailbox one typo apart") -> ComparisonLevel:
    """Same domain and mailbox names one edit apart (a swap of two adjacent characters counts
    as one), where the edit changes no digit: `jon.smith@` and `jno.smith@` are a typo,
    `donna42@` and `donna7@` two people's numbers."""
    return ComparisonLevel(label=label, kind="email_typo")


def levenshtein_level(distance: int, label: str | None = None) -> ComparisonLevel:
    return ComparisonLevel(
        label=label or f"Levenshtein <= {distance}", kind="levenshtein", threshold=distance
    )


def swapped_level(other: str, label: str, threshold: float | None = None) -> ComparisonLevel:
    """The field equals the other record's `other` column and the other way round; with a
    `threshold`, each crossed pair needs only a Jaro-Winkler similarity that high or to be
    nicknames of one formal name (a swap with a typo or a nickname: `vasquez kimberly`,
    `kim vasquez`)."""
    return ComparisonLevel(label=label, kind="swapped", other=other, threshold=threshold)


def implied_level(
    label: str, *, by: str, transform: str | None = None, threshold: float = 1.0
) -> ComparisonLevel:
    """Values alike (equal after `transform`, or Jaro-Winkler >= `threshold`) on two records
    whose `by` column is equal, where the likeness follows from that equality: two people
    named John Smith often have emails alike (`john.smith@`, `john.smith2@`), so an alike
    email on top of equal names is no more evidence than the names, which their own
    comparisons count. Weight 0, not estimated. Put it before the levels it stands in for."""
    return ComparisonLevel(
        label=label, kind="implied", other=by, transform=transform, threshold=threshold
    )


def differ_level(label: str, *, column: str) -> ComparisonLevel:
    """Both records have `column` and its values differ: names in Chinese characters that are
    written differently but read alike in pinyin (王 and 汪, both Wang) are two names, whatever
    the pinyin levels after this one would say. Put it right after the null level."""
    return ComparisonLevel(label=label, kind="differ", column=column)


def made_of_level(label: str, *, of: str, transform: str | None = None) -> ComparisonLevel:
    """Equal values made of nothing but the words of either record's `of` column (after
    `transform`, ignoring separators; digits make a value its own), on two records whose `of`
    columns are alike (Jaro-Winkler >= 0.9): two people named
    Christopher Ramos are often both given `christopher.ramos@`, so such an address shared is
    no more evidence than the names, which their own comparisons count. Weight 0, not
    estimated. Put it before the exact level."""
    return ComparisonLevel(label=label, kind="made_of", other=of, transform=transform)


def swapped_one_name_level(other: str, label: str) -> ComparisonLevel:
    """One record has only this field (its `other` column is missing), and it equals the other
    record's `other` column: `christine` against `estrada christine` written family first."""
    return ComparisonLevel(label=label, kind="swapped_one_name", other=other)


def initial_level(label: str = "an initial matches the name") -> ComparisonLevel:
    return ComparisonLevel(label=label, kind="initial")


def nickname_level(label: str = "a nickname of the other") -> ComparisonLevel:
    return ComparisonLevel(label=label, kind="nickname")


def same_formal_name_level(label: str = "nicknames of one formal name") -> ComparisonLevel:
    return ComparisonLevel(label=label, kind="same_formal_name")


def date_transposed_level(label: str = "day and month transposed") -> ComparisonLevel:
    return ComparisonLevel(label=label, kind="date_transposed")


Index = npt.NDArray[np.int64]
Vectors = npt.NDArray[np.int8]
"""A (pairs x comparisons) matrix of level indices."""


def evaluate_comparison(
    comparison: Comparison,
    tables: tuple[RecordTable, RecordTable],
    idx: tuple[Index, Index],
) -> npt.NDArray[np.int8]:
    """The level index of every pair (`tables[0][idx[0][k]]`, `tables[1][idx[1][k]]`)."""
    n = len(idx[0])
    out = np.full(n, -1, dtype=np.int8)
    pending = np.arange(n)
    for position, level in enumerate(comparison.levels):
        if pending.size == 0:
            break
        mask = level_mask(level, comparison.field, tables, (idx[0][pending], idx[1][pending]))
        out[pending[mask]] = position
        pending = pending[~mask]
    out[pending] = len(comparison.levels) - 1
    return out


def comparison_vectors(
    comparisons: tuple[Comparison, ...],
    tables: tuple[RecordTable, RecordTable],
    idx: tuple[Index, Index],
) -> npt.NDArray[np.int8]:
    """A (pairs x comparisons) matrix of level indices."""
    matrix = np.empty((len(idx[0]), len(comparisons)), dtype=np.int8)
    for column, comparison in enumerate(comparisons):
        matrix[:, column] = evaluate_comparison(comparison, tables, idx)
    return matrix
