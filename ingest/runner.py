"""The runners: pull (files or HTTP) in batches, and push (one request's messages).

    summary = run_ingest(session_factory, adapter, source="web", on_batch=resolve_ids)

Each batch is one transaction holding its records, identifiers, facts, quarantined records and
the checkpoint that covers them; `on_batch(record_ids)` is called after that transaction
commits with the ids of the records it stored or replaced (the composition root passes
identity's incremental resolver). Records read = stored + duplicates + quarantined, always.
The pipeline itself is `ingest.pipeline`; `ingest.parallel` splits it over processes.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from ingest.adapter import Adapter, from_value
from ingest.codec import dumps
from ingest.parallel import run_parallel
from ingest.pipeline import (
    REFUSED_BY_DATABASE,
    IngestSummary,
    OnBatch,
    OnProgress,
    RunOptions,
    refused_reason,
    run_source,
    transform,
)
from ingest.records import QuarantineEntry, RawRecord
from ingest.state import SourceRef
from ingest.store import resolve_arrived, write_quarantine, write_records

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "REFUSED_BY_DATABASE",
    "IngestSummary",
    "OnBatch",
    "OnProgress",
    "PushPart",
    "PushResult",
    "SplitGroup",
    "ingest_push",
    "ingest_pushes",
    "push_refused",
    "run_ingest",
    "transform",
]

DEFAULT_BATCH_SIZE = 2000


def run_ingest(
    session_factory: sessionmaker[Session],
    adapter: Adapter,
    *,
    source: str,
    batch_size: int = DEFAULT_BATCH_SIZE,
    default_region: str = "US",
    on_batch: OnBatch | None = None,
    on_progress: OnProgress | None = None,
    workers: int = 1,
) -> IngestSummary:
    """Read everything `adapter.fetch` yields into source `source`, batch by batch.

    A pull resumes from the source's saved cursor; files are read whole (their records are
    deduplicated by natural key, so re-reading a file adds nothing). `workers > 1` splits a
    file source over that many processes (see `ingest.parallel` for what it allows).
    """
    options = RunOptions(batch_size, default_region, on_batch, on_progress)
    with _fewer_gc_passes():
        if workers > 1:
            return run_parallel(session_factory, adapter, source, options, workers)
        return run_source(session_factory, adapter, source, options)


@contextlib.contextmanager
def _fewer_gc_passes() -> Iterator[None]:
    """Collect cycles less often during a run: a batch allocates hundreds of thousands of
    acyclic objects, and the default thresholds make the collector rescan them over and
    over (measured: a third of the transform time). At 50,000 allocations per young
    collection the collector still took about 5 us per web event (a collection every ~5,000
    records, each rescanning the batches in flight); at 500,000 it runs about once per
    40,000 records and costs well under 1 us. Restored afterwards."""
    old = gc.get_threshold()
    gc.set_threshold(max(old[0], 500_000), old[1], old[2])
    try:
        yield
    finally:
        gc.set_threshold(*old)


@dataclass(frozen=True)
class PushResult:
    """Per-request counts: `accepted` = stored + duplicates (a resent message is accepted)."""

    accepted: int
    rejected: int
    stored: int
    duplicates: int
    record_ids: tuple[int, ...]
    errors: tuple[str, ...]
    #: held back: they carry an erased identifier (accepted, never stored)
    suppressed: int = 0


def ingest_push(
    session: Session,
    adapter: Adapter,
    source: SourceRef,
    payloads: Sequence[Any],
    *,
    position: str,
    default_region: str = "US",
    received_at: datetime | None = None,
    offset: int = 0,
) -> PushResult:
    """Write the messages of one push request in the caller's transaction.

    Each message is checked alone (`ingest.checks`): a bad one is quarantined and named in
    `errors`, the others are stored. The adapter's `on_receive` sees each message with the
    receive time first (Segment: `receivedAt`, a missing `timestamp`, clock skew), while the
    quarantine keeps the message as sent. A message whose key is stored already is a
    duplicate. If the database refuses the request's records (`REFUSED_BY_DATABASE`), the
    caller rolls back and sends the messages again one per transaction (`push_refused` for
    those refused again)."""
    received = received_at or datetime.now(UTC)
    raws = [
        _push_record(adapter, f"{position}#{i}", p, received)
        for i, p in enumerate(payloads, start=offset)
    ]
    prepared, rejected = transform(adapter, raws, default_region)
    outcome = write_records(session, source, prepared, replace=False)
    held = write_quarantine(session, source, rejected)
    resolve_arrived(session, source, prepared)
    suppressed = outcome.suppressed + held
    return PushResult(
        accepted=len(outcome.record_ids) + outcome.duplicates + suppressed,
        rejected=len(rejected) - held,
        stored=len(outcome.record_ids),
        duplicates=outcome.duplicates,
        record_ids=tuple(outcome.record_ids),
        errors=tuple(f"{entry.position}: {entry.reason}" for entry in rejected),
        suppressed=suppressed,
    )


@dataclass(frozen=True)
class PushPart:
    """One push request's messages, for `ingest_pushes`."""

    payloads: Sequence[Any]
    position: str
    received_at: datetime


