"""Quarantine: list and count rejected records, replay them after a fix, dismiss them.

`replay` re-reads each open quarantined record's raw text (its exact bytes when it has them)
through the source's adapter (rebuilt by the caller, e.g. with a corrected mapping); records
that now pass are stored and their entries resolved (`replayed`), the others stay open with
their new reason and one more attempt counted. An entry is also resolved when its record
arrives later through any path (`arrived`, `ingest.store.resolve_arrived`), and a person can
dismiss entries with a reason (`dismissed`). Resolved entries are kept, out of the counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from cdp.db import unit_of_work
from cdp.errors import InvalidInputError
from cdp.types import utcnow
from ingest.adapter import Adapter, from_text
from ingest.pipeline import OnBatch, transform
from ingest.records import RawRecord
from ingest.state import SourceRef
from ingest.store import write_records

__all__ = [
    "QuarantineCount",
    "QuarantinedRecord",
    "ReplaySummary",
    "count_quarantine",
    "dismiss_quarantine",
    "list_quarantine",
    "replay_quarantine",
]


@dataclass(frozen=True)
class QuarantinedRecord:
    id: int
    source: str
    adapter: str
    position: str
    reason: str
    field: str | None
    raw: str
    attempts: int
    created_at: datetime
    resolution: str | None = None
    resolution_note: str | None = None


@dataclass(frozen=True)
class QuarantineCount:
    source: str
    field: str | None
    count: int


@dataclass(frozen=True)
class ReplaySummary:
    source: str
    replayed: int
    stored: int
    duplicates: int
    still_failing: int


def list_quarantine(
    session: Session, *, source: str | None = None, limit: int = 50, resolved: bool = False
) -> list[QuarantinedRecord]:
    """Open entries (with `resolved`, the resolved ones instead), oldest first."""
    q = models.Quarantine
    state = q.resolved_at.is_not(None) if resolved else q.resolved_at.is_(None)
    query = select(q).where(state).order_by(q.id).limit(limit)
    if source is not None:
        query = query.where(q.source_name == source)
    return [
        QuarantinedRecord(
            id=row.id,
            source=row.source_name,
            adapter=row.adapter,
            position=row.position,
            reason=row.reason,
            field=row.field,
            raw=row.raw,
            attempts=row.attempts,
            created_at=row.created_at,
            resolution=row.resolution,
            resolution_note=row.resolution_note,
        )
        for row in session.scalars(query)
    ]


def count_quarantine(session: Session) -> list[QuarantineCount]:
    q = models.Quarantine
    rows = session.execute(
        select(q.source_name, q.field, func.count())
        .where(q.resolved_at.is_(None))
        .group_by(q.source_name, q.field)
        .order_by(q.source_name, func.count().desc())
    )
    return [QuarantineCount(source, field, int(n)) for source, field, n in rows]


def replay_quarantine(
    session_factory: sessionmaker[Session],
    *,
    source: str,
    adapter: Adapter,
    default_region: str = "US",
    on_batch: OnBatch | None = None,
    batch_size: int = 1000,
) -> ReplaySummary:
    """Re-run the quarantined records of `source` through `adapter`, batch by batch."""
    q = models.Quarantine
    replayed = stored = duplicates = failing = 0
    last_id = 0
    while True:
        with unit_of_work(session_factory) as session:
            rows = list(
                session.scalars(
                    select(q)
                    .where(q.source_name == source, q.id > last_id, q.resolved_at.is_(None))
                    .order_by(q.id)
                    .limit(batch_size)
                )
            )
            if not rows:
                break
            last_id = rows[-1].id
            ids, n_stored, n_dup, n_failing = _replay_rows(session, rows, adapter, default_region)
        replayed += len(rows)
        stored, duplicates, failing = stored + n_stored, duplicates + n_dup, failing + n_failing
        if on_batch is not None and ids:
            on_batch(ids)
    return ReplaySummary(source, replayed, stored, duplicates, failing)


def _replay_rows(
    session: Session, rows: list[models.Quarantine], adapter: Adapter, default_region: str
) -> tuple[list[int], int, int, int]:
    raws = [_raw(row) for row in rows]
    by_position = {raw.position: row for raw, row in zip(raws, rows, strict=True)}
    prepared, rejected = transform(adapter, raws, default_region)
    first = rows[0]
    ref = SourceRef(
        id=first.source_id or 0,
        name=first.source_name,
        channel=adapter.channel,
        adapter=first.adapter,
    )
    outcome = write_records(session, ref, prepared)
    for entry in rejected:
        row = by_position[entry.position]
        row.reason, row.field, row.attempts = entry.reason, entry.field, row.attempts + 1
    failing_ids = {by_position[entry.position].id for entry in rejected}
    passed = [row.id for row in rows if row.id not in failing_ids]
    if passed:
        session.execute(
            update(models.Quarantine)
            .where(models.Quarantine.id.in_(passed))
            .values(resolved_at=utcnow(), resolution="replayed")
        )
    return outcome.record_ids, len(outcome.record_ids), outcome.duplicates, len(rejected)


def _raw(row: models.Quarantine) -> RawRecord:
    # The position is made unique per row so results map back even if two rows share one.
    text = row.raw if row.raw_bytes is None else row.raw_bytes.decode("utf-8", "surrogateescape")
    return from_text(text, f"{row.id}")


def dismiss_quarantine(
    session: Session, *, reason: str, ids: Sequence[int] = (), source: str | None = None
) -> int:
    """Resolve open entries as `dismissed` with `reason` (who looked, and why nothing is to
    be done): the given ids, or every open entry of `source`. Returns how many."""
    if not reason.strip():
        raise InvalidInputError("reason", "say why the entries are dismissed")
    if not ids and source is None:
        raise InvalidInputError("ids", "give entry ids or a source")
    q = models.Quarantine
    query = update(q).where(q.resolved_at.is_(None))
    if ids:
        query = query.where(q.id.in_(list(ids)))
    if source is not None:
        query = query.where(q.source_name == source)
    values = {"resolved_at": utcnow(), "resolution": "dismissed", "resolution_note": reason}
    result = session.execute(query.values(**values))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
