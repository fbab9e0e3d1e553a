"""Which pairs meet a comparison level's condition, for every kind of level, in bulk.

Equality compares the records' integer codes, derived values are computed once per distinct
value, and the tests that must run in Python (nicknames, initials, a name-made address) run
once per distinct pair of values (`identity._pairwise`), never once per pair.
"""

from __future__ import annotations

import itertools
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from rapidfuzz.distance import OSA, JaroWinkler, Levenshtein
from rapidfuzz.process import cpdist

from identity._pairwise import (
    TRANSFORMS,
    Index,
    Mask,
    Tables,
    by_value_pairs,
    codes_equal,
    email_typos,
    missing,
    pair_values,
    strings,
)
from identity.records import formal_given_names, is_nickname_pair

if TYPE_CHECKING:
    from identity.comparisons import ComparisonLevel

__all__ = ["level_mask"]

Pairs = tuple[Index, Index]


def level_mask(level: ComparisonLevel, field_name: str, tables: Tables, idx: Pairs) -> Mask:
    column = level.column or field_name
    kind = level.kind
    if kind == "null":
        return missing(tables[0], column)[idx[0]] | missing(tables[1], column)[idx[1]]
    if kind == "else":
        return np.ones(len(idx[0]), dtype=bool)
    if kind == "exact":
        return _equal(tables, idx, column, level.transform)
    if kind == "jaro_winkler":
        return _jaro_winkler(tables, idx, (column, column), level.threshold or 0.0)
    if kind in ("levenshtein", "osa"):
        cutoff = int(level.threshold or 0)
        scorer = Levenshtein.distance if kind == "levenshtein" else OSA.distance
        left, right = strings(tables[0], column)[idx[0]], strings(tables[1], column)[idx[1]]
        dist = cpdist(left, right, scorer=scorer, processor=None, score_cutoff=cutoff, workers=1)
        out = np.asarray(dist <= cutoff, dtype=bool)
        if kind == "osa":
            out &= _present(tables, idx, column)
        return out
    if kind == "email_typo":
        return email_typos(tables, idx, column)
    if kind == "swapped":
        return _swapped(level, column, tables, idx)
    if kind == "implied":
        out = _equal(tables, idx, level.other or field_name)
        # Few pairs share the explaining value: only those are compared.
        rows = np.flatnonzero(out)
        sub = (idx[0][rows], idx[1][rows])
        out[rows] = _equal(tables, sub, column, level.transform) | _jaro_winkler(
            tables, sub, (column, column), level.threshold or 1.0
        )
        return out
    if kind == "differ":
        return _present(tables, idx, column) & ~_equal(tables, idx, column)
    if kind == "made_of":
        return _made_of_names(level, column, field_name, tables, idx)
    if kind == "swapped_one_name":
        other = level.other or field_name
        left, right = pair_values(tables, idx, column)
        left_other, right_other = pair_values(tables, idx, other)
        left_alone = np.asarray(left_other == None, dtype=bool)  # noqa: E711
        right_alone = np.asarray(right_other == None, dtype=bool)  # noqa: E711
        present = _present(tables, idx, column)
        left_swapped = ~left_alone & right_alone & np.asarray(left_other == right, dtype=bool)
        right_swapped = left_alone & ~right_alone & np.asarray(left == right_other, dtype=bool)
        return present & (left_swapped | right_swapped)  # type: ignore[no-any-return]
    if kind == "initial":
        return by_value_pairs(tables, idx, (column, column), _initial_either_way)
    if kind == "nickname":
        return by_value_pairs(tables, idx, (column, column), is_nickname_pair)
    if kind == "same_formal_name":
        return by_value_pairs(tables, idx, (column, column), _same_formal_name)
    if kind == "date_transposed":
        for table in tables:
            table.mapped(column, "transposed", _transposed)
        swapped = tables[0].column(f"{column}:transposed")[idx[0]]
        left, right = pair_values(tables, idx, column)
        return np.asarray((swapped == right) & (left != right), dtype=bool)
    raise ValueError(f"unknown level kind {kind!r}")


def _present(tables: Tables, idx: Pairs, column: str) -> Mask:
    return ~(missing(tables[0], column)[idx[0]] | missing(tables[1], column)[idx[1]])