class SplitGroup(Exception):
    """A group's outcome cannot be told per request (a record was held back): roll back and
    write the requests one by one."""


def ingest_pushes(
    session: Session,
    adapter: Adapter,
    source: SourceRef,
    parts: Sequence[PushPart],
    *,
    default_region: str = "US",
) -> list[PushResult]:
    """Write several push requests of one source in the caller's transaction with one write
    (a group commit: the statements of a write cost about the same for 1 or 50 messages), and
    give each request the result `ingest_push` would have given it alone, in order.

    Each request's messages are checked and quarantined with its own positions. A record whose
    key is stored already, or that an earlier request of the group carries too, is a duplicate
    (the first request carrying a key stores it). When a record is held back (an erased
    identifier) the per-request split is not known: raises `SplitGroup`, and the caller rolls
    back and writes the requests one by one; `REFUSED_BY_DATABASE` likewise."""
    prepared: list[list[Any]] = []
    rejected: list[list[QuarantineEntry]] = []
    for part in parts:
        raws = [
            _push_record(adapter, f"{part.position}#{i}", p, part.received_at)
            for i, p in enumerate(part.payloads)
        ]
        good, bad = transform(adapter, raws, default_region)
        prepared.append(list(good))
        rejected.append(list(bad))
    every = [record for records in prepared for record in records]
    outcome = write_records(session, source, every, replace=False)
    held = write_quarantine(session, source, [entry for bad in rejected for entry in bad])
    if outcome.suppressed or held:
        raise SplitGroup(f"{outcome.suppressed + held} records held back")
    resolve_arrived(session, source, every)
    stored = dict(outcome.keys)
    results: list[PushResult] = []
    for good, bad in zip(prepared, rejected, strict=True):
        ids = []
        for record in good:
            record_id = stored.pop(record.observation.external_id, None)
            if record_id is not None:
                ids.append(record_id)
        results.append(
            PushResult(
                accepted=len(good),
                rejected=len(bad),
                stored=len(ids),
                duplicates=len(good) - len(ids),
                record_ids=tuple(ids),
                errors=tuple(f"{entry.position}: {entry.reason}" for entry in bad),
            )
        )
    return results


def push_refused(
    session: Session, source: SourceRef, payload: Any, position: str, exc: BaseException
) -> PushResult:
    """Quarantine one pushed message the database refused, with the database's reason."""
    raw = dumps(payload)
    entry = QuarantineEntry(position, raw, refused_reason(exc))
    if write_quarantine(session, source, [entry]):  # held back: an erased identifier
        return PushResult(1, 0, 0, 0, (), (), suppressed=1)
    return PushResult(0, 1, 0, 0, (), (f"{position}: {entry.reason}",))


def _push_record(adapter: Adapter, position: str, payload: Any, received: datetime) -> RawRecord:
    raw = from_value(payload, position, dumps(payload))
    if raw.payload is None:
        return raw
    return RawRecord(position, adapter.on_receive(raw.payload, received), raw.raw)
