"""Factories for value tests: a profile with a record per source, and its facts."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from cdp import models

_seq = itertools.count(1)
AS_OF = datetime(2026, 6, 1, tzinfo=UTC)


def day(month: int, d: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(2026, month, d, hour, minute, tzinfo=UTC)


def make_profile(session: Session, *, id: str | None = None, **fields: Any) -> models.Profile:
    profile = models.Profile(id=id or f"p-{next(_seq):06d}", **fields)
    session.add(profile)
    session.flush()
    return profile


def _record(session: Session, profile: models.Profile, channel: str) -> models.SourceRecord:
    name = f"{channel}-source"
    source = session.query(models.Source).filter_by(name=name).one_or_none()
    if source is None:
        source = models.Source(name=name, channel=channel, adapter=f"{channel}.test")
        session.add(source)
        session.flush()
    n = next(_seq)
    record = models.SourceRecord(
        source_id=source.id,
        external_id=f"rec-{n}",
        kind="order",
        occurred_at=AS_OF,
        received_at=AS_OF,
        payload={"n": n},
        attributes={},
        content_hash=f"{n:064d}",
        profile_id=profile.id,
    )
    session.add(record)
    session.flush()
    return record


def make_order(
    session: Session,
    profile: models.Profile,
    *,
    at: datetime,
    total_minor: int,
    currency: str = "USD",
    external_id: str | None = None,
    channel: str = "store",
    status: str | None = None,
    financial_status: str | None = "paid",
    refunded_minor: int = 0,
    items: list[tuple[str, str | None, int]] = (),  # type: ignore[assignment]
) -> models.Order:
    """An order with items (name, category, quantity)."""
    record = _record(session, profile, channel)
    order = models.Order(
        record_id=record.id,
        source_id=record.source_id,
        profile_id=profile.id,
        external_id=external_id or f"order-{next(_seq)}",
        channel=channel,
        status=status,
        financial_status=financial_status,
        currency=currency,
        total_minor=total_minor,
        refunded_minor=refunded_minor,
        placed_at=at,
    )
    session.add(order)
    session.flush()
    for name, category, quantity in items:
        session.add(
            models.OrderItem(
                order_id=order.id,
                name=name,
                category=category,
                quantity=quantity,
                unit_price_minor=100,
                product_id=name.lower(),
            )
        )
    session.flush()
    return order


def make_event(
    session: Session,
    profile: models.Profile,
    *,
    type: str,
    at: datetime,
    channel: str = "web",
    campaign_id: str | None = None,
) -> models.Event:
    record = _record(session, profile, channel)
    event = models.Event(
        record_id=record.id,
        source_id=record.source_id,
        profile_id=profile.id,
        channel=channel,
        type=type,
        name=type,
        campaign_id=campaign_id,
        occurred_at=at,
        properties={},
    )
    session.add(event)
    session.flush()
    return event


def make_interaction(session: Session, profile: models.Profile, *, at: datetime) -> None:
    record = _record(session, profile, "social")
    session.add(
        models.Interaction(
            record_id=record.id,
            source_id=record.source_id,
            profile_id=profile.id,
            channel="social",
            type="mention",
            text="hello",
            occurred_at=at,
        )
    )
    session.flush()
