"""The record-level view: reproducible, shaped like the ingest→identity contract, scalable."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC
from itertools import islice

import pytest

from cdp.normalize import IDENTIFIER_KINDS
from cdp.synthetic import (
    ADAPTERS,
    PERIOD_END,
    PERIOD_START,
    NoiseRates,
    SyntheticRecord,
    World,
    iter_records,
)
from tests.synthetic.conftest import PEOPLE, Generated

ATTRIBUTE_KEYS = {"given_name", "family_name", "full_name", "email", "phone", "address",
                  "birth_date", "gender"}  # fmt: skip
ADDRESS_KEYS = {"line1", "line2", "city", "region", "postcode", "country"}
KINDS = {"event", "order", "feedback", "consent", "interaction", "profile"}


def test_same_seed_gives_the_same_records() -> None:
    first = list(iter_records(people=300, seed=5))
    second = list(iter_records(people=300, seed=5))
    assert first == second


def test_different_seeds_give_different_worlds() -> None:
    first = [r.external_id for r in iter_records(people=200, seed=1)]
    second = [r.external_id for r in iter_records(people=200, seed=2)]
    assert set(first).isdisjoint(second)


def test_a_smaller_world_is_the_start_of_a_larger_one() -> None:
    small = list(World(people=200, seed=3).people())
    large = list(islice(World(people=1000, seed=3).people(), 190))
    assert [p.person_id for p in small[:190]] == [p.person_id for p in large]
    assert small[:190] == large


@pytest.mark.parametrize("people", [1, 7, 500], ids=["one", "seven", "five-hundred"])
def test_people_parameter_sets_the_population_size(people: int) -> None:
    persons = list(World(people=people, seed=9).people())
    assert len(persons) == people
    assert len({p.person_id for p in persons}) == people
    records = list(iter_records(people=people, seed=9))
    assert {r.person_id for r in records} <= {p.person_id for p in persons}


def test_records_grow_linearly_with_people() -> None:
    small = sum(1 for _ in iter_records(people=400, seed=4))
    large = sum(1 for _ in iter_records(people=1600, seed=4))
    assert 3.4 < large / small < 4.6


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"people": 0}, "people must be a positive integer; got 0"),
        ({"people": 10, "seed": -1}, "seed must be an integer in [0, 2**32); got -1"),
        ({"people": "10"}, "people must be a positive integer; got '10'"),
    ],
    ids=["zero-people", "negative-seed", "people-as-text"],
)
def test_bad_arguments_are_refused_with_the_value(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        World(**kwargs)  # type: ignore[arg-type]


def test_noise_rates_must_be_probabilities() -> None:
    with pytest.raises(ValueError, match=r"typo=1.5"):
        NoiseRates(typo=1.5)


def _all_records(generated: Generated) -> list[SyntheticRecord]:
    return [r for h in generated.households for r in h.records]


def test_records_follow_the_ingest_identity_contract(generated: Generated) -> None:
    for record in _all_records(generated):
        assert record.adapter in ADAPTERS
        assert record.kind in KINDS
        assert record.occurred_at.tzinfo is not None
        assert record.occurred_at.utcoffset() == UTC.utcoffset(None)
        assert PERIOD_START <= record.occurred_at <= PERIOD_END
        assert set(record.attributes) <= ATTRIBUTE_KEYS, record
        for value in record.attributes.values():
            assert value, record
        if "address" in record.attributes:
            assert set(record.attributes["address"]) <= ADDRESS_KEYS
        # a till receipt may carry only a name and an address: fuzzy evidence, no identifier
        assert record.identifiers or {"full_name", "address"} <= set(record.attributes), record
        for kind, raw in record.identifiers:
            assert kind in IDENTIFIER_KINDS
            assert isinstance(raw, str)
            assert raw


def test_external_ids_are_unique_per_adapter(generated: Generated) -> None:
    keys = Counter((r.adapter, r.external_id) for r in _all_records(generated))
    assert keys.most_common(1)[0][1] == 1


def test_every_adapter_and_kind_occurs(generated: Generated) -> None:
    records = _all_records(generated)
    assert {r.adapter for r in records} == set(ADAPTERS)
    assert {r.kind for r in records} == KINDS


def test_default_world_is_demo_sized(generated: Generated) -> None:
    per_person = generated.summary.records / PEOPLE
    assert 9 < per_person < 16