def _equal(tables: Tables, idx: Pairs, column: str, transform: str | None = None) -> Mask:
    """Pairs whose values are present and equal (after `transform`, a `TRANSFORMS` name)."""
    if transform is not None:
        for table in tables:
            table.mapped(column, transform, TRANSFORMS[transform])
        column = f"{column}:{transform}"
    return codes_equal(tables, idx, column)


def _jaro_winkler(tables: Tables, idx: Pairs, columns: tuple[str, str], threshold: float) -> Mask:
    """Pairs whose Jaro-Winkler similarity reaches `threshold` (a missing value never does)."""
    left, right = strings(tables[0], columns[0])[idx[0]], strings(tables[1], columns[1])[idx[1]]
    scores = cpdist(
        left,
        right,
        scorer=JaroWinkler.normalized_similarity,
        processor=None,
        score_cutoff=threshold,
        workers=1,
    )
    present = ~(missing(tables[0], columns[0])[idx[0]] | missing(tables[1], columns[1])[idx[1]])
    return np.asarray(scores >= threshold, dtype=bool) & present


def _swapped(level: ComparisonLevel, column: str, tables: Tables, idx: Pairs) -> Mask:
    """The field equals the other record's `other` column and the other way round (with a
    threshold: each crossed pair alike, nicknames of one name, or an initial of the other)."""
    other = level.other or column
    left, right = pair_values(tables, idx, column)
    left_other, right_other = pair_values(tables, idx, other)
    present = np.asarray(left != None, dtype=bool)  # noqa: E711
    if level.threshold is None:
        return present & (left == right_other) & (left_other == right)  # type: ignore[no-any-return]
    out = present.copy()
    for columns in ((column, other), (other, column)):
        rows = np.flatnonzero(out)
        sub = (idx[0][rows], idx[1][rows])
        crossed = _jaro_winkler(tables, sub, columns, level.threshold)
        # Nicknames or an initial, only where the names are not alike already.
        rest = np.flatnonzero(~crossed)
        crossed[rest] = by_value_pairs(
            tables, (sub[0][rest], sub[1][rest]), columns, _nickname_or_initial
        )
        out[rows] = crossed
    return out


def _made_of_names(
    level: ComparisonLevel, column: str, field_name: str, tables: Tables, idx: Pairs
) -> Mask:
    out = _equal(tables, idx, column)
    rows = np.flatnonzero(out)
    transform = TRANSFORMS[level.transform] if level.transform else str
    values = pair_values(tables, (idx[0][rows], idx[1][rows]), column)[0]
    left_by, right_by = pair_values(tables, (idx[0][rows], idx[1][rows]), level.other or field_name)
    out[rows] = [
        (_made_of(transform(value), a) or _made_of(transform(value), b)) and _alike(a, b)
        for value, a, b in zip(values.tolist(), left_by.tolist(), right_by.tolist(), strict=True)
    ]
    return out


@lru_cache(maxsize=1 << 16)
def _alike(a: str | None, b: str | None) -> bool:
    """Both records carry names, and alike ones (the namesakes a name-made address fits)."""
    return bool(a and b and JaroWinkler.similarity(a, b) >= 0.9)


@lru_cache(maxsize=1 << 16)
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


def _transposed(value: str) -> str:
    """A date with day and month swapped (`1956-04-09` -> `1956-09-04`)."""
    return f"{value[:4]}-{value[8:10]}-{value[5:7]}"


def _is_initial_of(short: str | None, full: str | None) -> bool:
    return bool(short and full and len(short) == 1 and full[0] == short)


def _initial_either_way(a: str | None, b: str | None) -> bool:
    return _is_initial_of(a, b) or _is_initial_of(b, a)


def _same_formal_name(a: str | None, b: str | None) -> bool:
    """Given names that may stand for one formal name (`bobby`, `rob`)."""
    return bool(a and b and formal_given_names(a) & formal_given_names(b))


def _nickname_or_initial(a: str | None, b: str | None) -> bool:
    """Nicknames of one formal name, or one a single letter, the other's first."""
    if not a or not b:
        return False
    if a != b and (len(a) == 1 or len(b) == 1) and a[0] == b[0]:
        return True
    return _same_formal_name(a, b)
