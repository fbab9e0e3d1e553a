"""The record-level view: reproducible, shaped like the ingest→identity contract, scalable."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, timedelta
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
        ({"people": 10, "ends": "2026-12-07"}, "ends must be a date; got '2026-12-07'"),
    ],
    ids=["zero-people", "negative-seed", "people-as-text", "ends-as-text"],
)
def test_bad_arguments_are_refused_with_the_value(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        World(**kwargs)  # type: ignore[arg-type]


def test_a_later_end_moves_every_time_by_whole_days_and_nothing_else() -> None:
    """`ends` (the demo ends its world on the day it runs) moves the world, people included."""
    days = 37
    ends = (PERIOD_END + timedelta(days=days)).date()
    base = World(people=150, seed=3)
    moved = World(people=150, seed=3, ends=ends)
    pairs = list(zip(base.records(), moved.records(), strict=True))
    assert pairs
    for before, after in pairs:
        assert after.occurred_at - before.occurred_at == timedelta(days=days)
        assert (after.adapter, after.kind, after.attributes, after.identifiers) == (
            before.adapter,
            before.kind,
            before.attributes,
            before.identifiers,
        )
    assert max(r.occurred_at for _, r in pairs) <= PERIOD_END + timedelta(days=days)
    for before, after in zip(base.people(), moved.people(), strict=True):
        assert before.given_name == after.given_name
        if before.moved_at is not None:
            assert after.moved_at - before.moved_at == timedelta(days=days)
    emails = [p for r, p in moved.records_with_payloads() if r.adapter == "email.sendgrid"]
    campaigns = {p["campaign_id"] for p in emails}
    assert campaigns
    for c in campaigns:  # named by the day sent, within the moved period
        assert re.fullmatch(r"cmp-\d{4}-\d\d-\d\d", c)
        assert c[4:] <= f"{ends:%Y-%m-%d}"


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


def test_names_are_diverse_and_common_ones_repeat() -> None:
    people = list(World(people=20_000, seed=12).people())
    given = Counter(p.given_name for p in people)
    family = Counter(p.family_name for p in people)
    full = Counter((p.given_name, p.family_name) for p in people)
    cultures = Counter(p.culture for p in people)
    assert len(given) > 1500
    assert len(family) > 2500
    assert given.most_common(1)[0][1] < 0.02 * len(people)
    assert family.most_common(1)[0][1] < 0.02 * len(people)
    # at this scale, namesakes who are not family exist (the classic false match)
    namesakes = [name for name, n in full.items() if n >= 2]
    assert len(namesakes) > 50
    assert set(cultures) == {
        "us",
        "hispanic",
        "european",
        "south_asian",
        "east_asian",
        "african",
        "chinese",
    }
    assert any(not name.isascii() for name in given)


def test_people_are_seen_only_through_their_channels(generated: Generated) -> None:
    for household in generated.households:
        seen: dict[str, set[str]] = {p.person_id: set() for p in household.people}
        for record in household.records:
            seen[record.person_id].add(record.adapter)
        for person in household.people:
            assert seen[person.person_id] == person.channels, person
            assert (person.customer_id is not None) == ("store.shopify" in person.channels)
            assert (person.x_handle is not None) == ("social.x_mentions" in person.channels)
            if person.user_id is not None:
                assert "web.segment" in person.channels
            if person.loyalty_id is not None:
                assert "store.pos" in person.channels


@pytest.mark.parametrize("kind", ["customer_id", "loyalty_id", "user_id", "social_id"], ids=str)
def test_one_per_person_identifiers_are_one_per_person(generated: Generated, kind: str) -> None:
    owners: dict[str, set[str]] = {}
    values: dict[str, set[str]] = {}
    for record in _all_records(generated):
        for k, raw in record.identifiers:
            if k == kind:
                owners.setdefault(raw, set()).add(record.person_id)
                values.setdefault(record.person_id, set()).add(raw)
    assert owners
    assert all(len(people) == 1 for people in owners.values())
    assert all(len(raws) == 1 for raws in values.values())


def test_records_with_payloads_are_the_same_records() -> None:
    world = World(people=80, seed=2)
    pairs = list(world.records_with_payloads())
    assert [r for r, _ in pairs] == list(world.records())
    for record, payload in pairs:
        assert isinstance(payload, dict)
        assert record.external_id in {
            str(payload.get(key)) for key in ("messageId", "sg_event_id", "id", "receipt_id")
        }


def test_the_email_list_holds_an_address_once(generated: Generated) -> None:
    subscribers: dict[str, set[str]] = {}
    for record in _all_records(generated):
        if record.adapter == "email.sendgrid":
            subscribers.setdefault(record.attributes["email"], set()).add(record.person_id)
    family = {p.family_email for h in generated.households for p in h.people if p.family_email}
    on_the_list = family & set(subscribers)
    assert len(on_the_list) > 20  # couples' addresses are on it...
    assert all(len(people) == 1 for people in subscribers.values())  # ...each for one of them
