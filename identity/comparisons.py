"""Comparisons declared as data, splink-style, and their vectorised evaluation.

A `Comparison` looks at one feature of two records and puts the pair in exactly one of its
ordered `ComparisonLevel`s: the first level whose condition holds wins. A null level comes
first (weight 0: missing data is no evidence) and an else level comes last.

    GIVEN_NAME = Comparison("given_name", levels=(
        null_level(), exact_level(label="exact given name", tf=True),
        jaro_winkler_level(0.92, label="given names JW >= 0.92"), else_level(),
    ))

Levels are evaluated over numpy arrays of candidate pairs with rapidfuzz's `cpdist`, never
with a Python loop per pair.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt
from rapidfuzz.distance import OSA, JaroWinkler, Levenshtein
from rapidfuzz.process import cpdist

from identity.records import RecordTable, formal_given_names, is_nickname_pair

__all__ = [
    "LEVEL_KINDS",
    "TRANSFORMS",
    "Comparison",
    "ComparisonLevel",
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


def _initial(value: str) -> str:
    return value[:1]


def _local_part(value: str) -> str:
    return value.partition("@")[0]


def _last7(value: str) -> str:
    return value[-7:]


def _year(value: str) -> str:
    return value[:4]


def _prefix3(value: str) -> str:
    return value[:3]


def _first_word(value: str) -> str:
    return value.split(" ", 1)[0]


TRANSFORMS: dict[str, Callable[[str], str]] = {
    "initial": _initial,
    "local_part": _local_part,
    "last7": _last7,
    "year": _year,
    "prefix3": _prefix3,
    "first_word": _first_word,
}


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


def _alike(a: str | None, b: str | None) -> bool:
    """Both records carry names, and alike ones (the namesakes a name-made address fits)."""
    return bool(a and b and JaroWinkler.similarity(a, b) >= 0.9)


def _made_of(value: str, words: str | None) -> bool:
    if not words or any(ch.isdigit() for ch in value):
        return False
    letters = "".join(ch for ch in value if ch.isalpha())
    parts = words.split()
    if len(parts) > 3:
        return False
    for order in itertools.permutations(parts):
        if letters in ("".join(order), order[0][:1] + "".join(order[1:])):
            return True
    return False


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
Mask = npt.NDArray[np.bool_]


def _values(table: RecordTable, column: str, idx: Index) -> npt.NDArray[np.object_]:
    return table.column(column)[idx]


def _other_values(
    level: ComparisonLevel,
    field_name: str,
    tables: tuple[RecordTable, RecordTable],
    idx: tuple[Index, Index],
) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.object_]]:
    """Both sides' values of the field a swap level crosses with (`level.other`)."""
    other = level.other or field_name
    return _values(tables[0], other, idx[0]), _values(tables[1], other, idx[1])


def _as_str(values: npt.NDArray[np.object_]) -> list[str]:
    return [v if v is not None else "" for v in values]


