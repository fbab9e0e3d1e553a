"""What an adapter says about one raw record: the `Observation` and its parts.

An adapter's `to_observation` returns one `Observation` per raw record: the natural key, the
kind of record, when it happened, the identifiers it carries (raw, as the source gave them;
the runner normalises them), the person attributes it states, and the facts it reports.

    Observation(
        external_id="evt-1", kind="event", occurred_at=datetime(2026, 1, 5, tzinfo=UTC),
        identifiers=(Identifier("email", "Jane@Example.com"),),
        person=Person(given_name="Jane"),
        facts=(EventFact(type="track", name="Signed Up"),),
    )

Everything is a frozen dataclass so observations compare by value (the contract kit checks
that `to_observation` is deterministic by comparing two calls).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from cdp.normalize import IDENTIFIER_KINDS
from ingest.errors import SkippableRecordError

__all__ = [
    "MAX_KEY_LENGTH",
    "RECORD_KINDS",
    "Address",
    "ConsentFact",
    "EventFact",
    "Fact",
    "FeedbackFact",
    "Identifier",
    "InteractionFact",
    "Observation",
    "OrderFact",
    "OrderItemFact",
    "Person",
    "RecordKind",
]

#: the longest natural key a record may have (`source_records.external_id`)
MAX_KEY_LENGTH = 255
RecordKind = Literal["event", "order", "feedback", "consent", "interaction", "profile"]
RECORD_KINDS: tuple[str, ...] = ("event", "order", "feedback", "consent", "interaction", "profile")


# The classes built for every record (`Identifier`, `EventFact`, `Observation`) write their
# fields straight into the instance's `__dict__`: a frozen dataclass's generated `__init__`
# goes through `object.__setattr__` once per field, about 40 % more per instance (some 1.5 us
# per web event in all). They stay frozen (assigning a field raises) and compare by value.


@dataclass(frozen=True, init=False)
class Identifier:
    """An identifier as the source gave it; `kind` is one of `cdp.normalize.IDENTIFIER_KINDS`."""

    kind: str
    value: str

    def __init__(self, kind: str, value: str) -> None:
        if kind not in _IDENTIFIER_KINDS:
            expected = f"expected one of {IDENTIFIER_KINDS}"
            raise ValueError(f"unknown identifier kind {kind!r}; {expected}")
        fields = self.__dict__
        fields["kind"] = kind
        fields["value"] = value


_IDENTIFIER_KINDS = frozenset(IDENTIFIER_KINDS)


@dataclass(frozen=True)
class Address:
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    postcode: str | None = None
    country: str | None = None

    def to_json(self) -> dict[str, str]:
        return _trimmed(self)


@dataclass(frozen=True)
class Person:
    """Person attributes as the source stated them (trimmed, not otherwise normalised)."""

    given_name: str | None = None
    family_name: str | None = None
    full_name: str | None = None
    email: str | None = None
    phone: str | None = None
    address: Address | None = None
    birth_date: str | None = None
    gender: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The `source_records.attributes` object: absent values are omitted."""
        if self is _NOBODY:  # most records (events) state nothing about the person
            return {}
        out: dict[str, Any] = _trimmed(self)
        if self.address is not None:
            address = self.address.to_json()
            if address:
                out["address"] = address
        return out


# One shared empty Person: building and serialising one per event costs ~2.5 us per record.
_NOBODY = Person()


@dataclass(frozen=True, init=False)
class EventFact:
    type: str
    name: str | None = None
    campaign_id: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)

    def __init__(
        self,
        type: str,
        name: str | None = None,
        campaign_id: str | None = None,
        properties: dict[str, Any] | None = None,
    ) -> None:
        fields = self.__dict__
        fields["type"] = type
        fields["name"] = name
        fields["campaign_id"] = campaign_id
        fields["properties"] = {} if properties is None else properties


@dataclass(frozen=True)
class OrderItemFact:
    name: str
    quantity: int
    unit_price_minor: int
    sku: str | None = None
    product_id: str | None = None
    category: str | None = None


@dataclass(frozen=True)
class OrderFact:
    """An order; `external_id` is the order's own id (unique per source in `orders`)."""

    external_id: str
    currency: str
    total_minor: int
    placed_at: datetime
    subtotal_minor: int | None = None
    refunded_minor: int = 0
    financial_status: str | None = None
    status: str | None = None
    sales_channel: str | None = None
    updated_at: datetime | None = None
    items: tuple[OrderItemFact, ...] = ()


@dataclass(frozen=True)
class FeedbackFact:
    """Feedback as the source states it: `kind` is one of `cdp.feedback.FEEDBACK_KINDS`
    (`comment` when the source does not know); `rating` stars 1-5, `nps` 0-10, `csat` 1-5;
    `topic` the source's own topic field. Language, sentiment and topics are added by the
    analysis step after the record is stored (`cdp.feedback.batch`)."""

    kind: str
    text: str | None = None
    rating: int | None = None
    sentiment: float | None = None
    topic: str | None = None
    nps: int | None = None
    csat: int | None = None
    product_ref: str | None = None
    order_ref: str | None = None


@dataclass(frozen=True)
class ConsentFact:
    """A consent decision (`cdp.consent`): `channel` is the channel it covers (`any` for
    every channel); None means the source's own channel."""

    purpose: str
    status: Literal["granted", "denied", "revoked"]
    reason: str | None = None
    channel: str | None = None


@dataclass(frozen=True)
class InteractionFact:
    type: str
    text: str | None = None
    url: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)


Fact = EventFact | OrderFact | FeedbackFact | ConsentFact | InteractionFact


@dataclass(frozen=True, init=False)
class Observation:
    """The platform's reading of one raw record.

    Attributes:
        external_id: the natural key, unique per source.
        kind: `event`, `order`, `feedback`, `consent`, `interaction` or `profile`.
        occurred_at: aware UTC time the record happened (the runner refuses naive times).
        identifiers: raw identifiers; the runner normalises them and counts junk.
        person: stated person attributes.
        facts: what the record reports (an event, an order with items, feedback...).
    """

    external_id: str
    kind: RecordKind
    occurred_at: datetime
    identifiers: tuple[Identifier, ...] = ()
    person: Person = _NOBODY
    facts: tuple[Fact, ...] = ()

    def __init__(
        self,
        external_id: str,
        kind: RecordKind,
        occurred_at: datetime,
        identifiers: tuple[Identifier, ...] = (),
        person: Person = _NOBODY,
        facts: tuple[Fact, ...] = (),
    ) -> None:
        if not external_id:
            raise ValueError("an observation needs a non-empty external_id")
        if len(external_id) > MAX_KEY_LENGTH:
            raise SkippableRecordError(
                f"the record's key is longer than {MAX_KEY_LENGTH} characters",
                value=external_id,
            )
        if kind not in _RECORD_KINDS:
            raise ValueError(f"unknown record kind {kind!r}; expected one of {RECORD_KINDS}")
        if occurred_at.tzinfo is None:
            raise ValueError(f"occurred_at {occurred_at.isoformat()!r} has no time zone")
        fields = self.__dict__
        fields["external_id"] = external_id
        fields["kind"] = kind
        fields["occurred_at"] = occurred_at
        fields["identifiers"] = identifiers
        fields["person"] = person
        fields["facts"] = facts


_RECORD_KINDS = frozenset(RECORD_KINDS)


def _trimmed(obj: object) -> dict[str, Any]:
    # vars() is several times faster than dataclasses.fields() on this hot path.
    return {
        name: value.strip()
        for name, value in vars(obj).items()
        if isinstance(value, str) and value and not value.isspace()
    }
