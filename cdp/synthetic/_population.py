"""Households and the people in them: the truth every record is a noisy view of.

A household is one to five people at one address: a single person, a couple, or a family
with children sharing the surname (the hardest negatives: same surname, same address, often
the same landline or family email, different given names and birth dates; now and then a son
named after his father).

A share of households (`chinese_share`, 12 % by default) are Chinese-locale people living in
China (`_china.py`): names in characters with the pinyin they use on English-language sites,
mainland mobiles, addresses in Chinese. Partners keep their own family names, as is the custom
there; children take the first member's. With a share of 0 the world is the same as a world
without them, draw for draw.
"""

from __future__ import annotations

import random
from bisect import bisect
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate

from cdp.synthetic._china import (
    chinese_address,
    chinese_family,
    chinese_given,
    chinese_mobile,
    pinyin_given,
)
from cdp.synthetic._contacts import (
    Registry,
    ascii_name,
    chinese_emails,
    email_address,
    handle,
    own_emails,
    us_phone,
)
from cdp.synthetic._model import Address, Person
from cdp.synthetic._names import CULTURES, WeightedNames, name_table
from cdp.synthetic._noise import Noise
from cdp.synthetic._reference import (
    CITIES,
    EMAIL_DOMAINS,
    NICKNAMES,
    STREET_NAMES,
    STREET_TYPES,
)

__all__ = [
    "CHINESE",
    "DEFAULT_CHINESE_SHARE",
    "PERIOD_END",
    "PERIOD_START",
    "Registry",
    "make_household",
    "scramble",
]

CHINESE = "chinese"
DEFAULT_CHINESE_SHARE = 0.12

PERIOD_START = datetime(2025, 1, 1, tzinfo=UTC)
PERIOD_END = datetime(2026, 10, 31, 23, 59, tzinfo=UTC)

_SIZES = (1, 2, 3, 4, 5)
_SIZE_CUM = tuple(accumulate((38, 32, 14, 11, 5)))
_CULTURE_NAMES = tuple(name for name, _ in CULTURES)
_CULTURE_CUM = tuple(accumulate(share for _, share in CULTURES))
_CITY_CUM = tuple(accumulate(row[4] for row in CITIES))
_DOMAINS = tuple(domain for domain, _ in EMAIL_DOMAINS)
_DOMAIN_CUM = tuple(accumulate(share for _, share in EMAIL_DOMAINS))

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


def _draw(rng: random.Random, names: WeightedNames) -> str:
    return rng.choices(names.names, cum_weights=names.cum_weights)[0]


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


@dataclass(frozen=True, slots=True)
class _Member:
    gender: str
    given: str
    family: str
    born: date
    is_parent: bool
    latin_given: str | None = None
    latin_family: str | None = None


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


def _chinese_members(rng: random.Random, size: int) -> list[_Member]:
    """A Chinese-locale household: partners keep their own family names; children take the
    first member's."""
    family, latin_family = chinese_family(rng)
    is_couple = size >= 2 and rng.random() < 0.85
    last_year = 2000 if size == 1 else (1996 if is_couple and size == 2 else 1985)

    def member(gender: str, family: tuple[str, str], born: date, parent: bool) -> _Member:
        given, latin = chinese_given(rng, gender, {m.given for m in members})
        spelled = pinyin_given(rng, latin)
        return _Member(gender, given, family[0], born, parent, spelled, family[1])

    members: list[_Member] = []
    first = member(rng.choice("fm"), (family, latin_family), _birth(rng, 1945, last_year), True)
    members.append(first)
    if is_couple:
        gender = "m" if first.gender == "f" else "f"
        year = min(first.born.year + rng.randint(-6, 6), 2003)
        members.append(member(gender, chinese_family(rng), _birth(rng, year, year), True))
    while len(members) < size:
        year = min(first.born.year + rng.randint(20, 40), 2010)
        born = _birth(rng, year, year)
        members.append(member(rng.choice("fm"), (family, latin_family), born, False))
    return members


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
    # X users mostly have a web account whose profile names their handle: otherwise their
    # mentions carry nothing but a display name, which no matcher can link safely.
    if rng.random() < ((0.3 if is_minor else 0.15) if has_account else 0.02):
        chosen.add("social.x_mentions")
    if not chosen:
        chosen.add("store.pos")
    return frozenset(chosen), False


def _familyemail_address(rng: random.Random, members: list[_Member], registry: Registry) -> str:
    first, second = members[0], members[1]
    family = ascii_name(first.family) or "home"
    local = rng.choice(
        (
            f"{family}family",
            f"the{family}s",
            f"{ascii_name(first.given)}and{ascii_name(second.given)}",
        )
    )
    return email_address(rng, local, rng.choices(_DOMAINS, cum_weights=_DOMAIN_CUM)[0], registry)


@dataclass(frozen=True, slots=True)
class _Home:
    """What the members of a household share."""

    household_id: str
    culture: str
    area_codes: tuple[str, ...]
    addresses: tuple[Address, ...]
    moved_at: datetime | None
    landline: str | None
    family_email: str | None


def _addresses(
    rng: random.Random,
    noise: Noise,
    city: tuple[str, str, str, tuple[str, ...], int],
    shift: timedelta,
) -> tuple[tuple[Address, ...], datetime | None]:
    """The household's address, or its old and new ones and when it moved."""
    current = _address(rng, city)
    if not noise.chance("moved", noise.rates.moved):
        return (current,), None
    old_city = city if rng.random() < 0.5 else rng.choices(CITIES, cum_weights=_CITY_CUM)[0]
    span = (PERIOD_END - PERIOD_START).total_seconds()
    moved_at = PERIOD_START + shift + timedelta(seconds=int(span * rng.uniform(0.15, 0.85)))
    return (_address(rng, old_city), current), moved_at


