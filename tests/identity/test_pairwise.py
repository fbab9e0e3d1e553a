"""Comparison levels evaluated per distinct value (`identity._levels`, `identity._pairwise`)
give every pair the level a pair-by-pair reading gives it."""

from __future__ import annotations

import random

import numpy as np

from identity.comparisons import comparison_vectors
from identity.defaults import default_model
from identity.records import PersonRecord, RecordTable

_GIVEN = ["robert", "bob", "rob", "e", "edward", "ann", "anne", "li", None]
_FAMILY = ["massey", "masey", "edward", "smith", "li", None]
_EMAIL = ["bob.massey@x.com", "bob.masey@x.com", "bob42@x.com", "bob24@x.com", "bob4@x.com", None]
_BIRTH = ["1956-04-09", "1965-04-09", "1956-09-04", "1956-04-19", None]


def _records(n: int, seed: int) -> list[PersonRecord]:
    rng = random.Random(seed)
    return [
        PersonRecord(
            i,
            f"k{i}",
            given_name=rng.choice(_GIVEN),
            family_name=rng.choice(_FAMILY),
            email=rng.choice(_EMAIL),
            birth_date=rng.choice(_BIRTH),
            phone=rng.choice(["+15550001", "+15550002", None]),
            postcode=rng.choice(["10001", "10002", "20001", None]),
        )
        for i in range(n)
    ]


def test_levels_per_distinct_value_match_one_pair_at_a_time() -> None:
    records = _records(300, seed=3)
    table = RecordTable(records)
    rng = np.random.default_rng(5)
    left, right = rng.integers(0, 300, 2000), rng.integers(0, 300, 2000)
    comparisons = default_model().comparisons
    # One table (integer codes) against two tables of the same records (values compared).
    together = comparison_vectors(comparisons, (table, table), (left, right))
    apart = comparison_vectors(comparisons, (table, RecordTable(records)), (left, right))
    assert (together == apart).all()
    # And against each pair read on its own, in a table of just its two records.
    for k in range(0, 2000, 40):
        pair = RecordTable([records[left[k]], records[right[k]]])
        one = comparison_vectors(comparisons, (pair, pair), (np.array([0]), np.array([1])))
        assert (one[0] == together[k]).all(), (records[left[k]], records[right[k]])
