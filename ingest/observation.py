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

__all__ = [
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

RecordKind = Literal["event", "order", "feedback", "consent", "interaction", "profile"]
RECORD_KINDS: tuple[str, ...] = ("event", "order", "feedback", "consent", "interaction", "profile")


@dataclass(frozen=True)
class Identifier:
    """An identifier as the source gave it; `kind` is one of `cdp.normalize.IDENTIFIER_KINDS`."""

    kind: str
    value: str

    def __post_init__(self) -> None:
        if self.kind not in IDENTIFIER_KINDS:
            raise ValueError(
                f"unknown identifier kind {self.kind!r}; expected one of {IDENTIFIER_KINDS}"
            )


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


@dataclass(frozen=True)
class EventFact:
    type: str
    name: str | None = None
    campaign_id: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)


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
    kind: str
    text: str | None = None
    rating: int | None = None
    sentiment: float | None = None
    topic: str | None = None


@dataclass(frozen=True)
class ConsentFact:
    purpose: str
    status: Literal["granted", "revoked"]
    reason: str | None = None


@dataclass(frozen=True)
class InteractionFact:
    type: str
    text: str | None = None
    url: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)


Fact = EventFact | OrderFact | FeedbackFact | ConsentFact | InteractionFact


@dataclass(frozen=True)
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

    def __post_init__(self) -> None:
        if not self.external_id:
            raise ValueError("an observation needs a non-empty external_id")
        if self.kind not in RECORD_KINDS:
            raise ValueError(f"unknown record kind {self.kind!r}; expected one of {RECORD_KINDS}")
        if self.occurred_at.tzinfo is None:
            raise ValueError(f"occurred_at {self.occurred_at.isoformat()!r} has no time zone")


def _trimmed(obj: object) -> dict[str, Any]:
    # vars() is several times faster than dataclasses.fields() on this hot path.
    return {
        name: value.strip()
        for name, value in vars(obj).items()
        if isinstance(value, str) and value and not value.isspace()
    }
