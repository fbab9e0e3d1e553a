"""A small hand-made shop for the recommendation tests (both backends).

Products: Tent (t), Stove (s) and Mug (m) go together; Socks (k) sell to everyone, alone;
Coffee (c) is bought again and again. Twelve campers buy the tent and the stove (six of them
the mug too); twenty people buy socks; four buy coffee in two orders each. Zoe bought a tent
and coffee and viewed a mug.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from cdp import models
from tests.schema.factories import make_consent, make_profile, make_record, make_source

T = datetime(2026, 1, 5, 12, tzinfo=UTC)
NAMES = {"t": "Tent", "s": "Stove", "m": "Mug", "k": "Socks", "c": "Coffee"}
CATEGORY = {"t": "camping", "s": "camping", "m": "camping", "k": "apparel", "c": "pantry"}
_seq = itertools.count(1)


def buy(
    session: Session,
    source: models.Source,
    profile: models.Profile,
    products: str,
    at: datetime,
    *,
    external_id: str | None = None,
) -> models.Order:
    record = make_record(session, source=source, profile=profile, kind="order", at=at)
    order = models.Order(
        record_id=record.id,
        source_id=source.id,
        profile_id=profile.id,
        external_id=external_id or f"r-{next(_seq)}",
        channel=source.channel,
        currency="USD",
        total_minor=1000 * len(products),
        placed_at=at,
    )
    session.add(order)
    session.flush()
    for code in products:
        session.add(
            models.OrderItem(
                order_id=order.id,
                product_id=code,
                name=NAMES[code],
                category=CATEGORY[code],
                quantity=1,
                unit_price_minor=1000,
            )
        )
    session.flush()
    return order


def view(session: Session, source: models.Source, profile: models.Profile, code: str) -> None:
    record = make_record(session, source=source, profile=profile, kind="event", at=T)
    session.add(
        models.Event(
            record_id=record.id,
            source_id=source.id,
            profile_id=profile.id,
            channel="web",
            type="track",
            name="Product Viewed",
            occurred_at=T,
            properties={"product_id": code, "name": NAMES[code], "category": CATEGORY[code]},
        )
    )


def build(session: Session, *, consent: bool = True) -> models.Profile:
    """The shop; returns Zoe (with consent to personalise unless `consent` is False)."""
    store, web = make_source(session, channel="store"), make_source(session, channel="web")
    for n in range(12):
        camper = make_profile(session, given_name=f"Camper{n}")
        buy(session, store, camper, "ts" + ("m" if n % 2 else ""), T + timedelta(days=n))
    for n in range(20):
        buy(session, store, make_profile(session, given_name=f"Walker{n}"), "k", T)
    for n in range(4):
        drinker = make_profile(session, given_name=f"Drinker{n}")
        buy(session, store, drinker, "c", T)
        buy(session, store, drinker, "c", T + timedelta(days=30))
    zoe = make_profile(session, given_name="Zoe")
    buy(session, store, zoe, "tc", T, external_id="z-1")
    buy(session, web, zoe, "tc", T, external_id="z-1")  # the web copy: counted once
    view(session, web, zoe, "m")
    if consent:
        make_consent(session, profile=zoe, purpose="personalisation", channel="web")
    session.flush()
    return zoe
