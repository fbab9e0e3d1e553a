"""Households and the people in them: the truth every record is a noisy view of.

A household is one to five people at one address: a single person, a couple, or a family
with children sharing the surname (the hardest negatives: same surname, same address, often
the same landline or family email, different given names and birth dates; now and then a son
named after his father).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate

from cdp.synthetic._model import Address, Person
from cdp.synthetic._names import CULTURES, WeightedNames, name_table
from cdp.synthetic._noise import Noise, strip_accents
from cdp.synthetic._reference import (
    CITIES,
    EMAIL_DOMAINS,
    NICKNAMES,
    STREET_NAMES,
    STREET_TYPES,
    WORK_DOMAINS,
)

__all__ = ["PERIOD_END", "PERIOD_START", "Registry", "make_household", "scramble"]

PERIOD_START = datetime(2025, 1, 1, tzinfo=UTC)
PERIOD_END = datetime(2026, 10, 31, 23, 59, tzinfo=UTC)

_SIZES = (1, 2, 3, 4, 5)
_SIZE_CUM = tuple(accumulate((38, 32, 14, 11, 5)))
_CULTURE_NAMES = tuple(name for name, _ in CULTURES)
_CULTURE_CUM = tuple(accumulate(share for _, share in CULTURES))
_CITY_CUM = tuple(accumulate(row[4] for row in CITIES))
_DOMAINS = tuple(domain for domain, _ in EMAIL_DOMAINS)
_DOMAIN_CUM = tuple(accumulate(share for _, share in EMAIL_DOMAINS))
_NON_ALNUM = re.compile(r"[^a-z0-9]")

# Odd multipliers: n -> n * M mod 2^bits is a bijection, so scrambled ids never collide.
_MULTIPLIERS = {
    "customer": 0x9E3779B97F4A7C15,
    "order": 0xC2B2AE3D27D4EB4F,
    "order_name": 0x165667B1,
    "line": 0xD6E8FEB86659FD93,
    "refund": 0xA0761D6478BD642F,
    "receipt": 0xE7037ED1A0B428DB,
    "lead": 0x8EBC6AF09C88C6E3,
    "tweet": 0x589965CC75374CC3,
    "x_user": 0x1D8E4E27C47D124F,
    "user": 0xF1357AEA2E62A9C5,
    "loyalty": 0x2545F4914F6CDD1D,
}


def scramble(n: int, kind: str, salt: int, bits: int = 40) -> int:
    """A unique, random-looking number for the `n`-th id of `kind` in the world of `salt`.

    Multiplying by an odd number, xor-shifting and xoring a constant are each a bijection on
    `bits`-bit numbers, so distinct `n` never collide.
    """
    mask = (1 << bits) - 1
    multiplier = _MULTIPLIERS[kind]
    x = (n * multiplier) & mask
    x ^= x >> (bits // 2)
    return x ^ (((salt + 1) * 0xBF58476D1CE4E5B9 + multiplier) >> 11 & mask)


@dataclass(slots=True)
class Registry:
    """Values people choose that must be unique across the world (taken ones get digits),
    and the world's salt for ids."""

    salt: int = 0
    emails: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)
    handles: set[str] = field(default_factory=set)


def _draw(rng: random.Random, names: WeightedNames) -> str:
    return rng.choices(names.names, cum_weights=names.cum_weights)[0]


def _ascii(text: str) -> str:
    return _NON_ALNUM.sub("", strip_accents(text).lower())


def _birth(rng: random.Random, first_year: int, last_year: int) -> date:
    start = date(first_year, 1, 1).toordinal()
    return date.fromordinal(rng.randint(start, date(last_year, 12, 31).toordinal()))


def _address(rng: random.Random, city: tuple[str, str, str, tuple[str, ...], int]) -> Address:
    number = rng.choice((rng.randint(1, 99), rng.randint(100, 999), rng.randint(1000, 9999)))
    line1 = f"{number} {rng.choice(STREET_NAMES)} {rng.choice(STREET_TYPES)[0]}"
    line2 = None
    if rng.random() < 0.25:
        line2 = f"{rng.choice(('Apt', 'Unit', 'Suite'))} {rng.randint(1, 40)}{rng.choice('ABCD')}"
    return Address(line1, line2, city[0], city[1], f"{city[2]}{rng.randint(1, 99):02d}")


def _phone(rng: random.Random, area_codes: tuple[str, ...], registry: Registry) -> str:
    while True:
        digits = f"{rng.choice(area_codes)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
        if digits not in registry.phones and len(set(digits[-7:])) > 1:
            registry.phones.add(digits)
            return digits


def _email(rng: random.Random, local: str, domain: str, registry: Registry) -> str:
    address = f"{local}@{domain}"
    while address in registry.emails:
        address = f"{local}{rng.randint(1, 999)}@{domain}"
    registry.emails.add(address)
    return address


