"""Blocking: only records that share a key under some rule are compared, so the number of
candidate pairs grows about linearly with the number of records.

Key functions have the form `value -> str | None` (None: the record has no key under the rule).
Blocks larger than `max_block_size` are skipped and reported: a key shared by thousands of
records is no evidence and would make the work quadratic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from identity.comparisons import TRANSFORMS
from identity.model import BlockingRule
from identity.records import DERIVED_COLUMNS, PersonRecord, RecordTable

__all__ = ["BlockingReport", "block_keys", "candidate_pairs", "record_block_keys", "soundex"]

_SOUNDEX_CODES = {
    **dict.fromkeys("bfpv", "1"),
    **dict.fromkeys("cgjkqsxz", "2"),
    **dict.fromkeys("dt", "3"),
    "l": "4",
    **dict.fromkeys("mn", "5"),
    "r": "6",
}


def soundex(value: str) -> str:
    """American Soundex of the first word: `robert` -> `r163`."""
    word = "".join(ch for ch in value.split(" ", 1)[0] if ch.isalpha())
    if not word:
        return ""
    code, last = word[0], _SOUNDEX_CODES.get(word[0], "")
    for ch in word[1:]:
        digit = _SOUNDEX_CODES.get(ch, "")
        if digit and digit != last:
            code += digit
        if ch not in "hw":
            last = digit
    return (code + "000")[:4]


def _transform(name: str | None) -> Callable[[str], str]:
    if name is None:
        return str
    if name == "soundex":
        return soundex
    return TRANSFORMS[name]


def _key_part(transform: Callable[[str], str]) -> Callable[[str], str | None]:
    def part(value: str) -> str | None:
        return transform(value) or None

    return part


def _column(record: PersonRecord, column: str) -> str | None:
    derive = DERIVED_COLUMNS.get(column)
    return derive(record) if derive is not None else record.feature(column)


def record_block_keys(record: PersonRecord, rules: Iterable[BlockingRule]) -> list[tuple[str, str]]:
    """The (rule name, key) pairs of one record."""
    keys = []
    for rule in rules:
        parts = []
        for position, column in enumerate(rule.columns):
            value = _column(record, column)
            transform = rule.transforms[position] if position < len(rule.transforms) else None
            part = _transform(transform)(value) if value else ""
            if not part:
                break
            parts.append(part)
        else:
            keys.append((rule.name, "|".join(parts)[:200]))
    return keys


def block_keys(table: RecordTable, rule: BlockingRule) -> npt.NDArray[np.object_]:
    """The key of every record under `rule` (None where the record has none), computed per
    distinct value (and, for a key of several columns, per distinct combination)."""
    columns: list[str] = []
    for position, column in enumerate(rule.columns):
        name = rule.transforms[position] if position < len(rule.transforms) else None
        table.mapped(column, f"block_{name}", _key_part(_transform(name)))
        columns.append(f"{column}:block_{name}")
    if len(columns) == 1:
        return table.column(columns[0])
    present = np.ones(len(table), dtype=bool)
    for column in columns:
        present &= table.codes(column) >= 0
    rows = np.flatnonzero(present)
    keys = np.empty(len(table), dtype=object)
    if not rows.size:
        return keys
    combined = np.zeros(len(rows), dtype=np.int64)
    for column in columns:
        codes = table.codes(column)[rows]
        # Compacted after each column, so the product of the sizes never overflows.
        _, combined = np.unique(combined * (int(codes.max()) + 1) + codes, return_inverse=True)
        combined = combined.reshape(-1)
    _, first, inverse = np.unique(combined, return_index=True, return_inverse=True)
    parts = [table.column(column)[rows[first]] for column in columns]
    joined = np.empty(len(first), dtype=object)
    joined[:] = ["|".join(values)[:200] for values in zip(*parts, strict=True)]
    keys[rows] = joined[inverse.reshape(-1)]
    return keys


@dataclass(frozen=True)
class BlockingReport:
    """Candidate pairs per rule (`pairs`: generated; `new_pairs`: not found by an earlier
    rule), and blocks skipped for being larger than the limit."""

    pairs: dict[str, int]
    new_pairs: dict[str, int]
    skipped_blocks: dict[str, int]
    skipped_examples: dict[str, list[str]]
    total_pairs: int


Pairs = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]


def _pairs_within_groups(codes: npt.NDArray[np.int64], max_size: int) -> tuple[Pairs, list[int]]:
    """All pairs of positions sharing a code, fully vectorised; returns skipped group codes."""
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
    sizes = np.diff(np.r_[starts, len(sorted_codes)])
    too_big = sizes > max_size
    skipped = sorted_codes[starts[too_big]].tolist()
    group_end = np.repeat(starts + sizes, sizes)
    keep = np.repeat(~too_big, sizes)
    position = np.arange(len(sorted_codes))
    counts = np.where(keep, group_end - position - 1, 0)
    left_pos = np.repeat(position, counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    right_pos = left_pos + 1 + offsets
    return (order[left_pos], order[right_pos]), skipped


def candidate_pairs(
    table: RecordTable,
    rules: Iterable[BlockingRule],
    max_block_size: int,
    keys_out: dict[str, npt.NDArray[np.object_]] | None = None,
) -> tuple[Pairs, BlockingReport]:
    """Deduplicated candidate pairs (left < right, as row positions) and a per-rule report;
    each rule's keys (`block_keys`) are left in `keys_out` when given (training reads them)."""
    n = max(len(table), 1)
    rules = list(rules)
    encoded_per_rule: list[npt.NDArray[np.int64]] = []
    pairs: dict[str, int] = {}
    skipped_blocks: dict[str, int] = {}
    examples: dict[str, list[str]] = {}
    for rule in rules:
        keys = block_keys(table, rule)
        if keys_out is not None:
            keys_out[rule.name] = keys
        present = np.flatnonzero(keys != None)  # noqa: E711 (elementwise on an object array)
        encoded = np.empty(0, dtype=np.int64)
        skipped: list[int] = []
        uniques: list[str] = []
        if present.size:
            index: dict[str, int] = {}
            codes = np.fromiter(
                (index.setdefault(key, len(index)) for key in keys[present].tolist()),
                np.int64,
                present.size,
            )
            uniques = list(index)
            (left, right), skipped = _pairs_within_groups(codes, max_block_size)
            left, right = present[left], present[right]
            encoded = np.unique(np.minimum(left, right) * n + np.maximum(left, right))
        encoded_per_rule.append(encoded)
        pairs[rule.name] = int(encoded.size)
        skipped_blocks[rule.name] = len(skipped)
        examples[rule.name] = sorted(str(uniques[code]) for code in skipped)[:5]
    everything = np.concatenate([*encoded_per_rule, np.empty(0, dtype=np.int64)])
    found_by = np.repeat(np.arange(len(rules)), [e.size for e in encoded_per_rule])
    # Each pair is credited to the first rule that found it (a stable sort keeps rule order).
    order = np.argsort(everything, kind="stable")
    everything, found_by = everything[order], found_by[order]
    first = np.r_[True, everything[1:] != everything[:-1]] if everything.size else np.empty(0, bool)
    unique_pairs = everything[first]
    credited = np.bincount(found_by[first], minlength=len(rules))
    new_pairs = {rule.name: int(credited[i]) for i, rule in enumerate(rules)}
    report = BlockingReport(pairs, new_pairs, skipped_blocks, examples, int(unique_pairs.size))
    return (unique_pairs // n, unique_pairs % n), report
