"""Tests of record pairs in bulk, per distinct value rather than per pair.

Comparisons put millions of candidate (and random) pairs in levels; a test written in Python
and run once per pair was most of a resolution's time. Here each record's derived values (an
email's mailbox, a name's first letter) are computed once per distinct value
(`RecordTable.mapped`), equality compares integer codes, and a test that has to run in Python
runs once per distinct pair of values (`by_value_pairs`), which at scale is far fewer than
the pairs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
from rapidfuzz.distance import OSA
from rapidfuzz.process import cpdist

from identity.records import RecordTable

__all__ = [
    "TRANSFORMS",
    "Mask",
    "Tables",
    "by_value_pairs",
    "codes_equal",
    "digits_of",
    "domain_of",
    "email_typos",
    "lengths",
    "mailbox_of",
    "missing",
    "pair_values",
    "strings",
]

Index = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]
Tables = tuple[RecordTable, RecordTable]


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
"""Transforms a level or a blocking rule applies to a value before comparing."""


def missing(table: RecordTable, column: str) -> Mask:
    """Where the records have no value of `column`."""
    return table.codes(column) < 0


def pair_values(
    tables: Tables, idx: tuple[Index, Index], left: str, right: str | None = None
) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.object_]]:
    """The values of column `left` on the left records and `right` (default: the same) on
    the right ones."""
    return tables[0].column(left)[idx[0]], tables[1].column(right or left)[idx[1]]


def codes_equal(tables: Tables, idx: tuple[Index, Index], column: str) -> Mask:
    """Pairs whose values of `column` are present and equal."""
    if tables[0] is tables[1]:
        codes = tables[0].codes(column)
        left, right = codes[idx[0]], codes[idx[1]]
        return (left == right) & (left >= 0)  # type: ignore[no-any-return]
    a, b = pair_values(tables, idx, column)
    return np.asarray((a == b) & (a != None), dtype=bool)  # noqa: E711


def strings(table: RecordTable, column: str) -> npt.NDArray[np.object_]:
    """The column with "" for a missing value (what rapidfuzz's scorers take)."""

    def build() -> npt.NDArray[np.object_]:
        values = table.column(column).copy()
        values[missing(table, column)] = ""
        return values

    return table.memo(f"{column}:str", build)


def by_value_pairs(
    tables: Tables,
    idx: tuple[Index, Index],
    columns: tuple[str, str],
    test: Callable[[Any, Any], bool],
) -> Mask:
    """`test(left value, right value)` of every pair (values of `columns[0]` on the left
    records, `columns[1]` on the right; None where missing), run once per distinct pair of
    values."""
    n = len(idx[0])
    if n == 0:
        return np.zeros(0, dtype=bool)
    left_codes = tables[0].codes(columns[0])[idx[0]] + 1
    right_codes = tables[1].codes(columns[1])[idx[1]] + 1
    left_values = [None, *tables[0].distinct(columns[0])]
    right_values = [None, *tables[1].distinct(columns[1])]
    width = len(right_values)
    keys, inverse = np.unique(left_codes * width + right_codes, return_inverse=True)
    results = np.fromiter(
        (test(left_values[k // width], right_values[k % width]) for k in keys.tolist()),
        bool,
        len(keys),
    )
    return results[inverse.reshape(-1)]  # type: ignore[no-any-return]


def mailbox_of(value: str) -> str:
    return value.rpartition("@")[0]


def domain_of(value: str) -> str:
    return value.rpartition("@")[2]


def digits_of(value: str) -> str:
    """The digits of an address's mailbox, sorted (`donna42` and `donna24` have the same)."""
    return "".join(sorted(filter(str.isdigit, mailbox_of(value))))


def lengths(table: RecordTable, column: str) -> npt.NDArray[np.int64]:
    """Each record's length of `column` (-1 where missing)."""

    def build() -> npt.NDArray[np.int64]:
        values = table.column(column)
        return np.fromiter((-1 if v is None else len(v) for v in values), np.int64, len(values))

    return table.memo(f"{column}:len", build)


def email_typos(tables: Tables, idx: tuple[Index, Index], column: str) -> Mask:
    """Same domain and mailbox names (4 characters or more) one edit apart (a swap of two
    adjacent characters counts as one), where the edit changes no digit; equal addresses are
    not a typo. The cheap tests (domain, digits, lengths, not equal) run on integers first,
    the edit distance on the pairs left, in C."""
    mailbox = f"{column}:mailbox"
    for table in tables:
        table.mapped(column, "domain", domain_of)
        table.mapped(column, "mailbox", mailbox_of)
        table.mapped(column, "digits", digits_of)
    out = codes_equal(tables, idx, f"{column}:domain") & ~codes_equal(tables, idx, column)
    out &= codes_equal(tables, idx, f"{column}:digits")
    left_length = lengths(tables[0], mailbox)[idx[0]]
    right_length = lengths(tables[1], mailbox)[idx[1]]
    # One edit apart needs lengths at most one apart: most pairs stop at these integer
    # tests, before the edit distance.
    out &= (left_length >= 4) & (right_length >= 4) & (np.abs(left_length - right_length) <= 1)
    rows = np.flatnonzero(out)
    left, right = pair_values(tables, (idx[0][rows], idx[1][rows]), mailbox)
    distance = cpdist(left, right, scorer=OSA.distance, processor=None, score_cutoff=1, workers=1)
    out[rows] = np.asarray(distance <= 1, dtype=bool)
    return out
