"""Plain keyword-only factories: each makes exactly one row, with unique defaults."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from cdp import models

_seq = itertools.count(1)
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def make_source(
    session: Session, *, name: str | None = None, channel: str = "web"
) -> models.Source:
    source = models.Source(
        name=name or f"{channel}-{next(_seq)}", channel=channel, adapter=f"{channel}.test"
    )
    session.add(source)
    session.flush()
    return source


def make_profile(
    session: Session,
    *,
    id: str | None = None,
    given_name: str | None = "Jane",
    family_name: str | None = "Doe",
    email: str | None = None,
    phone: str | None = None,
    status: str = "active",
    merged_into_id: str | None = None,
    last_seen_at: datetime | None = None,
    attributes: dict[str, Any] | None = None,
    record_count: int = 1,
    channel_count: int = 1,
) -> models.Profile:
    n = next(_seq)
    profile = models.Profile(
        id=id or f"p-{n:06d}",
        status=status,
        merged_into_id=merged_into_id,
        given_name=given_name,
        family_name=family_name,
        email=email,
        phone=phone,
        attributes=attributes or {},
        record_count=record_count,
        channel_count=channel_count,
        first_seen_at=T0,
        last_seen_at=last_seen_at or T0 + timedelta(minutes=n),
    )
    session.add(profile)
    session.flush()
    return profile


def make_record(
    session: Session,
    *,
    source: models.Source,
    profile: models.Profile | None = None,
    kind: str = "profile",
    attributes: dict[str, Any] | None = None,
    payload: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> models.SourceRecord:
    n = next(_seq)
    record = models.SourceRecord(
        source_id=source.id,
        external_id=f"ext-{n}",
        kind=kind,
        occurred_at=at or T0,
        received_at=at or T0 + timedelta(seconds=n),
        payload=payload or {"n": n},
        attributes=attributes or {},
        content_hash=f"{n:064d}",
        profile_id=profile.id if profile else None,
    )
    session.add(record)
    session.flush()
    return record


def make_identifier(
    session: Session,
    *,
    record: models.SourceRecord,
    kind: str,
    value: str,
    at: datetime | None = None,
) -> models.Identifier:
    identifier = models.Identifier(
        record_id=record.id,
        kind=kind,
        value=value,
        raw_value=value,
        profile_id=record.profile_id,
        seen_at=at or record.occurred_at,
    )
    session.add(identifier)
    session.flush()
    return identifier


def make_event(
    session: Session,
    *,
    record: models.SourceRecord,
    type: str = "page",
    at: datetime | None = None,
    channel: str = "web",
) -> models.Event:
    event = models.Event(
        record_id=record.id,
        source_id=record.source_id,
        profile_id=record.profile_id,
        channel=channel,
        type=type,
        name=f"event {next(_seq)}",
        occurred_at=at or T0,
        properties={"path": "/"},
    )
    session.add(event)
    session.flush()
    return event


def make_order(
    session: Session,
    *,
    record: models.SourceRecord,
    total_minor: int = 1250,
    at: datetime | None = None,
    status: str = "fulfilled",
) -> models.Order:
    order = models.Order(
        record_id=record.id,
        source_id=record.source_id,
        profile_id=record.profile_id,
        external_id=f"order-{next(_seq)}",
        channel="store",
        status=status,
        currency="EUR",
        total_minor=total_minor,
        placed_at=at or T0,
    )
    session.add(order)
    session.flush()
    return order


def make_order_item(
    session: Session, *, order: models.Order, name: str = "Mug", unit_price_minor: int = 625
) -> models.OrderItem:
    item = models.OrderItem(
        order_id=order.id, name=name, quantity=2, unit_price_minor=unit_price_minor, sku="SKU-1"
    )
    session.add(item)
    session.flush()
    return item


def make_interaction(
    session: Session,
    *,
    record: models.SourceRecord,
    type: str = "mention",
    at: datetime | None = None,
) -> models.Interaction:
    interaction = models.Interaction(
        record_id=record.id,
        source_id=record.source_id,
        profile_id=record.profile_id,
        channel="social",
        type=type,
        text="love it",
        occurred_at=at or T0,
    )
    session.add(interaction)
    session.flush()
    return interaction


def make_consent(
    session: Session,
    *,
    profile: models.Profile,
    purpose: str = "email_marketing",
    status: str = "granted",
    channel: str = "email",
    at: datetime | None = None,
) -> models.Consent:
    consent = models.Consent(
        profile_id=profile.id, channel=channel, purpose=purpose, status=status, occurred_at=at or T0
    )
    session.add(consent)
    session.flush()
    return consent


def make_merge(
    session: Session, *, winner: models.Profile, loser: models.Profile, actor: str = "identity"
) -> models.MergeLog:
    entry = models.MergeLog(
        action="merge",
        profile_id=winner.id,
        other_profile_id=loser.id,
        record_ids=[1, 2],
        actor=actor,
        reason="same email",
        evidence={"rule": "email", "value": "jane@example.com"},
        created_at=T0,
    )
    session.add(entry)
    session.flush()
    return entry
