"""A world of N people: households generated one at a time, each from its own seeded generator.

Household `h` of seed `s` is drawn from `random.Random((s << 40) | h)`, so a household does not
depend on how many came before it (only the uniqueness of emails, phones and handles and the
running id counters do, and those advance the same way on every run): a world is reproducible
for its seed, streams in constant memory apart from those registries, and a smaller world is
the start of a larger one.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import islice
from typing import Any

from cdp.synthetic._context import ACTIVITY_END, ACTIVITY_START, Context, Pair, PersonPlan
from cdp.synthetic._conversions import conversion_records
from cdp.synthetic._email import make_campaigns, sendgrid_records
from cdp.synthetic._model import NoiseCount, NoiseRates, Person, SyntheticRecord
from cdp.synthetic._noise import Noise
from cdp.synthetic._population import (
    DEFAULT_CHINESE_SHARE,
    PERIOD_END,
    Registry,
    make_household,
)
from cdp.synthetic._social import lead_records, mention_records
from cdp.synthetic._store import plan_orders, pos_records, shopify_records
from cdp.synthetic._tastes import taste_for
from cdp.synthetic._web import web_records

__all__ = ["RECORDS_PER_PERSON", "Household", "World", "iter_records", "people_for_records"]

# Measured over worlds of 2,000 to 84,000 people at the default rates (seed 7).
RECORDS_PER_PERSON = 12.0


@dataclass(frozen=True, slots=True)
class Household:
    """The people of one household and every record about them."""

    household_id: str
    people: tuple[Person, ...]
    records: tuple[SyntheticRecord, ...]


def _plan(ctx: Context, person: Person) -> PersonPlan | None:
    """The account a person made on the web shop (web login and Shopify customer share it)."""
    if person.user_id is None and person.customer_id is None:
        return None
    noise, rng = ctx.noise, ctx.rng
    email = person.emails[0]
    if person.family_email and rng.random() < 0.5:
        email = person.family_email
    given, family, full_name = _account_names(ctx, person)
    digits = ctx.phone_digits(person)
    latin = full_name.isascii()  # a Chinese account in pinyin gives its phone with +86
    phone = (
        noise.phone(digits, "account", international=latin)
        if digits and rng.random() < 0.7
        else None
    )
    return PersonPlan(
        account_email=email,
        account_given=given,
        account_family=family,
        account_phone=phone,
        account_name=full_name,
    )


def _account_names(ctx: Context, person: Person) -> tuple[str, str, str]:
    """(given, family, full name) as the account holds them. The shop has an English and a
    Chinese version: a Chinese-locale person signs up in characters (half of them: 张伟) or in
    pinyin, and one in four of those puts the family name first (`Zhang` in `firstName`, as a
    Chinese name is ordered)."""
    noise, rng = ctx.noise, ctx.rng
    if person.latin_family is not None:
        if rng.random() < 0.5:
            return person.given_name, person.family_name, person.full_name()
        latin_given, latin_family = person.latin_names()
        given, family = noise.typed(latin_given, "account"), noise.typed(latin_family, "account")
        if rng.random() < 0.25:
            given, family = family, given
        return given, family, f"{given} {family}"
    given = noise.typed(noise.given(person.given_name, person.nicknames, 0.3), "account")
    family = noise.typed(person.family_name, "account")
    if noise.chance("swapped_names", noise.rates.swapped_names):
        given, family = family, given
    return given, family, f"{given} {family}"


def _person_pairs(ctx: Context, person: Person) -> list[Pair]:
    ctx.person_id = person.person_id
    ctx.taste = taste_for(ctx.salt, person.person_id)
    ctx.web_devices = []
    plan = _plan(ctx, person)
    channels = person.channels
    orders = plan_orders(ctx, person) if person.customer_id else []
    pairs: list[Pair] = []
    if "web.segment" in channels:
        pairs += web_records(ctx, person, plan if person.user_id else None, orders)
    if plan is not None and person.customer_id:
        pairs += shopify_records(ctx, person, plan, orders)
    if "email.sendgrid" in channels:
        sent = sendgrid_records(ctx, person, plan)
        pairs += sent
        if plan is not None and person.customer_id:
            pairs += conversion_records(ctx, person, plan, sent)
    if "store.pos" in channels:
        pairs += pos_records(ctx, person, plan)
    if "social.meta_leads" in channels:
        pairs += lead_records(ctx, person)
    if "social.x_mentions" in channels:
        pairs += mention_records(ctx, person)
    return pairs


class World:
    """A seeded synthetic population seen through every channel.

    Example:
        world = World(people=100_000, seed=7)
        for record in world.records():   # streams; nothing is kept
            ...
        world.noise_report()             # what noise the last pass applied

    Each iteration starts afresh and yields the same data for the same arguments. `ends`, the
    last day of the period (default `PERIOD_END`, 2026-10-31), moves every time in the world by
    whole days and changes nothing else: the demo ends its world on the day it runs, so that
    "the last 90 days" holds recent customers.
    """

    def __init__(
        self,
        *,
        people: int,
        seed: int = 7,
        noise: NoiseRates | None = None,
        chinese_share: float = DEFAULT_CHINESE_SHARE,
        ends: date | None = None,
    ) -> None:
        if isinstance(people, bool) or not isinstance(people, int) or people < 1:
            raise ValueError(f"people must be a positive integer; got {people!r}")
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 1 << 32:
            raise ValueError(f"seed must be an integer in [0, 2**32); got {seed!r}")
        if not isinstance(chinese_share, int | float) or not 0.0 <= chinese_share < 1.0:
            raise ValueError(f"chinese_share must be in [0, 1); got {chinese_share!r}")
        if ends is not None and not isinstance(ends, date):
            raise ValueError(f"ends must be a date; got {ends!r}")
        self.people_count = people
        self.shift = timedelta(0) if ends is None else _as_day(ends) - _as_day(PERIOD_END)
        self.seed = seed
        self.rates = noise or NoiseRates()
        self.chinese_share = float(chinese_share)
        self._last_noise: Noise | None = None

    def _pairs(self, *, with_records: bool = True) -> Iterator[tuple[list[Person], list[Pair]]]:
        noise = Noise(self.rates)
        self._last_noise = noise
        ctx = Context(
            noise=noise,
            campaigns=make_campaigns(self.seed, self.shift),
            salt=self.seed,
            activity_start=ACTIVITY_START + self.shift,
            activity_end=ACTIVITY_END + self.shift,
        )
        registry = Registry(salt=self.seed)
        index, household = 1, 1
        while index <= self.people_count:
            rng = random.Random((self.seed << 40) | household)
            noise.rng = ctx.rng = rng
            ctx.on_the_list = set()
            members = make_household(
                household,
                index,
                self.people_count - index + 1,
                rng,
                noise,
                registry,
                self.chinese_share,
                self.shift,
            )
            pairs: list[Pair] = []
            if with_records:
                for person in members:
                    pairs += _person_pairs(ctx, person)
            yield members, pairs
            index += len(members)
            household += 1

    def households(self) -> Iterator[Household]:
        for members, pairs in self._pairs():
            yield Household(members[0].household_id, tuple(members), tuple(r for r, _ in pairs))

    def records(self) -> Iterator[SyntheticRecord]:
        for _, pairs in self._pairs():
            for record, _ in pairs:
                yield record

    def people(self) -> Iterator[Person]:
        for members, _ in self._pairs(with_records=False):
            yield from members

    def pairs(self) -> Iterator[tuple[list[Person], list[Pair]]]:
        """Households with each record's raw payload (what the file writer serialises)."""
        return self._pairs()

    def records_with_payloads(self) -> Iterator[tuple[SyntheticRecord, dict[str, Any]]]:
        """Each record with its raw payload as the file holds it (a JSON object; for the till,
        the CSV row as a dict of strings), e.g. to store `source_records.payload` directly."""
        for _, pairs in self._pairs():
            yield from pairs

    def noise_report(self) -> Mapping[str, NoiseCount]:
        """Opportunities, expected and applied counts of each noise kind in the last pass."""
        return self._last_noise.report() if self._last_noise else {}


def _as_day(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value


def iter_records(
    *,
    people: int,
    seed: int = 7,
    noise: NoiseRates | None = None,
    limit: int | None = None,
    chinese_share: float = DEFAULT_CHINESE_SHARE,
) -> Iterator[SyntheticRecord]:
    """Stream the record-level view of a world (see `World`), at most `limit` records.

    Example (about a million records, for a benchmark):
        records = iter_records(people=people_for_records(1_000_000), limit=1_000_000)
    """
    world = World(people=people, seed=seed, noise=noise, chinese_share=chinese_share)
    records = world.records()
    return records if limit is None else islice(records, limit)


def people_for_records(records: int) -> int:
    """How many people make a world of about `records` records at the default rates."""
    if records < 1:
        raise ValueError(f"records must be a positive integer; got {records!r}")
    return max(1, math.ceil(records / RECORDS_PER_PERSON))
