"""The plain data the synthetic world is made of: people, records, noise rates, summaries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from pathlib import Path
from typing import Any

ADAPTERS = (
    "web.segment",
    "email.sendgrid",
    "store.shopify",
    "store.pos",
    "social.meta_leads",
    "social.x_mentions",
)


@dataclass(frozen=True, slots=True)
class Address:
    """A postal address as the person would write it in full."""

    line1: str
    line2: str | None
    city: str
    region: str
    postcode: str
    country: str = "US"


@dataclass(frozen=True, slots=True)
class Person:
    """The truth about one person: what every noisy record about them derives from."""

    person_id: str
    household_id: str
    culture: str
    gender: str
    given_name: str
    family_name: str
    birth_date: date
    emails: tuple[str, ...]
    """Addresses of their own, primary first (more than one: multiple emails)."""
    family_email: str | None
    """An address shared with their partner, if the couple has one."""
    mobile: str | None
    landline: str | None
    """The household's landline (shared with the family when it has several members)."""
    addresses: tuple[Address, ...]
    """Oldest first; two entries mean the household moved at `moved_at`."""
    moved_at: datetime | None
    nicknames: tuple[str, ...]
    channels: frozenset[str]
    """The adapters that see this person (`ADAPTERS` entries)."""
    user_id: str | None
    """Web account (Segment `userId`); None for a visitor who never signs in."""
    customer_id: str | None
    """Shopify customer id."""
    loyalty_id: str | None
    """Loyalty card number shown at the till."""
    x_handle: str | None
    """X username (without `@`)."""
    x_id: str | None
    """X numeric user id."""
    latin_given: str | None = None
    latin_family: str | None = None
    """A Chinese-locale person's names in pinyin, as they romanise them (`Xiuying` or
    `Xiu-Ying`, `Zhang`): their name in characters is `given_name` / `family_name`."""

    def full_name(self, given: str | None = None) -> str:
        """The full name as written in the person's own script: `张伟` (family name first,
        no space) for a Chinese-locale person, `Jane Doe` otherwise (`given`: the given
        name they use, a nickname say)."""
        given = self.given_name if given is None else given
        if self.latin_family is not None:
            return f"{self.family_name}{given}"
        return f"{given} {self.family_name}"

    def latin_names(self) -> tuple[str, str]:
        """(given, family) in the Latin alphabet: pinyin for a Chinese-locale person."""
        return self.latin_given or self.given_name, self.latin_family or self.family_name


@dataclass(frozen=True, slots=True)
class SyntheticRecord:
    """One source record as ingest would store it, ready for identity resolution.

    `attributes` uses the keys of the ingest→identity contract (`given_name`, `family_name`,
    `full_name`, `email`, `phone`, `address` {`line1`, `line2`, `city`, `region`, `postcode`,
    `country`}, `birth_date`, `gender`), holding values as the source gave them (trimmed, not
    normalised) and omitting what is absent. `identifiers` are `(kind, raw value)` pairs with
    kinds from `cdp.normalize.IDENTIFIER_KINDS`; junk raw values are kept, as ingest receives
    them. `person_id` is the ground truth.
    """

    adapter: str
    external_id: str
    kind: str
    occurred_at: datetime
    attributes: Mapping[str, Any]
    identifiers: tuple[tuple[str, str], ...]
    person_id: str

    @property
    def channel(self) -> str:
        """`web`, `email`, `store` or `social`."""
        return self.adapter.partition(".")[0]


@dataclass(frozen=True, slots=True)
class NoiseRates:
    """Probabilities of each kind of noise (see docs/synthetic.md for where each applies).

    Rates for hand-typed fields are scaled per channel: a cashier types three times as
    carelessly as a customer filling in their own account (`CARE` in `_noise.py`).
    """

    typo: float = 0.02
    """A typed name or street gets one character substituted (keyboard neighbour), dropped or
    doubled."""
    transposition: float = 0.01
    """A typed name or street gets two adjacent characters swapped."""
    nickname: float = 0.3
    """A person who has a nickname gives it instead of their given name."""
    swapped_names: float = 0.03
    """Given and family name end up in each other's fields (or in reverse order, untagged)."""
    family_first: float = 0.25
    """A cashier types the name as `Family, Given`."""
    dropped_accents: float = 0.5
    """Accents are dropped when a name is typed at a till (José → Jose)."""
    upper_case: float = 0.3
    """A till record is typed in capitals."""
    missing: float = 0.15
    """A field the source normally carries is left blank."""
    junk: float = 0.02
    """An email or phone field holds a junk value (`test@test.com`, `0000000000`, `n/a`)."""
    email_typo: float = 0.01
    """A hand-typed email has a misspelt domain or a dropped character."""
    moved: float = 0.1
    """A household moves house during the period (records before use the old address)."""
    stale_address: float = 0.25
    """After moving, a record still gives the old address."""
    shared_landline: float = 0.6
    """A household of several people has a landline its members give."""
    landline_given: float = 0.4
    """A member of such a household gives the landline rather than their own mobile."""
    shared_email: float = 0.25
    """A couple shares a family email address, which both give."""
    second_email: float = 0.3
    """A person has a second email address of their own."""
    third_email: float = 0.08
    """A person has a third email address of their own."""
    same_surname: float = 0.85
    """Partners share a surname (children always share it)."""
    junior: float = 0.03
    """A household with a son names him after his father (Jr.): same given and family name,
    same address, different birth date."""

    def __post_init__(self) -> None:
        bad = [
            f"{f.name}={getattr(self, f.name)!r}"
            for f in fields(self)
            if not 0.0 <= getattr(self, f.name) <= 1.0
        ]
        if bad:
            raise ValueError(f"noise rates must be probabilities in [0, 1]; got {', '.join(bad)}")


@dataclass(frozen=True, slots=True)
class NoiseCount:
    """How often one kind of noise could apply, was expected to, and did."""

    opportunities: int
    expected: float
    applied: int

    @property
    def rate(self) -> float:
        return self.applied / self.opportunities if self.opportunities else 0.0


@dataclass(frozen=True, slots=True)
class WorldSummary:
    """What `write_world` wrote."""

    out_dir: Path
    seed: int
    people: int
    households: int
    records: int
    records_by_adapter: Mapping[str, int]
    files: tuple[str, ...]
    """Paths relative to `out_dir`, sorted."""
    noise: Mapping[str, NoiseCount]
    seconds: float
    pos_utc_offset: str = field(default="-05:00")
