"""A small world in memory (profiles with their identifiers, events, orders, consents, feedback
and traits), hypothesis strategies that draw one, and the code that stores it.

Values come from small pools so that random conditions often match; times cluster around the
window edges (exactly 30 days before `NOW`, just inside, just outside) so boundaries are tested.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st
from sqlalchemy.orm import Session

from cdp import models

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
NAMES = ["Ann", "ann", "Bob", "Zoë", "Li", "Anna"]
COUNTRIES = ["FR", "US", "DE"]
CITIES = ["Paris", "Lyon", "Berlin"]
CATEGORIES = ["shoes", "hats", "bags"]
PRODUCTS = ["P1", "P2", "P3"]
EVENT_TYPES = ["track", "page", "email.open"]
EVENT_NAMES = ["Product Viewed", "Order Completed", "Signed Up"]
CHANNELS = ["web", "email", "store"]
PURPOSES = ["email_marketing", "sms"]
KINDS = ["email", "phone", "customer_id"]
FEEDBACK_KINDS = ["complaint", "review"]
SENTIMENTS = ["positive", "neutral", "negative"]
TOPICS = ["delivery", "price"]
TIERS = ["high", "medium", "low"]
STAGES = ["new", "active", "lapsed"]
_EDGES = [
    timedelta(days=-30),
    timedelta(days=-30, microseconds=-1),
    timedelta(days=-30, microseconds=1),
    timedelta(days=-7),
    timedelta(0),
    timedelta(seconds=1),
]


@dataclass
class Item:
    category: str | None
    product_id: str | None
    sku: str | None
    quantity: int
    unit_price_minor: int


@dataclass
class Order:
    status: str | None
    currency: str
    total_minor: int
    refunded_minor: int
    placed_at: datetime
    items: list[Item]


@dataclass
class Event:
    type: str
    name: str | None
    channel: str
    occurred_at: datetime
    properties: dict[str, Any]


@dataclass
class Consent:
    purpose: str
    channel: str
    status: str
    occurred_at: datetime


@dataclass
class Feedback:
    kind: str
    sentiment: str | None
    channel: str
    topics: list[str]
    occurred_at: datetime
    nps: int | None = None


@dataclass
class Person:
    id: str
    status: str
    given_name: str | None
    email: str | None
    record_count: int
    last_seen_at: datetime | None
    attributes: dict[str, Any]
    identifiers: list[str] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    consents: list[Consent] = field(default_factory=list)
    feedback: list[Feedback] = field(default_factory=list)
    traits: dict[str, Any] | None = None


def times() -> st.SearchStrategy[datetime]:
    edge = st.sampled_from(_EDGES).map(lambda d: NOW + d)
    spread = st.integers(-90 * 24, 2).map(lambda h: NOW + timedelta(hours=h))
    return st.one_of(edge, spread)


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


@st.composite
def persons(draw: st.DrawFn, index: int) -> Person:
    attributes: dict[str, Any] = {}
    if draw(st.booleans()):
        attributes["gender"] = draw(st.sampled_from(["female", "male", 5]))
    if draw(st.booleans()):
        attributes["address"] = {
            "country": draw(st.sampled_from(COUNTRIES)),
            "city": draw(st.sampled_from(CITIES)),
        }
    if draw(st.booleans()):
        attributes["birth_date"] = draw(st.sampled_from(["1980-02-29", "1990-05-01", "2001-12-31"]))
    items = st.builds(
        Item,
        category=_maybe(st.sampled_from(CATEGORIES)),
        product_id=_maybe(st.sampled_from(PRODUCTS)),
        sku=_maybe(st.sampled_from(PRODUCTS)),
        quantity=st.integers(1, 3),
        unit_price_minor=st.sampled_from([500, 1000, 2500]),
    )
    orders = st.builds(
        Order,
        status=st.sampled_from([None, "paid", "cancelled"]),
        currency=st.sampled_from(["EUR", "USD"]),
        total_minor=st.sampled_from([0, 1000, 5000, 10000]),
        refunded_minor=st.sampled_from([0, 0, 1000]),
        placed_at=times(),
        items=st.lists(items, max_size=2),
    )
    properties = st.dictionaries(
        st.sampled_from(["category", "plan"]), st.sampled_from([*CATEGORIES, "pro", 3]), max_size=2
    )
    events = st.builds(
        Event,
        type=st.sampled_from(EVENT_TYPES),
        name=_maybe(st.sampled_from(EVENT_NAMES)),
        channel=st.sampled_from(CHANNELS),
        occurred_at=times(),
        properties=properties,
    )
    consents = st.builds(
        Consent,
        purpose=st.sampled_from(PURPOSES),
        channel=st.sampled_from(CHANNELS),
        status=st.sampled_from(["granted", "revoked"]),
        occurred_at=st.sampled_from([NOW - timedelta(days=2), NOW - timedelta(days=1)]),
    )
    feedback = st.builds(
        Feedback,
        kind=st.sampled_from(FEEDBACK_KINDS),
        sentiment=_maybe(st.sampled_from(SENTIMENTS)),
        channel=st.sampled_from(CHANNELS),
        topics=st.lists(st.sampled_from(TOPICS), unique=True, max_size=2),
        occurred_at=times(),
        nps=_maybe(st.sampled_from([0, 6, 7, 8, 9, 10])),  # each band's edges
    )
    traits = st.fixed_dictionaries(
        {
            "value_tier": _maybe(st.sampled_from(TIERS)),
            "lifecycle_stage": _maybe(st.sampled_from(STAGES)),
            "order_count": st.integers(0, 5),
            "probability_alive": _maybe(st.sampled_from([0.1, 0.5, 0.9])),
            "last_order_at": _maybe(times()),
        }
    )
    return Person(
        id=f"p{index:03d}",
        status=draw(st.sampled_from(["active", "active", "active", "merged"])),
        given_name=draw(_maybe(st.sampled_from(NAMES))),
        email=draw(_maybe(st.sampled_from(["a@x.com", "b@y.org"]))),
        record_count=draw(st.integers(1, 4)),
        last_seen_at=draw(_maybe(times())),
        attributes=attributes,
        identifiers=draw(st.lists(st.sampled_from(KINDS), unique=True, max_size=2)),
        events=draw(st.lists(events, max_size=5)),
        orders=draw(st.lists(orders, max_size=4)),
        consents=draw(st.lists(consents, max_size=3)),
        feedback=draw(st.lists(feedback, max_size=2)),
        traits=draw(_maybe(traits)),
    )


@st.composite
def worlds(draw: st.DrawFn, max_people: int = 10) -> list[Person]:
    size = draw(st.integers(1, max_people))
    return [draw(persons(i)) for i in range(size)]


_ids = itertools.count(1)


def store(session: Session, people: list[Person]) -> None:
    """Write the world (in the caller's transaction)."""
    source = models.Source(name=f"world-{next(_ids)}", channel="store", adapter="store.test")
    session.add(source)
    session.flush()
    for person in people:
        session.add(_profile(person))
    session.flush()
    for person in people:
        _facts(session, source, person)
    session.flush()


def _profile(person: Person) -> models.Profile:
    return models.Profile(
        id=person.id,
        status=person.status,
        given_name=person.given_name,
        email=person.email,
        record_count=person.record_count,
        last_seen_at=person.last_seen_at,
        attributes=person.attributes,
    )


def _facts(session: Session, source: models.Source, person: Person) -> None:
    for kind in person.identifiers:
        session.add(
            models.Identifier(
                record_id=next(_ids), kind=kind, value=f"{kind}-{person.id}", profile_id=person.id
            )
        )
    for event in person.events:
        session.add(
            models.Event(
                record_id=next(_ids),
                source_id=source.id,
                profile_id=person.id,
                channel=event.channel,
                type=event.type,
                name=event.name,
                occurred_at=event.occurred_at,
                properties=event.properties,
            )
        )
    for order in person.orders:
        record = _record(session, source)
        session.add(
            models.Order(
                record_id=record.id,
                source_id=source.id,
                profile_id=person.id,
                external_id=f"o-{record.id}",
                channel="store",
                status=order.status,
                currency=order.currency,
                total_minor=order.total_minor,
                refunded_minor=order.refunded_minor,
                placed_at=order.placed_at,
                items=[
                    models.OrderItem(
                        sku=i.sku,
                        product_id=i.product_id,
                        name="thing",
                        quantity=i.quantity,
                        unit_price_minor=i.unit_price_minor,
                        category=i.category,
                    )
                    for i in order.items
                ],
            )
        )
    for consent in person.consents:
        session.add(
            models.Consent(
                profile_id=person.id,
                channel=consent.channel,
                purpose=consent.purpose,
                status=consent.status,
                occurred_at=consent.occurred_at,
            )
        )
        session.flush()  # ids follow the list order (the oracle's tie-break)
    for item in person.feedback:
        session.add(
            models.Feedback(
                profile_id=person.id,
                channel=item.channel,
                kind=item.kind,
                sentiment_label=item.sentiment,
                nps=item.nps,
                occurred_at=item.occurred_at,
                topics=[models.FeedbackTopic(topic=t) for t in item.topics],
            )
        )
    if person.traits is not None:
        session.add(models.ProfileTraits(profile_id=person.id, as_of=NOW, **person.traits))


def _record(session: Session, source: models.Source) -> models.SourceRecord:
    n = next(_ids)
    record = models.SourceRecord(
        source_id=source.id, external_id=f"r-{n}", kind="order", payload={}, content_hash=str(n)
    )
    session.add(record)
    session.flush()
    return record
