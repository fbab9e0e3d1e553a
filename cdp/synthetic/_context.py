"""What every channel builder shares: the household's generator, noise, id counters, helpers."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import accumulate
from typing import Any

from cdp.synthetic._model import Address, Person, SyntheticRecord
from cdp.synthetic._noise import Noise
from cdp.synthetic._population import PERIOD_END, PERIOD_START
from cdp.synthetic._tastes import Taste

# Activity starts a day in and ends 45 days early, so that times shown in a local time zone
# and follow-ups (opens, refunds) stay within the period.
ACTIVITY_START = PERIOD_START + timedelta(days=1)
ACTIVITY_END = PERIOD_END - timedelta(days=45)

_HOURS = tuple(range(24))
# Cumulative weights of the local hour of day: people browse and read email from morning to
# late evening, most at lunch and after dinner; shops are open 9:00-21:00.
ONLINE_HOURS = tuple(
    accumulate((1, 1, 1, 1, 1, 2, 4, 6, 8, 9, 10, 11, 12, 11, 10, 10, 11, 12, 13, 13, 12, 9, 6, 3))
)
SHOP_HOURS = tuple(
    accumulate((0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 7, 9, 12, 12, 10, 9, 9, 10, 12, 11, 8, 0, 0, 0))
)

__all__ = [
    "ACTIVITY_END",
    "ACTIVITY_START",
    "ONLINE_HOURS",
    "SHOP_HOURS",
    "Campaign",
    "Context",
    "Pair",
    "PersonPlan",
    "dedupe_identifiers",
]

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
    account_name: str = ""
    """The full name as written (`Jane Doe`, `张伟`: a Chinese name family first, no space)."""


@dataclass(slots=True)
class Context:
    """The world-wide state of one generation run; `rng` is the current household's."""

    noise: Noise
    campaigns: tuple[Campaign, ...]
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    counters: dict[str, int] = field(default_factory=dict)
    person_id: str = ""
    salt: int = 0
    on_the_list: set[str] = field(default_factory=set)
    """Addresses the current household has on the email list (a list holds an address once)."""
    taste: Taste | None = None
    """The current person's product taste (`_tastes.py`); None draws uniformly."""
    web_devices: list[Any] = field(default_factory=list)
    """The current person's web devices (`_web._Device`), for orders placed later."""
    activity_start: datetime = ACTIVITY_START
    activity_end: datetime = ACTIVITY_END
    """The span of activity: `ACTIVITY_START`/`_END`, moved with the period (`World(ends=...)`)."""

    def next_id(self, kind: str) -> int:
        value = self.counters.get(kind, 0) + 1
        self.counters[kind] = value
        return value

    def time(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        hours: tuple[int, ...] = ONLINE_HOURS,
    ) -> datetime:
        """A random second of a random day in [start, end) (default: the span of activity), at
        a local hour drawn from `hours` (cumulative weights of the 24 local hours, US
        Eastern-ish, UTC-5)."""
        start = self.activity_start if start is None else start
        end = self.activity_end if end is None else end
        rng = self.rng
        midnight = start.replace(hour=0, minute=0, second=0, microsecond=0)
        day = int(rng.random() * max((end - midnight).days, 1))
        local_hour = rng.choices(_HOURS, cum_weights=hours)[0]
        seconds = ((local_hour + 5) % 24) * 3600 + int(rng.random() * 3600)
        return max(start, midnight + timedelta(days=day, seconds=seconds))

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

    def any_email(self, person: Person) -> str:
        """The address that comes to mind: the couple's (if any), mostly the primary, or another."""
        rng = self.rng
        if person.family_email and rng.random() < 0.3:
            return person.family_email
        if len(person.emails) == 1 or rng.random() < 0.55:
            return person.emails[0]
        return rng.choice(person.emails[1:])

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
