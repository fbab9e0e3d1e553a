"""Resolving stored records that are not resolved yet, one batch per transaction.

A push is acknowledged once its records are stored (`cdp.web.push`); the server's background
resolver (`cdp.web.resolver`) then takes what is pending in batches: `resolve_pending` resolves
the identities of a batch (`identity.resolve_records`), refreshes the traits and segments of
the profiles it touched and writes the outbox entries and live changes
(`cdp.refresh.after_resolution`), and analyses its feedback, all in the caller's transaction,
so a batch is wholly done or not at all and a record killed mid-batch is still pending.

Resolution is serialised across processes by `hold_resolution` (`identity.locking`, which
`identity.resolve` and `identity.resolve_records` take themselves): a transaction-scoped
advisory lock on PostgreSQL (so two server processes never resolve the same records, nor two
batches that would each create a profile for the same new person), the database's write lock
taken up front on SQLite. The background resolver takes it before it picks a batch, as do the
ingest command's per-batch resolution (`cdp.commands._identity_hook`), left-over records
(`cdp.resume`), the feedback intake, and the bulk resolutions of `cdp identity resolve`,
`cdp ingest --workers N` and `cdp demo`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import identity
from cdp import models
from cdp.feedback.batch import analyze_pending
from cdp.feedback.taxonomy import Taxonomy
from cdp.refresh import after_resolution
from identity.locking import LOCK_KEY, hold_resolution, lock_statement

__all__ = [
    "BATCH",
    "LOCK_KEY",
    "Batch",
    "hold_resolution",
    "lock_statement",
    "next_pending",
    "pending_count",
    "resolve_pending",
    "still_unresolved",
]

#: the most records one batch resolves
BATCH = 1_000


def still_unresolved(session: Session, record_ids: Sequence[int]) -> list[int]:
    """Those of these records no one has resolved yet (call it holding the lock)."""
    sr = models.SourceRecord
    ids = sorted(set(record_ids))
    found: list[int] = []
    for start in range(0, len(ids), 5_000):
        chunk = ids[start : start + 5_000]
        found += session.scalars(select(sr.id).where(sr.id.in_(chunk), sr.resolved_at.is_(None)))
    return sorted(found)


def next_pending(session: Session, limit: int, skip: Collection[int] = ()) -> list[int]:
    """The oldest `limit` pending records, except those in `skip`."""
    sr = models.SourceRecord
    query = select(sr.id).where(sr.resolved_at.is_(None)).order_by(sr.id)
    return [i for i in session.scalars(query.limit(limit + len(skip))) if i not in skip][:limit]


@dataclass(frozen=True)
class Batch:
    """What one batch did: the records it took, and those still unresolved after it (identity
    had nothing to resolve them to: they are not tried again by this process)."""

    record_ids: tuple[int, ...]
    left: tuple[int, ...]
    merges: int


def resolve_pending(
    session: Session,
    *,
    limit: int = BATCH,
    skip: Collection[int] = (),
    default_region: str = "US",
    taxonomy: Taxonomy | None = None,
    wait: bool = True,
) -> Batch | None:
    """Resolve up to `limit` pending records (oldest first, except those in `skip`) and what
    depends on them, in the session's transaction; None when another process holds the lock
    (only without `wait`)."""
    if not hold_resolution(session, wait=wait):
        return None
    ids = next_pending(session, limit, skip)
    if not ids:
        return Batch((), (), 0)
    result = identity.resolve_records(session, ids, default_region=default_region)
    after_resolution(session, ids, result.merges)
    analyze_pending(session, taxonomy=taxonomy, record_ids=ids)
    left = tuple(still_unresolved(session, ids))
    return Batch(tuple(ids), left, len(result.merges))


def pending_count(session: Session) -> int:
    """How many stored records wait for resolution."""
    sr = models.SourceRecord
    return int(session.scalar(select(func.count()).where(sr.resolved_at.is_(None))) or 0)
