"""Picking up what a killed run left behind: records stored but never resolved.

Ingest commits a batch, then resolves its records in a transaction of its own. A run killed
between the two (kill -9, a server stopped during pushes) leaves records with no profile, and
re-reading the files adds nothing (they are duplicates). `cdp ingest` calls
`resolve_left_over` when it starts (`cdp serve`'s background resolver, `cdp.web.resolver`,
takes every pending record when it starts), `cdp identity resolve` resolves every unresolved
record, so such records are always picked up, and the caller says how many.

A record stored less than `SETTLE` ago may belong to a run still resolving it, so it is left to
that run. Each chunk holds the resolution lock (`cdp.pending.hold_resolution`), so it never
resolves a record another process is resolving.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import identity
from cdp import models
from cdp.db import unit_of_work
from cdp.pending import hold_resolution
from cdp.refresh import after_resolution

__all__ = ["SETTLE", "resolve_left_over"]

SETTLE = timedelta(seconds=10)
_CHUNK = 2000


def resolve_left_over(
    factory: sessionmaker[Session], *, default_region: str = "US", settle: timedelta = SETTLE
) -> int:
    """Resolve the records stored before `settle` ago and never resolved; returns how many."""
    cutoff = datetime.now(UTC) - settle
    done = last = 0
    while True:
        with unit_of_work(factory) as session:
            ids = _resolve_chunk(session, last, cutoff, default_region)
        if not ids:
            return done
        done, last = done + len(ids), ids[-1]


def _resolve_chunk(
    session: Session, after: int, cutoff: datetime, default_region: str
) -> Sequence[int]:
    """One chunk, by increasing id (so a record identity leaves unresolved is tried once)."""
    hold_resolution(session)
    sr = models.SourceRecord
    query = (
        select(sr.id)
        .where(sr.resolved_at.is_(None), sr.id > after, sr.received_at < cutoff)
        .order_by(sr.id)
        .limit(_CHUNK)
        .with_for_update(skip_locked=True)
    )
    ids = list(session.scalars(query))
    if ids:
        result = identity.resolve_records(session, ids, default_region=default_region)
        after_resolution(session, ids, result.merges)
    return ids
