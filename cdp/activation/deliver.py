"""Claiming due deliveries, filtering them by consent, and recording what sending did.

A claim leases deliveries to one worker (`status = 'sending'` until `lease_until`) in one
statement (`UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED)` on PostgreSQL), and
counts the attempt. The lease is short (`LEASE`): while the worker sends, it extends the lease
of what it is sending every `HEARTBEAT` seconds (`extend_leases`), so a long send keeps its
deliveries and a worker that dies leaves them to be taken again within `LEASE`, by the next
claim, with the same idempotency key, so a receiver that dedupes sees each once. (A heartbeat
delayed past the lease can only make a delivery sent twice, never lost.)

Retries wait `backoff(attempts)`: exponential from `BACKOFF_BASE`, capped at
`BACKOFF_CAP`, with "equal jitter" (half fixed, half random), and at least what a
`Retry-After` header asked. After the destination's `max_attempts` the delivery is dead
until someone replays it (`cdp deliveries replay`).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from cdp import models
from cdp.activation._sender import Outcome, Outgoing
from cdp.consent import consented_profiles

__all__ = [
    "BACKOFF_BASE",
    "BACKOFF_CAP",
    "HEARTBEAT",
    "LEASE",
    "Claimed",
    "backoff",
    "claim",
    "extend_leases",
    "record_outcomes",
]

BACKOFF_BASE = 2.0
BACKOFF_CAP = 3600.0
LEASE = timedelta(seconds=5)
#: seconds between two extensions of the leases of the deliveries being sent
HEARTBEAT = 1.0
_PROFILE_FIELDS = ("email", "phone", "given_name", "family_name")


def backoff(attempts: int, rng: random.Random, retry_after: float | None = None) -> float:
    """Seconds before the next try after `attempts` failed ones."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempts - 1))
    delay = ceiling / 2 + rng.uniform(0, ceiling / 2)
    return float(max(delay, retry_after or 0.0))


@dataclass(frozen=True)
class Claimed:
    """What a claim leased: the deliveries to send, and how many consent filtered out."""

    outgoing: list[Outgoing]
    skipped_for_consent: int


def claim(
    session: Session,
    destination: models.Destination,
    limit: int,
    now: datetime,
    lease: timedelta = LEASE,
) -> Claimed:
    """Lease up to `limit` due deliveries of this destination and build what to send."""
    if limit < 1:
        return Claimed([], 0)
    d = models.Delivery
    due = or_(
        and_(d.status == "pending", d.next_attempt_at <= now),
        and_(d.status == "sending", d.lease_until < now),
    )
    ids = (
        select(d.id)
        .where(d.destination_id == destination.id, due)
        .order_by(d.next_attempt_at, d.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        ids = ids.with_for_update(skip_locked=True)
    leased = session.execute(
        update(d)
        .where(d.id.in_(ids.scalar_subquery()))
        .values(status="sending", lease_until=now + lease, attempts=d.attempts + 1)
        .returning(
            d.id, d.idempotency_key, d.topic, d.payload, d.profile_id, d.changed_at, d.attempts
        )
        .execution_options(synchronize_session=False)
    ).all()
    profiles = _current_profiles(session, {row.profile_id for row in leased if row.profile_id})
    allowed = _consented(session, destination.purpose, {p["id"] for p in profiles.values()})
    outgoing: list[Outgoing] = []
    refused: list[int] = []
    for row in sorted(leased, key=lambda r: r.id):
        profile = profiles.get(row.profile_id) if row.profile_id else None
        if allowed is not None and (profile is None or profile["id"] not in allowed):
            refused.append(row.id)
            continue
        outgoing.append(
            Outgoing(
                row.id,
                row.idempotency_key,
                row.topic,
                row.payload,
                profile,
                row.changed_at,
                row.attempts,
            )
        )
    if refused:
        session.execute(
            update(d)
            .where(d.id.in_(refused))
            .values(
                status="skipped",
                lease_until=None,
                last_error=f"no consent for purpose {destination.purpose!r}",
            )
            .execution_options(synchronize_session=False)
        )
    return Claimed(outgoing, len(refused))


def extend_leases(
    session: Session, delivery_ids: Sequence[int], now: datetime, lease: timedelta = LEASE
) -> int:
    """Keep leasing these deliveries (still being sent) for `lease` from now; returns how many
    were still leased."""
    d = models.Delivery
    result = session.execute(
        update(d)
        .where(d.id.in_(list(delivery_ids)), d.status == "sending")
        .values(lease_until=now + lease)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _current_profiles(session: Session, ids: set[str]) -> dict[str, dict[str, Any]]:
    """Each id's profile as sent (merged ids followed to the survivor; erased: absent)."""
    p = models.Profile
    found: dict[str, dict[str, Any]] = {}
    pending = {i: i for i in ids}
    for _ in range(10):
        if not pending:
            break
        rows = session.execute(
            select(
                p.id, p.status, p.merged_into_id, *(getattr(p, f) for f in _PROFILE_FIELDS)
            ).where(p.id.in_(set(pending.values())))
        ).all()
        by_id = {row.id: row for row in rows}
        following: dict[str, str] = {}
        for asked, current in pending.items():
            row = by_id.get(current)
            if row is None or row.status == "erased":
                continue
            if row.merged_into_id:
                following[asked] = row.merged_into_id
            else:
                found[asked] = {"id": row.id, **{f: getattr(row, f) for f in _PROFILE_FIELDS}}
        pending = following
    return found


def _consented(session: Session, purpose: str | None, ids: set[str]) -> set[str] | None:
    """The ids among `ids` whose consent allows `purpose` (None: no purpose, no filter)."""
    if purpose is None:
        return None
    if not ids:
        return set()
    granted = consented_profiles(purpose).subquery("granted")
    return set(
        session.scalars(select(granted.c.profile_id).where(granted.c.profile_id.in_(sorted(ids))))
    )


def record_outcomes(
    session: Session,
    destination: models.Destination,
    sent: Sequence[Outgoing],
    outcomes: Sequence[Outcome],
    now: datetime,
    rng: random.Random,
) -> dict[str, int]:
    """Store what sending did; returns counts per resulting status."""
    counts: dict[str, int] = {}
    d = models.Delivery
    for item, outcome in zip(sent, outcomes, strict=True):
        values: dict[str, Any] = {"lease_until": None, "last_error": outcome.detail}
        if outcome.status == "delivered":
            values.update(status="delivered", delivered_at=now)
        elif outcome.status == "skipped":
            values.update(status="skipped")
        elif outcome.status == "retry" and item.attempt < destination.max_attempts:
            delay = backoff(item.attempt, rng, outcome.retry_after)
            values.update(status="pending", next_attempt_at=now + timedelta(seconds=delay))
        else:
            values.update(status="dead")
        counts[values["status"]] = counts.get(values["status"], 0) + 1
        session.execute(
            update(d)
            .where(d.id == item.delivery_id, d.status == "sending")
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    return counts
