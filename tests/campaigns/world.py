"""A small hand-made email world for the campaign tests (both backends).

Campaign `c1` is sent at T to Ann (m1), Ben (m2) and Cat (m3, bounces); `c2` at T + 1 day to
Ann (m4) and Dan (m5). Ann opens m1 twice and clicks it at T + 1 h, clicks m4 at T + 47 h,
and orders at T + 3 days (stored twice: the Shopify order and the web shop's `Order
Completed`, same order id); Ben opens m1 and orders at T + 10 days, with no click. Ann, Ben and
Dan were customers before T (an order at T - 30 days each).
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from cdp import models
from tests.schema.factories import make_profile, make_record, make_source

T = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
_seq = itertools.count(1)


def email_event(
    session: Session,
    source: models.Source,
    profile: models.Profile,
    event: str,
    campaign: str,
    message: str,
    at: datetime,
) -> None:
    record = make_record(session, source=source, profile=profile, kind="event", at=at)
    session.add(
        models.Event(
            record_id=record.id,
            source_id=source.id,
            profile_id=profile.id,
            channel="email",
            type=f"email.{event}",
            name=event,
            campaign_id=campaign,
            occurred_at=at,
            properties={"sg_message_id": message},
        )
    )


def order(
    session: Session,
    source: models.Source,
    profile: models.Profile,
    at: datetime,
    total: int,
    *,
    external_id: str | None = None,
    refunded: int = 0,
) -> models.Order:
    record = make_record(session, source=source, profile=profile, kind="order", at=at)
    row = models.Order(
        record_id=record.id,
        source_id=source.id,
        profile_id=profile.id,
        external_id=external_id or f"o-{next(_seq)}",
        channel=source.channel,
        currency="USD",
        total_minor=total,
        refunded_minor=refunded,
        placed_at=at,
    )
    session.add(row)
    session.flush()
    return row


def build(session: Session) -> dict[str, Any]:
    email = make_source(session, channel="email")
    shop = make_source(session, channel="store")
    web = make_source(session, channel="web")
    ann, ben, cat, dan = (make_profile(session, given_name=n) for n in ("Ann", "Ben", "Cat", "Dan"))
    hour = timedelta(hours=1)
    for person, message in ((ann, "m1"), (ben, "m2"), (cat, "m3")):
        email_event(session, email, person, "processed", "c1", message, T)
    email_event(session, email, ann, "delivered", "c1", "m1", T + 60 * timedelta(seconds=1))
    email_event(session, email, ben, "delivered", "c1", "m2", T + 60 * timedelta(seconds=1))
    email_event(session, email, cat, "bounce", "c1", "m3", T + 60 * timedelta(seconds=1))
    email_event(session, email, ann, "open", "c1", "m1", T + 0.5 * hour)
    email_event(session, email, ann, "open", "c1", "m1", T + 30 * hour)
    email_event(session, email, ben, "open", "c1", "m2", T + 2 * hour)
    email_event(session, email, ann, "click", "c1", "m1", T + hour)
    for person, message in ((ann, "m4"), (dan, "m5")):
        email_event(session, email, person, "processed", "c2", message, T + 24 * hour)
        email_event(session, email, person, "delivered", "c2", message, T + 24 * hour)
    email_event(session, email, ann, "click", "c2", "m4", T + 47 * hour)
    for person in (ann, ben, dan):
        order(session, shop, person, T - timedelta(days=30), 1000)
    order(session, shop, ann, T + timedelta(days=3), 5000, external_id="9001", refunded=500)
    order(session, web, ann, T + timedelta(days=3), 5000, external_id="9001")
    order(session, shop, ben, T + timedelta(days=10), 2500)
    session.flush()
    return {"ann": ann, "ben": ben, "cat": cat, "dan": dan}