def _personal_local(rng: random.Random, given: str, family: str, born: date) -> str:
    g, f = _ascii(given) or "me", _ascii(family) or "mail"
    pattern = rng.randrange(8)
    if pattern == 0:
        return f"{g}.{f}"
    if pattern == 1:
        return f"{g}{f}"
    if pattern == 2:
        return f"{g[0]}{f}"
    if pattern == 3:
        return f"{g}_{f}"
    if pattern == 4:
        return f"{g}.{f}{born.year % 100:02d}"
    if pattern == 5:
        return f"{f}.{g}"
    if pattern == 6:
        return f"{g}{rng.randint(1, 99)}"
    return f"{g[0]}.{f}"


def _own_emails(
    rng: random.Random, noise: Noise, given: str, family: str, born: date, registry: Registry
) -> tuple[str, ...]:
    domain = rng.choices(_DOMAINS, cum_weights=_DOMAIN_CUM)[0]
    emails = [_email(rng, _personal_local(rng, given, family, born), domain, registry)]
    if noise.chance("second_email", noise.rates.second_email):
        if rng.random() < 0.5:
            local = f"{_ascii(given)[:1]}{_ascii(family)}"
            emails.append(_email(rng, local or "office", rng.choice(WORK_DOMAINS), registry))
        else:
            other = rng.choices(_DOMAINS, cum_weights=_DOMAIN_CUM)[0]
            emails.append(_email(rng, _personal_local(rng, given, family, born), other, registry))
        if noise.chance("third_email", noise.rates.third_email):
            other = rng.choices(_DOMAINS, cum_weights=_DOMAIN_CUM)[0]
            emails.append(_email(rng, _personal_local(rng, given, family, born), other, registry))
    return tuple(emails)


def _handle(rng: random.Random, given: str, family: str, registry: Registry) -> str:
    g, f = _ascii(given) or "x", _ascii(family) or "user"
    base = rng.choice((f"{g}_{f}", f"{g}{f}", f"{g[0]}{f}", f"{g}{f[:1]}", f"the{g}{f}"))[:12]
    handle = base
    while handle in registry.handles:
        handle = f"{base}{rng.randint(1, 999)}"
    registry.handles.add(handle)
    return handle


@dataclass(frozen=True, slots=True)
class _Member:
    gender: str
    given: str
    family: str
    born: date
    is_parent: bool


def _given(rng: random.Random, culture: str, gender: str, avoid: set[str]) -> str:
    names = name_table().given[(culture, gender)]
    name = _draw(rng, names)
    for _ in range(10):
        if name not in avoid:
            break
        name = _draw(rng, names)
    return name


def _members(rng: random.Random, noise: Noise, culture: str, size: int) -> list[_Member]:
    table = name_table()
    family = _draw(rng, table.family[culture])
    is_couple = size >= 2 and rng.random() < 0.85
    last_year = 2000 if size == 1 else (1996 if is_couple and size == 2 else 1985)
    gender = rng.choice("fm")
    first = _Member(
        gender, _given(rng, culture, gender, set()), family, _birth(rng, 1945, last_year), True
    )
    members = [first]
    if is_couple:
        gender = ("m" if first.gender == "f" else "f") if rng.random() < 0.92 else first.gender
        surname = family
        if not noise.chance("same_surname", noise.rates.same_surname):
            other = culture if rng.random() < 0.85 else rng.choice(_CULTURE_NAMES)
            surname = _draw(rng, table.family[other])
        year = min(first.born.year + rng.randint(-6, 6), 2003)
        given = _given(rng, culture, gender, {first.given})
        members.append(_Member(gender, given, surname, _birth(rng, year, year), True))
    while len(members) < size:
        year = min(first.born.year + rng.randint(20, 40), 2010)
        gender = rng.choice("fm")
        given = _given(rng, culture, gender, {m.given for m in members})
        members.append(_Member(gender, given, family, _birth(rng, year, year), False))
    return _maybe_junior(rng, noise, members)


def _maybe_junior(rng: random.Random, noise: Noise, members: list[_Member]) -> list[_Member]:
    """Name a son after his father, now and then: the hardest negative of all."""
    fathers = [
        m for m in members if m.is_parent and m.gender == "m" and m.family == members[0].family
    ]
    sons = [i for i, m in enumerate(members) if not m.is_parent and m.gender == "m"]
    if fathers and sons and noise.chance("junior", noise.rates.junior):
        i = rng.choice(sons)
        son = members[i]
        members[i] = _Member(son.gender, fathers[0].given, son.family, son.born, False)
    return members


