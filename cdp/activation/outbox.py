"""The transactional outbox: changes activation acts on, written in the transaction that made
them, so nothing is sent for a change that rolled back and nothing is lost if a process dies
between the change and its delivery.

Topics (the `topic` column) and their payloads:

- `event`: a behavioural event of a profile (`{"event": {name, type, channel, occurred_at,
  properties}}`), captured after identity resolution for the names some destination or flow
  wants, when it happened within `MAX_EVENT_AGE` (older ones are history being loaded);
- `segment.entered` / `segment.exited`: `{"segment": name}`;
- `trait.changed`: `{"trait": name, "old": value, "new": value}`;
- `flow.message`: a flow's send action for one destination (`{"destination": name, ...}`).

On PostgreSQL each writing transaction also sends `NOTIFY cdp_outbox`, delivered when it
commits, which wakes the worker at once (`cdp.activation.worker`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from cdp import models
from cdp.types import utcnow

__all__ = [
    "CHANNEL",
    "MAX_EVENT_AGE",
    "TOPICS",
    "Change",
    "capture_records",
    "emit",
    "wanted_event_names",
]

CHANNEL = "cdp_outbox"
TOPICS = ("event", "segment.entered", "segment.exited", "trait.changed", "flow.message")
MAX_EVENT_AGE = timedelta(hours=24)
ANY = "*"


@dataclass(frozen=True)
class Change:
    """One outbox entry to write."""

    topic: str
    profile_id: str | None
    payload: Mapping[str, Any]


def emit(session: Session, changes: Iterable[Change]) -> int:
    """Write these changes to the outbox in the session's transaction; returns how many."""
    rows = [
        {"topic": c.topic, "profile_id": c.profile_id, "payload": dict(c.payload)} for c in changes
    ]
    for row in rows:
        if row["topic"] not in TOPICS:
            raise ValueError(f"unknown outbox topic {row['topic']!r}; expected one of {TOPICS}")
    if not rows:
        return 0
    now = utcnow()
    session.execute(insert(models.OutboxEntry), [{**row, "created_at": now} for row in rows])
    notify(session)
    return len(rows)


def notify(session: Session) -> None:
    """Wake the workers when this transaction commits (PostgreSQL; SQLite workers poll)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})


def wanted_event_names(session: Session, extra: Iterable[str] = ()) -> frozenset[str]:
    """The event names some enabled destination forwards (`*`: every name), plus `extra`
    (the triggers of flows)."""
    names: set[str] = set(extra)
    for events in session.scalars(
        select(models.Destination.events).where(models.Destination.enabled.is_(True))
    ):
        names.update(events or ())
    return frozenset(names)


def capture_records(
    session: Session,
    record_ids: Sequence[int],
    *,
    wanted: frozenset[str] | None = None,
    now: datetime | None = None,
) -> int:
    """Write an `event` change for each event of these (just resolved) records that some
    destination or flow wants and that happened within `MAX_EVENT_AGE`; returns how many."""
    if wanted is None:
        from cdp.activation.flows import trigger_event_names

        wanted = wanted_event_names(session, trigger_event_names(session))
    if not wanted or not record_ids:
        return 0
    since = (now or utcnow()) - MAX_EVENT_AGE
    e = models.Event
    query = (
        select(e.profile_id, e.name, e.type, e.channel, e.occurred_at, e.properties, e.record_id)
        .where(e.record_id.in_(sorted(set(record_ids))))
        .where(e.profile_id.is_not(None), e.occurred_at >= since)
    )
    if ANY not in wanted:
        query = query.where(e.name.in_(sorted(wanted)))
    changes = [
        Change(
            "event",
            profile_id,
            {
                "event": {
                    "name": name,
                    "type": kind,
                    "channel": channel,
                    "occurred_at": occurred_at.isoformat(),
                    "properties": properties or {},
                },
                "record_id": record_id,
            },
        )
        for profile_id, name, kind, channel, occurred_at, properties, record_id in session.execute(
            query.order_by(e.occurred_at, e.id)
        )
    ]
    return emit(session, changes)
