"""Fan-out: each outbox entry becomes one delivery per enabled destination that wants it.

Runs in one transaction: the deliveries are inserted and the entries marked dispatched
together, so an entry is fanned out exactly once (two workers that read the same entry, which
SQLite allows, insert nothing twice: a delivery is unique per destination and entry).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from cdp import models
from cdp.activation.outbox import ANY
from cdp.types import utcnow

__all__ = ["DISPATCH_BATCH", "OutboxHook", "dispatch", "idempotency_key", "wants"]

DISPATCH_BATCH = 500
#: something else that reads each entry as it is dispatched (the flows' triggers)
OutboxHook = Callable[[Session, Sequence[models.OutboxEntry]], object]


def idempotency_key(destination_id: int, outbox_id: int) -> str:
    digest = hashlib.sha256(f"cdp-delivery:{destination_id}:{outbox_id}".encode()).hexdigest()
    return f"dlv_{digest[:40]}"


def wants(destination: models.Destination, entry: models.OutboxEntry) -> bool:
    """Whether this destination subscribes to this change."""
    payload = entry.payload
    if entry.topic == "event":
        return listed(destination.events, payload.get("event", {}).get("name"))
    if entry.topic in ("segment.entered", "segment.exited"):
        return listed(destination.segments, payload.get("segment"))
    if entry.topic == "trait.changed":
        return listed(destination.traits, payload.get("trait"))
    if entry.topic == "flow.message":
        return bool(payload.get("destination") == destination.name)
    return False


def listed(names: Sequence[str] | None, name: Any) -> bool:
    return bool(names) and (ANY in names or name in names)  # type: ignore[operator]


def dispatch(
    session: Session, *, limit: int = DISPATCH_BATCH, hooks: Sequence[OutboxHook] = ()
) -> int:
    """Fan out up to `limit` pending outbox entries; returns how many entries it took."""
    query = (
        select(models.OutboxEntry)
        .where(models.OutboxEntry.dispatched_at.is_(None))
        .order_by(models.OutboxEntry.id)
        .limit(limit)
    )
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        query = query.with_for_update(skip_locked=True)
    entries = list(session.scalars(query))
    if not entries:
        return 0
    destinations = list(
        session.scalars(select(models.Destination).where(models.Destination.enabled.is_(True)))
    )
    now = utcnow()
    rows = [
        {
            "destination_id": destination.id,
            "outbox_id": entry.id,
            "profile_id": entry.profile_id,
            "topic": entry.topic,
            "payload": entry.payload,
            "idempotency_key": idempotency_key(destination.id, entry.id),
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "changed_at": entry.created_at,
            "created_at": now,
        }
        for entry in entries
        for destination in destinations
        if wants(destination, entry)
    ]
    if rows:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        session.execute(
            insert(models.Delivery).on_conflict_do_nothing(
                index_elements=["destination_id", "outbox_id"]
            ),
            rows,
        )
    for hook in hooks:
        hook(session, entries)
    session.execute(
        update(models.OutboxEntry)
        .where(models.OutboxEntry.id.in_([e.id for e in entries]))
        .values(dispatched_at=now)
    )
    return len(entries)
