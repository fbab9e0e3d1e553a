"""The runners: pull (files or HTTP) in batches, and push (one request's messages).

    summary = run_ingest(session_factory, adapter, source="web", on_batch=resolve_ids)

Each batch is one transaction holding its records, identifiers, facts, quarantined records and
the checkpoint that covers them; `on_batch(record_ids)` is called after that transaction
commits with the ids of the records it stored or replaced (the composition root passes
identity's incremental resolver). Records read = stored + duplicates + quarantined, always.
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from cdp.db import unit_of_work
from ingest.adapter import Adapter, RawRecord, from_value
from ingest.codec import dumps
from ingest.cursor import Cursor
from ingest.errors import IngestError, SkippableRecordError
from ingest.state import SourceRef, ensure_source, load_checkpoint, save_checkpoint
from ingest.store import (
    BatchOutcome,
    PreparedRecord,
    QuarantineEntry,
    prepare,
    write_quarantine,
    write_records,
)

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "IngestSummary",
    "OnBatch",
    "OnProgress",
    "PushResult",
    "ingest_push",
    "run_ingest",
    "transform",
]

DEFAULT_BATCH_SIZE = 2000
#: normalised identifiers remembered across a run's batches (a visitor's ids recur in every
#: event); past this many the memo starts afresh, so memory stays bounded
_NORMALISED_MEMO_SIZE = 100_000
#: called after each committed batch with the ids of the records it stored or replaced
OnBatch = Callable[[Sequence[int]], None]


@dataclass(frozen=True)
class IngestSummary:
    """What a run did. `read == stored + duplicates + quarantined + suppressed` always holds
    (`suppressed`: held back because they carry an erased identifier, `cdp.privacy`).

    `stored` counts new records plus `replaced` (changed content under a known key); `error`
    is set when the run stopped early (what was committed before stays, with its checkpoint).
    """

    source: str
    adapter: str
    read: int = 0
    stored: int = 0
    replaced: int = 0
    duplicates: int = 0
    quarantined: int = 0
    junk_identifiers: int = 0
    batches: int = 0
    seconds: float = 0.0
    cursor: str | None = None
    error: str | None = None
    suppressed: int = 0

    @property
    def records_per_second(self) -> float:
        return self.read / self.seconds if self.seconds > 0 else 0.0

    @property
    def is_balanced(self) -> bool:
        return self.read == self.stored + self.duplicates + self.quarantined + self.suppressed

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "records_per_second": round(self.records_per_second, 1)}


OnProgress = Callable[[IngestSummary], None]


@dataclass
class _Tally:
    read: int = 0
    stored: int = 0
    replaced: int = 0
    duplicates: int = 0
    quarantined: int = 0
    junk: int = 0
    batches: int = 0
    suppressed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def add(self, read: int, outcome: BatchOutcome, quarantined: int, held: int = 0) -> None:
        self.suppressed += outcome.suppressed + held
        quarantined -= held
        self.read += read
        self.stored += len(outcome.record_ids)
        self.replaced += len(outcome.replaced_ids)
        self.duplicates += outcome.duplicates
        self.quarantined += quarantined
        self.junk += outcome.junk_identifiers
        self.batches += 1


def transform(
    adapter: Adapter,
    raws: Sequence[RawRecord],
    default_region: str,
    cache: dict[tuple[str, str], str | None] | None = None,
) -> tuple[list[PreparedRecord], list[QuarantineEntry]]:
    """Interpret raw records; each one either prepares to be written or is quarantined.

    `cache` memoises identifier normalisation (per call when not given)."""
    prepared: list[PreparedRecord] = []
    rejected: list[QuarantineEntry] = []
    if cache is None:
        cache = {}
    for raw in raws:
        if raw.payload is None:
            rejected.append(QuarantineEntry(raw.position, raw.raw, raw.error or "unreadable"))
            continue
        try:
            observation = adapter.to_observation(raw.payload)
        except SkippableRecordError as exc:
            rejected.append(QuarantineEntry(raw.position, raw.raw, str(exc), exc.field))
            continue
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            # An adapter bug must not lose the record: keep it, with the bug as the reason.
            reason = f"adapter {adapter.name} failed: {type(exc).__name__}: {exc}"
            rejected.append(QuarantineEntry(raw.position, raw.raw, reason))
            continue
        prepared.append(prepare(observation, raw.payload, default_region, cache))
    return prepared, rejected


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
    options = _Options(batch_size, default_region, on_batch, on_progress)
    with _fewer_gc_passes():
        if workers > 1:
            from ingest.parallel import run_parallel

            return run_parallel(session_factory, adapter, source, options, workers)
        return _run(session_factory, adapter, source, options)


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
class _Options:
    batch_size: int
    default_region: str
    on_batch: OnBatch | None = None
    on_progress: OnProgress | None = None
    #: keep only the raw records this says yes to (one partition of a parallel run)
    keep: Callable[[RawRecord], bool] | None = None


def _run(
    session_factory: sessionmaker[Session],
    adapter: Adapter,
    source: str,
    options: _Options,
) -> IngestSummary:
    started = time.monotonic()
    signpost = datetime.now(UTC)
    with unit_of_work(session_factory) as session:
        ref = ensure_source(
            session,
            name=source,
            channel=adapter.channel,
            adapter=adapter.name,
            config=adapter.config,
        )
        saved = load_checkpoint(session, ref.id).get("cursor")
    is_pull = adapter.cursor_field is not None and not adapter.files
    cursor = Cursor(
        start=saved if is_pull else None, is_sorted=adapter.is_sorted, signpost=signpost
    )
    tally = _Tally()
    error: str | None = None
    writer = _Writer(session_factory, ref, is_pull, tally, options.on_batch)
    records = adapter.fetch(cursor.start)
    if options.keep is not None:
        records = filter(options.keep, records)
    memo: dict[tuple[str, str], str | None] = {}
    try:
        for raws in _batches(records, options.batch_size):
            if len(memo) > _NORMALISED_MEMO_SIZE:
                memo.clear()
            prepared, rejected = transform(adapter, raws, options.default_region, memo)
            if is_pull:
                for raw in raws:
                    if raw.payload is not None:
                        _observe(adapter, cursor, raw.payload)
            writer.submit(len(raws), prepared, rejected, cursor.checkpoint())
            if options.on_progress is not None:
                options.on_progress(_summary(ref, tally, started, cursor, None))
        writer.finish()
        if is_pull:
            with unit_of_work(session_factory) as session:
                save_checkpoint(session, ref.id, {"cursor": cursor.close()})
    except IngestError as exc:
        error = f"{type(exc).__name__}: {exc}"
    finally:
        writer.close()
    return _summary(ref, tally, started, cursor, error)


class _Writer:
    """Writes batches in order on one background thread, so the next batch is read and
    transformed while the database stores this one. At most one batch is in flight; each
    is its own transaction with the checkpoint that covers it."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        ref: SourceRef,
        is_pull: bool,
        tally: _Tally,
        on_batch: OnBatch | None,
    ) -> None:
        self.session_factory = session_factory
        self.ref = ref
        self.is_pull = is_pull
        self.tally = tally
        self.on_batch = on_batch
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-writer")
        self.pending: Future[None] | None = None

    def submit(
        self,
        read: int,
        prepared: list[PreparedRecord],
        rejected: list[QuarantineEntry],
        checkpoint: str | None,
    ) -> None:
        self.finish()
        self.pending = self.pool.submit(self._write, read, prepared, rejected, checkpoint)

    def finish(self) -> None:
        """Wait for the batch in flight; its errors surface here."""
        pending, self.pending = self.pending, None
        if pending is not None:
            pending.result()

    def close(self) -> None:
        # A batch already handed over is committed (or fails) before the run reports.
        with contextlib.suppress(IngestError):
            self.finish()
        self.pool.shutdown(wait=True)

    def _write(
        self,
        read: int,
        prepared: list[PreparedRecord],
        rejected: list[QuarantineEntry],
        checkpoint: str | None,
    ) -> None:
        with unit_of_work(self.session_factory) as session:
            outcome = write_records(session, self.ref, prepared)
            held = write_quarantine(session, self.ref, rejected)
            if self.is_pull:
                save_checkpoint(session, self.ref.id, {"cursor": checkpoint})
        self.tally.add(read, outcome, len(rejected), held)
        if self.on_batch is not None and outcome.record_ids:
            self.on_batch(outcome.record_ids)


