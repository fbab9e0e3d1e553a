"""Each kind of noise occurs, at about its documented rate, in the data itself."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import fields
from itertools import combinations

import pytest
from rapidfuzz.distance import DamerauLevenshtein

from cdp.normalize import fold, normalize_email, normalize_phone
from cdp.synthetic import NoiseRates, Person, SyntheticRecord, World
from tests.synthetic.conftest import Generated

RATES = NoiseRates()
# Noise kinds as counted, and the `NoiseRates` field each is drawn from.
KINDS = {f.name: f.name for f in fields(NoiseRates) if f.name != "junk"}
KINDS |= {"junk_email": "junk", "junk_phone": "junk"}


def _people(generated: Generated) -> dict[str, Person]:
    return {p.person_id: p for h in generated.households for p in h.people}


def _records(generated: Generated, adapter: str | None = None) -> list[SyntheticRecord]:
    return [
        r
        for h in generated.households
        for r in h.records
        if adapter is None or r.adapter == adapter
    ]


def test_every_documented_noise_kind_is_counted(generated: Generated) -> None:
    assert set(generated.noise) == set(KINDS)


@pytest.mark.parametrize("kind", sorted(KINDS), ids=sorted(KINDS))
def test_noise_is_applied_at_its_expected_rate(generated: Generated, kind: str) -> None:
    count = generated.noise[kind]
    assert count.expected >= 5, f"{kind}: too few opportunities to measure ({count})"
    # a binomial count stays within 4 standard deviations of its mean
    spread = 4 * math.sqrt(count.expected) + 2
    assert abs(count.applied - count.expected) <= spread, count


def test_zero_rates_mean_no_noise() -> None:
    silent = NoiseRates(**{f.name: 0.0 for f in fields(NoiseRates)})
    world = World(people=300, seed=4, noise=silent)
    checked = 0
    for household in world.households():
        people = {p.person_id: p for p in household.people}
        for record in household.records:
            person = people[record.person_id]
            if record.adapter == "store.shopify":
                names = (record.attributes["given_name"], record.attributes["family_name"])
                # A Chinese-locale account is in characters or pinyin, some family name first.
                written = {(person.given_name, person.family_name)}
                if person.latin_family is not None:
                    latin = person.latin_names()
                    written |= {latin, latin[::-1]}
                assert names in written
                assert normalize_email(record.attributes["email"]) is not None
                checked += 1
            if record.adapter == "store.pos" and "full_name" in record.attributes:
                assert record.attributes["full_name"] == f"{person.given_name} {person.family_name}"
                checked += 1
    assert checked > 100
    assert all(c.applied == 0 for c in world.noise_report().values())


def _pos_name_parts(record: SyntheticRecord) -> tuple[str, str] | None:
    name = record.attributes.get("full_name")
    if not name:
        return None
    if "," in name:
        family, _, given = name.partition(",")
        return fold(given), fold(family)
    given, _, family = name.rpartition(" ")
    return fold(given), fold(family)


def test_cashiers_write_nicknames_at_about_the_nickname_rate(generated: Generated) -> None:
    people = _people(generated)
    given_nickname = with_nickname = 0
    for record in _records(generated, "store.pos"):
        person = people[record.person_id]
        parts = _pos_name_parts(record)
        if not person.nicknames or parts is None:
            continue
        with_nickname += 1
        tokens = set(parts[0].split()) | set(parts[1].split())
        given_nickname += any(fold(n) in tokens for n in person.nicknames)
    assert with_nickname > 100
    assert 0.2 < given_nickname / with_nickname < 0.4


def test_cashiers_make_typos_and_transpositions(generated: Generated) -> None:
    people = _people(generated)
    typos = total = 0
    for record in _records(generated, "store.pos"):
        parts = _pos_name_parts(record)
        if parts is None:
            continue
        family = fold(people[record.person_id].family_name)
        total += 1
        written = parts[1] if family not in parts[0] else parts[0]
        if written != family and DamerauLevenshtein.distance(written, family) == 1:
            typos += 1
    expected = 3 * (RATES.typo + RATES.transposition)
    assert total > 500
    assert 0.4 * expected < typos / total < 1.6 * expected


def test_account_names_are_sometimes_swapped(generated: Generated) -> None:
    people = _people(generated)
    swapped = total = 0
    for record in _records(generated, "store.shopify"):
        person = people[record.person_id]
        total += 1
        swapped += (
            record.attributes["given_name"] == person.family_name
            and record.attributes["family_name"] == person.given_name
        )
    assert 0.3 * RATES.swapped_names < swapped / total < 2.5 * RATES.swapped_names


def test_junk_values_appear_at_the_till(generated: Generated) -> None:
    emails = [
        r.attributes["email"] for r in _records(generated, "store.pos") if "email" in r.attributes
    ]
    phones = [
        r.attributes["phone"] for r in _records(generated, "store.pos") if "phone" in r.attributes
    ]
    junk_emails = sum(normalize_email(e) is None for e in emails) / len(emails)
    junk_phones = sum(normalize_phone(p) is None for p in phones) / len(phones)
    assert 0.3 * 3 * RATES.junk < junk_emails < 2.5 * 3 * RATES.junk
    assert 0.3 * 3 * RATES.junk < junk_phones < 2.5 * 3 * RATES.junk


def test_identify_calls_leave_fields_missing(generated: Generated) -> None:
    identifies = [r for r in _records(generated, "web.segment") if r.kind == "profile"]
    without_email = sum("email" not in r.attributes for r in identifies) / len(identifies)
    assert 0.5 * RATES.missing < without_email < 1.5 * RATES.missing


def test_movers_show_old_and_new_addresses(generated: Generated) -> None:
    people = _people(generated)
    movers = {p.person_id for p in people.values() if p.moved_at is not None}
    households = {people[pid].household_id for pid in movers}
    share = len(households) / len(generated.households)
    assert 0.5 * RATES.moved < share < 1.5 * RATES.moved
    lines: dict[str, set[str]] = defaultdict(set)
    for record in _records(generated, "store.shopify"):
        if record.person_id in movers:
            lines[record.person_id].add(record.attributes["address"]["line1"])
    assert sum(len(v) >= 2 for v in lines.values()) >= 10


def _seen(generated: Generated, kind: str) -> dict[str, set[str]]:
    """Normalised identifier value -> the people whose records carry it."""
    normalise = normalize_email if kind == "email" else normalize_phone
    owners: dict[str, set[str]] = defaultdict(set)
    for record in _records(generated):
        for k, raw in record.identifiers:
            value = normalise(raw) if k == kind else None
            if value:
                owners[value].add(record.person_id)
    return owners


def test_people_with_several_emails_use_them(generated: Generated) -> None:
    people = _people(generated)
    used: Counter[str] = Counter()
    for value, owners in _seen(generated, "email").items():
        for owner in owners:
            used[owner] += value in people[owner].emails
    several = [p for p in people.values() if len(p.emails) >= 2 and used[p.person_id]]
    share = sum(used[p.person_id] >= 2 for p in several) / len(several)
    assert len(several) > 0.2 * len(people)
    assert share > 0.15


@pytest.mark.parametrize("kind", ["email", "phone"], ids=["email", "phone"])
def test_shared_identifiers_stay_within_a_family(generated: Generated, kind: str) -> None:
    people = _people(generated)
    shared = [owners for owners in _seen(generated, kind).values() if len(owners) > 1]
    assert len(shared) >= 20
    for owners in shared:
        assert len({people[o].household_id for o in owners}) == 1, owners


def test_family_members_at_one_address_with_one_surname_are_common(generated: Generated) -> None:
    hard = with_shared_contact = 0
    phones, emails = _seen(generated, "phone"), _seen(generated, "email")
    shared_pairs = {
        frozenset(p)
        for owners in (*phones.values(), *emails.values())
        for p in combinations(sorted(owners), 2)
    }
    for household in generated.households:
        for a, b in combinations(household.people, 2):
            if (
                a.family_name == b.family_name
                and a.addresses == b.addresses
                and a.given_name != b.given_name
                and a.birth_date != b.birth_date
            ):
                hard += 1
                with_shared_contact += frozenset((a.person_id, b.person_id)) in shared_pairs
    people = sum(len(h.people) for h in generated.households)
    assert hard > 0.3 * people
    assert with_shared_contact > 0.05 * hard


def test_juniors_share_name_and_address_but_not_birth_date(generated: Generated) -> None:
    juniors = [
        (a, b)
        for h in generated.households
        for a, b in combinations(h.people, 2)
        if (a.given_name, a.family_name) == (b.given_name, b.family_name)
    ]
    assert juniors
    assert all(a.birth_date != b.birth_date and a.addresses == b.addresses for a, b in juniors)
