"""Quarantine: list and count rejected records, and replay them after a fix.

`replay` re-reads each quarantined record's raw text through the source's adapter (rebuilt by
the caller, e.g. with a corrected mapping); records that now pass are stored and leave the
quarantine, the others stay with their new reason and one more attempt counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from cdp.db import unit_of_work
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
    session: Session, *, source: str | None = None, limit: int = 50
) -> list[QuarantinedRecord]:
    q = models.Quarantine
    query = select(q).order_by(q.id).limit(limit)
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
        )
        for row in session.scalars(query)
    ]


def count_quarantine(session: Session) -> list[QuarantineCount]:
    q = models.Quarantine
    rows = session.execute(
        select(q.source_name, q.field, func.count())
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
                    .where(q.source_name == source, q.id > last_id)
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
        session.execute(delete(models.Quarantine).where(models.Quarantine.id.in_(passed)))
    return outcome.record_ids, len(outcome.record_ids), outcome.duplicates, len(rejected)


def _raw(row: models.Quarantine) -> RawRecord:
    # The position is made unique per row so results map back even if two rows share one.
    text = row.raw if row.raw_bytes is None else row.raw_bytes.decode("utf-8", "surrogateescape")
    return from_text(text, f"{row.id}")