def _channels(rng: random.Random, born: date) -> tuple[frozenset[str], bool]:
    """Which adapters see a person, and whether they only ever browse anonymously."""
    if rng.random() < 0.04:
        return frozenset({"web.segment"}), True
    is_minor = born.year > 2006
    chosen = set()
    has_account = rng.random() < (0.5 if is_minor else 0.62)
    if has_account:
        chosen.add("web.segment")
    is_customer = rng.random() < (0.15 if is_minor else (0.6 if has_account else 0.3))
    if is_customer:
        chosen.add("store.shopify")
    if rng.random() < (0.7 if is_customer else 0.25):
        chosen.add("email.sendgrid")
    if rng.random() < (0.2 if is_minor else 0.35):
        chosen.add("store.pos")
    if rng.random() < 0.1:
        chosen.add("social.meta_leads")
    if rng.random() < (0.25 if is_minor else (0.15 if has_account else 0.05)):
        chosen.add("social.x_mentions")
    if not chosen:
        chosen.add("store.pos")
    return frozenset(chosen), False


def _family_email(rng: random.Random, members: list[_Member], registry: Registry) -> str:
    first, second = members[0], members[1]
    family = _ascii(first.family) or "home"
    local = rng.choice(
        (f"{family}family", f"the{family}s", f"{_ascii(first.given)}and{_ascii(second.given)}")
    )
    return _email(rng, local, rng.choices(_DOMAINS, cum_weights=_DOMAIN_CUM)[0], registry)


def make_household(
    household: int,
    first_index: int,
    max_size: int,
    rng: random.Random,
    noise: Noise,
    registry: Registry,
) -> list[Person]:
    """The people of household number `household`, numbered from `first_index`."""
    culture = rng.choices(_CULTURE_NAMES, cum_weights=_CULTURE_CUM)[0]
    size = min(max_size, rng.choices(_SIZES, cum_weights=_SIZE_CUM)[0])
    members = _members(rng, noise, culture, size)
    city = rng.choices(CITIES, cum_weights=_CITY_CUM)[0]
    addresses: tuple[Address, ...] = (_address(rng, city),)
    moved_at = None
    if noise.chance("moved", noise.rates.moved):
        old_city = city if rng.random() < 0.5 else rng.choices(CITIES, cum_weights=_CITY_CUM)[0]
        addresses = (_address(rng, old_city), addresses[0])
        span = (PERIOD_END - PERIOD_START).total_seconds()
        moved_at = PERIOD_START + timedelta(seconds=int(span * rng.uniform(0.15, 0.85)))
    landline = None
    if size > 1:
        if noise.chance("shared_landline", noise.rates.shared_landline):
            landline = _phone(rng, city[3], registry)
    elif rng.random() < 0.15:
        landline = _phone(rng, city[3], registry)
    parents = [m for m in members if m.is_parent]
    family_email = None
    if len(parents) == 2 and noise.chance("shared_email", noise.rates.shared_email):
        family_email = _family_email(rng, members, registry)
    return [
        _person(
            rng,
            noise,
            registry,
            member,
            first_index + offset,
            household,
            culture,
            city,
            addresses,
            moved_at,
            landline,
            family_email if member.is_parent else None,
        )
        for offset, member in enumerate(members)
    ]


def _person(
    rng: random.Random,
    noise: Noise,
    registry: Registry,
    member: _Member,
    index: int,
    household: int,
    culture: str,
    city: tuple[str, str, str, tuple[str, ...], int],
    addresses: tuple[Address, ...],
    moved_at: datetime | None,
    landline: str | None,
    family_email: str | None,
) -> Person:
    channels, is_visitor = _channels(rng, member.born)
    user_id = None if is_visitor else f"usr_{scramble(index, 'user', registry.salt):010x}"
    on_x = "social.x_mentions" in channels
    return Person(
        person_id=f"P{index:07d}",
        household_id=f"H{household:07d}",
        culture=culture,
        gender=member.gender,
        given_name=member.given,
        family_name=member.family,
        birth_date=member.born,
        emails=_own_emails(rng, noise, member.given, member.family, member.born, registry),
        family_email=family_email,
        mobile=_phone(rng, city[3], registry) if rng.random() < 0.92 else None,
        landline=landline,
        addresses=addresses,
        moved_at=moved_at,
        nicknames=NICKNAMES.get(member.given, ()),
        channels=channels,
        user_id=user_id if "web.segment" in channels else None,
        customer_id=str(7_000_000_000_000 + scramble(index, "customer", registry.salt))
        if "store.shopify" in channels
        else None,
        loyalty_id=f"6042{scramble(index, 'loyalty', registry.salt, 32):010d}"
        if "store.pos" in channels and rng.random() < 0.7
        else None,
        x_handle=_handle(rng, member.given, member.family, registry) if on_x else None,
        x_id=str(1_000_000_000 + scramble(index, "x_user", registry.salt, 32)) if on_x else None,
    )