def _level_mask(
    level: ComparisonLevel,
    field_name: str,
    tables: tuple[RecordTable, RecordTable],
    idx: tuple[Index, Index],
) -> Mask:
    column = level.column or field_name
    left = _values(tables[0], column, idx[0])
    right = _values(tables[1], column, idx[1])
    if level.kind == "null":
        return np.asarray((left == None) | (right == None), dtype=bool)  # noqa: E711
    if level.kind == "else":
        return np.ones(len(left), dtype=bool)
    if level.kind == "exact":
        return _equal(left, right, level.transform)
    if level.kind == "jaro_winkler":
        return _jaro_winkler(left, right, level.threshold or 0.0)
    if level.kind == "levenshtein":
        cutoff = int(level.threshold or 0)
        dist = cpdist(
            _as_str(left),
            _as_str(right),
            scorer=Levenshtein.distance,
            processor=None,
            score_cutoff=cutoff,
            workers=1,
        )
        return np.asarray(dist <= cutoff, dtype=bool)
    if level.kind == "osa":
        cutoff = int(level.threshold or 0)
        dist = cpdist(
            _as_str(left),
            _as_str(right),
            scorer=OSA.distance,
            processor=None,
            score_cutoff=cutoff,
            workers=1,
        )
        present = np.asarray((left != None) & (right != None), dtype=bool)  # noqa: E711
        return np.asarray(dist <= cutoff, dtype=bool) & present  # type: ignore[no-any-return]
    if level.kind == "email_typo":
        return np.fromiter(
            (_is_email_typo(a, b) for a, b in zip(left, right, strict=True)), bool, len(left)
        )
    if level.kind == "swapped":
        left_other, right_other = _other_values(level, field_name, tables, idx)
        present = np.asarray(left != None, dtype=bool)  # noqa: E711
        if level.threshold is None:
            return present & (left == right_other) & (left_other == right)  # type: ignore[no-any-return]
        crossed = [
            _jaro_winkler(left, right_other, level.threshold)
            | _nicknames(left, right_other)
            | _initial_of(left, right_other),
            _jaro_winkler(left_other, right, level.threshold)
            | _nicknames(left_other, right)
            | _initial_of(left_other, right),
        ]
        return present & crossed[0] & crossed[1]
    if level.kind == "implied":
        left_by, right_by = _other_values(level, field_name, tables, idx)
        out = _equal(left_by, right_by)
        # Few pairs share the explaining value: only those are compared.
        rows = np.flatnonzero(out)
        a, b = left[rows], right[rows]
        out[rows] = _equal(a, b, level.transform) | _jaro_winkler(a, b, level.threshold or 1.0)
        return out
    if level.kind == "differ":
        present = np.asarray((left != None) & (right != None), dtype=bool)  # noqa: E711
        return present & ~_equal(left, right)
    if level.kind == "made_of":
        out = _equal(left, right)
        rows = np.flatnonzero(out)
        transform = TRANSFORMS[level.transform] if level.transform else str
        left_by, right_by = _other_values(level, field_name, tables, idx)
        out[rows] = [
            (_made_of(transform(left[i]), left_by[i]) or _made_of(transform(left[i]), right_by[i]))
            and _alike(left_by[i], right_by[i])
            for i in rows.tolist()
        ]
        return out
    if level.kind == "swapped_one_name":
        left_other, right_other = _other_values(level, field_name, tables, idx)
        left_alone = np.asarray(left_other == None, dtype=bool)  # noqa: E711
        right_alone = np.asarray(right_other == None, dtype=bool)  # noqa: E711
        present = np.asarray((left != None) & (right != None), dtype=bool)  # noqa: E711
        left_swapped = ~left_alone & right_alone & np.asarray(left_other == right, dtype=bool)
        right_swapped = left_alone & ~right_alone & np.asarray(left == right_other, dtype=bool)
        return present & (left_swapped | right_swapped)  # type: ignore[no-any-return]
    if level.kind == "initial":
        return np.fromiter(
            (
                _is_initial_of(a, b) or _is_initial_of(b, a)
                for a, b in zip(left, right, strict=True)
            ),
            bool,
            len(left),
        )
    if level.kind == "nickname":
        return np.fromiter(
            (is_nickname_pair(a, b) for a, b in zip(left, right, strict=True)), bool, len(left)
        )
    if level.kind == "same_formal_name":
        return _nicknames(left, right)
    if level.kind == "date_transposed":
        swapped = np.array([f"{v[:4]}-{v[8:10]}-{v[5:7]}" if v else None for v in left])
        return np.asarray(swapped == right, dtype=bool) & (left != right)  # type: ignore[no-any-return]
    raise ValueError(f"unknown level kind {level.kind!r}; expected one of {LEVEL_KINDS}")


def _equal(
    left: npt.NDArray[np.object_], right: npt.NDArray[np.object_], transform: str | None = None
) -> Mask:
    """Pairs whose values are present and equal (after `transform`, a `TRANSFORMS` name)."""
    if transform is not None:
        fn = TRANSFORMS[transform]
        left = np.array([fn(v) if v else None for v in left], dtype=object)
        right = np.array([fn(v) if v else None for v in right], dtype=object)
    present = np.asarray(left != None, dtype=bool)  # noqa: E711
    return np.asarray(left == right, dtype=bool) & present  # type: ignore[no-any-return]


def _jaro_winkler(
    left: npt.NDArray[np.object_], right: npt.NDArray[np.object_], threshold: float
) -> Mask:
    """Pairs whose Jaro-Winkler similarity reaches `threshold` (a missing value never does)."""
    scores = cpdist(
        _as_str(left),
        _as_str(right),
        scorer=JaroWinkler.normalized_similarity,
        processor=None,
        score_cutoff=threshold,
        workers=1,
    )
    present = np.asarray((left != None) & (right != None), dtype=bool)  # noqa: E711
    return np.asarray(scores >= threshold, dtype=bool) & present  # type: ignore[no-any-return]


def _initial_of(left: npt.NDArray[np.object_], right: npt.NDArray[np.object_]) -> Mask:
    """Pairs where one value is a single letter, the other's first (`e` and `edward`)."""
    return np.fromiter(
        (
            bool(a and b and a != b and (len(a) == 1 or len(b) == 1) and a[0] == b[0])
            for a, b in zip(left, right, strict=True)
        ),
        bool,
        len(left),
    )


def _nicknames(left: npt.NDArray[np.object_], right: npt.NDArray[np.object_]) -> Mask:
    """Pairs of given names that may stand for one formal name (`bobby`, `rob`)."""
    return np.fromiter(
        (
            bool(a and b and formal_given_names(a) & formal_given_names(b))
            for a, b in zip(left, right, strict=True)
        ),
        bool,
        len(left),
    )


def _is_email_typo(left: str | None, right: str | None) -> bool:
    if not left or not right or left == right:
        return False
    left_box, _, left_domain = left.rpartition("@")
    right_box, _, right_domain = right.rpartition("@")
    if left_domain != right_domain or min(len(left_box), len(right_box)) < 4:
        return False
    if OSA.distance(left_box, right_box, score_cutoff=1) > 1:
        return False
    return sorted(filter(str.isdigit, left_box)) == sorted(filter(str.isdigit, right_box))


def _is_initial_of(short: str | None, full: str | None) -> bool:
    return bool(short and full and len(short) == 1 and full[0] == short)


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
        mask = _level_mask(level, comparison.field, tables, (idx[0][pending], idx[1][pending]))
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
