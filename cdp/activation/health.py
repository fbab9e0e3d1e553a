"""Destination health and the delivery log: counts, lag, dead letters, replay."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.orm import Session

from cdp import models
from cdp.errors import InvalidInputError, NotFoundError
from cdp.types import utcnow

__all__ = ["STATUSES", "DestinationHealth", "health", "list_deliveries", "prune", "replay"]

STATUSES = ("pending", "sending", "delivered", "dead", "skipped")


@dataclass(frozen=True)
class DestinationHealth:
    """delivered, dead (failed for good), pending (of which `retrying` failed before),
    skipped (consent or nothing to send), and lag: how long the oldest undelivered change
    has waited (0 when nothing waits)."""

    name: str
    kind: str
    enabled: bool
    delivered: int
    dead: int
    pending: int
    retrying: int
    skipped: int
    lag_seconds: float
    last_delivered_at: datetime | None
    last_error: str | None


def health(session: Session, now: datetime | None = None) -> list[DestinationHealth]:
    now = now or utcnow()
    d = models.Delivery
    counts = {
        (row.destination_id, row.status): row
        for row in session.execute(
            select(
                d.destination_id,
                d.status,
                func.count().label("n"),
                func.sum(case((d.attempts > 0, 1), else_=0)).label("retried"),
                func.min(d.changed_at).label("oldest"),
                func.max(d.delivered_at).label("latest"),
            ).group_by(d.destination_id, d.status)
        )
    }
    errors: dict[int, str | None] = {
        row.destination_id: row.last_error
        for row in session.execute(
            select(d.destination_id, d.last_error).where(
                d.id.in_(
                    select(func.max(d.id))
                    .where(d.last_error.is_not(None), d.status != "skipped")
                    .group_by(d.destination_id)
                )
            )
        )
    }
    found = []
    for destination in session.scalars(
        select(models.Destination).order_by(models.Destination.name)
    ):

        def n(status: str, key: int = destination.id) -> int:
            row = counts.get((key, status))
            return int(row.n) if row else 0

        rows = [
            counts[(destination.id, s)]
            for s in ("pending", "sending")
            if (destination.id, s) in counts
        ]
        oldest = min((r.oldest for r in rows if r.oldest is not None), default=None)
        delivered = counts.get((destination.id, "delivered"))
        found.append(
            DestinationHealth(
                name=destination.name,
                kind=destination.kind,
                enabled=destination.enabled,
                delivered=n("delivered"),
                dead=n("dead"),
                pending=n("pending") + n("sending"),
                retrying=_retried(counts.get((destination.id, "pending"))),
                skipped=n("skipped"),
                lag_seconds=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
                last_delivered_at=delivered.latest if delivered else None,
                last_error=errors.get(destination.id),
            )
        )
    return found


def _retried(row: Any) -> int:
    return int(row.retried or 0) if row is not None else 0


def _destination_id(session: Session, name: str) -> int:
    found = session.scalar(select(models.Destination.id).where(models.Destination.name == name))
    if found is None:
        raise NotFoundError("destination", name)
    return found


def list_deliveries(
    session: Session,
    *,
    destination: str | None = None,
    status: str | None = None,
    limit: int = 50,
) -> list[tuple[models.Delivery, str]]:
    """The latest deliveries (newest first) with their destination's name."""
    if status is not None and status not in STATUSES:
        raise InvalidInputError("status", f"{status!r}; expected one of {', '.join(STATUSES)}")
    query = (
        select(models.Delivery, models.Destination.name)
        .join(models.Destination, models.Destination.id == models.Delivery.destination_id)
        .order_by(models.Delivery.id.desc())
        .limit(limit)
    )
    if destination is not None:
        query = query.where(models.Delivery.destination_id == _destination_id(session, destination))
    if status is not None:
        query = query.where(models.Delivery.status == status)
    return [(row[0], row[1]) for row in session.execute(query)]


def replay(
    session: Session,
    *,
    destination: str | None = None,
    ids: Sequence[int] = (),
    statuses: Sequence[str] = ("dead",),
) -> int:
    """Make dead (or `statuses`) deliveries pending again, attempts reset; returns how many.
    They keep their idempotency key, so a receiver that saw one before can tell."""
    bad = [s for s in statuses if s not in ("dead", "skipped", "delivered")]
    if bad:
        raise InvalidInputError("status", f"{bad[0]!r}; replay takes dead, skipped or delivered")
    d = models.Delivery
    query = update(d).where(d.status.in_(list(statuses)))
    if destination is not None:
        query = query.where(d.destination_id == _destination_id(session, destination))
    if ids:
        query = query.where(d.id.in_(list(ids)))
    result = session.execute(
        query.values(
            status="pending", attempts=0, next_attempt_at=utcnow(), lease_until=None
        ).execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def prune(session: Session, older_than: datetime) -> tuple[int, int]:
    """Delete delivered and skipped deliveries, and dispatched outbox entries, created before
    `older_than` (dead and pending ones stay); returns (deliveries, outbox entries) deleted."""
    d, o = models.Delivery, models.OutboxEntry
    deliveries = session.execute(
        delete(d)
        .where(d.status.in_(("delivered", "skipped")), d.created_at < older_than)
        .execution_options(synchronize_session=False)
    )
    entries = session.execute(
        delete(o)
        .where(o.dispatched_at.is_not(None), o.created_at < older_than)
        .execution_options(synchronize_session=False)
    )
    return int(deliveries.rowcount), int(entries.rowcount)  # type: ignore[attr-defined]
