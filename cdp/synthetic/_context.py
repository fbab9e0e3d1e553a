"""What every channel builder shares: the household's generator, noise, id counters, helpers."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cdp.synthetic._model import Address, Person, SyntheticRecord
from cdp.synthetic._noise import Noise
from cdp.synthetic._population import PERIOD_END, PERIOD_START

# Activity starts a day in and ends 45 days early, so that times shown in a local time zone
# and follow-ups (opens, refunds) stay within the period.
ACTIVITY_START = PERIOD_START + timedelta(days=1)
ACTIVITY_END = PERIOD_END - timedelta(days=45)

__all__ = ["ACTIVITY_END", "Campaign", "Context", "Pair", "PersonPlan", "dedupe_identifiers"]

# A record and the raw payload it came from (a JSON object, or a CSV row of strings).
Pair = tuple[SyntheticRecord, dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Campaign:
    campaign_id: str
    topic: str
    sent_at: datetime
    asm_group_id: int


@dataclass(slots=True)
class PersonPlan:
    """Choices made once per person that several channels must agree on."""

    account_email: str
    account_given: str
    account_family: str
    account_phone: str | None


@dataclass(slots=True)
class Context:
    """The world-wide state of one generation run; `rng` is the current household's."""

    noise: Noise
    campaigns: tuple[Campaign, ...]
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    counters: dict[str, int] = field(default_factory=dict)
    person_id: str = ""
    salt: int = 0

    def next_id(self, kind: str) -> int:
        value = self.counters.get(kind, 0) + 1
        self.counters[kind] = value
        return value

    def time(self, start: datetime = ACTIVITY_START, end: datetime = ACTIVITY_END) -> datetime:
        """A random second in [start, end); follow-up events (opens, refunds) stay in period."""
        span = int((end - start).total_seconds())
        return start + timedelta(seconds=self.rng.randrange(max(span, 1)))

    def uuid(self) -> str:
        h = f"{self.rng.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:]}"

    def address_at(self, person: Person, when: datetime) -> Address:
        """The address a record gives at `when`: the old one before a move, or a stale one."""
        if person.moved_at is None:
            return person.addresses[0]
        if when < person.moved_at:
            return person.addresses[0]
        if self.noise.chance("stale_address", self.noise.rates.stale_address):
            return person.addresses[0]
        return person.addresses[-1]

    def phone_digits(self, person: Person) -> str | None:
        """Mobile, or the family landline for members who give it."""
        if person.landline and (
            person.mobile is None
            or self.noise.chance("landline_given", self.noise.rates.landline_given)
        ):
            return person.landline
        return person.mobile


def dedupe_identifiers(pairs: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple(dict.fromkeys(pairs))