def _observe(adapter: Adapter, cursor: Cursor, payload: Mapping[str, Any]) -> None:
    # A bad cursor value is the record's problem (its transform quarantines it), not the run's.
    with contextlib.suppress(SkippableRecordError):
        cursor.observe(adapter.cursor_value(payload))


def _batches(records: Iterator[RawRecord], size: int) -> Iterator[list[RawRecord]]:
    while batch := list(islice(records, size)):
        yield batch


def _summary(
    ref: SourceRef, tally: _Tally, started: float, cursor: Cursor, error: str | None
) -> IngestSummary:
    return IngestSummary(
        source=ref.name,
        adapter=ref.adapter,
        read=tally.read,
        stored=tally.stored,
        replaced=tally.replaced,
        duplicates=tally.duplicates,
        quarantined=tally.quarantined,
        junk_identifiers=tally.junk,
        batches=tally.batches,
        seconds=time.monotonic() - started,
        cursor=cursor.close() if error is None else cursor.checkpoint(),
        error=error,
        suppressed=tally.suppressed,
    )


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


def _push_record(position: str, payload: Any) -> RawRecord:
    return from_value(payload, position, dumps(payload))


def ingest_push(
    session: Session,
    adapter: Adapter,
    source: SourceRef,
    payloads: Sequence[Any],
    *,
    position: str,
    default_region: str = "US",
) -> PushResult:
    """Write the messages of one push request in the caller's transaction."""
    raws = [_push_record(f"{position}#{i}", p) for i, p in enumerate(payloads)]
    prepared, rejected = transform(adapter, raws, default_region)
    outcome = write_records(session, source, prepared)
    held = write_quarantine(session, source, rejected)
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