def _culture(rng: random.Random, chinese_share: float) -> str:
    """One draw: Chinese-locale with `chinese_share`, else a culture of `CULTURES` (at share
    0 the very draw `rng.choices` would make, so such a world is the world without them)."""
    x = rng.random()
    if x < chinese_share:
        return CHINESE
    scaled = (x - chinese_share) / (1.0 - chinese_share) * _CULTURE_CUM[-1]
    return _CULTURE_NAMES[bisect(_CULTURE_CUM, scaled, 0, len(_CULTURE_CUM) - 1)]


def _chinese_home(
    rng: random.Random, noise: Noise, household: int, shift: timedelta
) -> tuple[_Home, tuple[Address, ...]]:
    def address() -> Address:
        line1, line2, city, province, postcode = chinese_address(rng)
        return Address(line1, line2, city, province, postcode, "CN")

    addresses: tuple[Address, ...] = (address(),)
    moved_at = None
    if noise.chance("moved", noise.rates.moved):
        span = (PERIOD_END - PERIOD_START).total_seconds()
        moved_at = PERIOD_START + shift + timedelta(seconds=int(span * rng.uniform(0.15, 0.85)))
        addresses = (address(), addresses[0])
    home = _Home(f"H{household:07d}", CHINESE, (), addresses, moved_at, None, None)
    return home, addresses


def make_household(
    household: int,
    first_index: int,
    max_size: int,
    rng: random.Random,
    noise: Noise,
    registry: Registry,
    chinese_share: float = 0.0,
    shift: timedelta = timedelta(0),
) -> list[Person]:
    """The people of household number `household`, numbered from `first_index`; `shift` moves
    the household's dated facts (a move of house) with the world's period (`World(ends=...)`)."""
    culture = _culture(rng, chinese_share)
    size = min(max_size, rng.choices(_SIZES, cum_weights=_SIZE_CUM)[0])
    if culture == CHINESE:
        home, _ = _chinese_home(rng, noise, household, shift)
        return [
            _person(rng, noise, registry, member, first_index + offset, home)
            for offset, member in enumerate(_chinese_members(rng, size))
        ]
    members = _members(rng, noise, culture, size)
    city = rng.choices(CITIES, cum_weights=_CITY_CUM)[0]
    addresses, moved_at = _addresses(rng, noise, city, shift)
    landline = None
    if size > 1:
        if noise.chance("shared_landline", noise.rates.shared_landline):
            landline = us_phone(rng, city[3], registry)
    elif rng.random() < 0.15:
        landline = us_phone(rng, city[3], registry)
    family_email = None
    if sum(m.is_parent for m in members) == 2 and noise.chance(
        "shared_email", noise.rates.shared_email
    ):
        family_email = _familyemail_address(rng, members, registry)
    home = _Home(f"H{household:07d}", culture, city[3], addresses, moved_at, landline, family_email)
    return [
        _person(rng, noise, registry, member, first_index + offset, home)
        for offset, member in enumerate(members)
    ]


def _person(
    rng: random.Random, noise: Noise, registry: Registry, member: _Member, index: int, home: _Home
) -> Person:
    channels, is_visitor = _channels(rng, member.born)
    salt = registry.salt
    chinese = member.latin_family is not None
    if chinese:  # they live in China: the tills are in US cities
        channels = (channels - {"store.pos"}) or frozenset({"web.segment"})
    on_x = "social.x_mentions" in channels
    latin_given, latin_family = member.latin_given or member.given, member.latin_family
    emails = (
        chinese_emails(rng, noise, latin_given, latin_family, member.born, registry)
        if latin_family is not None
        else own_emails(rng, noise, member.given, member.family, member.born, registry)
    )
    if chinese:
        mobile = chinese_mobile(rng, registry.phones) if rng.random() < 0.97 else None
    else:
        mobile = us_phone(rng, home.area_codes, registry) if rng.random() < 0.92 else None
    return Person(
        person_id=f"P{index:07d}",
        household_id=home.household_id,
        culture=home.culture,
        gender=member.gender,
        given_name=member.given,
        family_name=member.family,
        birth_date=member.born,
        emails=emails,
        family_email=home.family_email if member.is_parent else None,
        mobile=mobile,
        landline=home.landline,
        addresses=home.addresses,
        moved_at=home.moved_at,
        nicknames=NICKNAMES.get(member.given, ()),
        channels=channels,
        user_id=f"usr_{scramble(index, 'user', salt):010x}"
        if "web.segment" in channels and not is_visitor
        else None,
        customer_id=str(7_000_000_000_000 + scramble(index, "customer", salt))
        if "store.shopify" in channels
        else None,
        loyalty_id=f"6042{scramble(index, 'loyalty', salt, 32):010d}"
        if "store.pos" in channels and rng.random() < 0.7
        else None,
        x_handle=handle(rng, latin_given, latin_family or member.family, registry)
        if on_x
        else None,
        x_id=str(1_000_000_000 + scramble(index, "x_user", salt, 32)) if on_x else None,
        latin_given=latin_given if chinese else None,
        latin_family=latin_family,
    )
