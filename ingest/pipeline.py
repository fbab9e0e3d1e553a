"""The pipeline every run goes through: read raw records in batches, interpret them
(`transform`), write each batch in one transaction with its quarantined records and
checkpoint, and report (`IngestSummary`). `ingest.runner` runs it in this process and
`ingest.parallel` in several; both import it from here.

A batch the database refuses as a whole (a value PostgreSQL cannot store, say) is written
again one record per transaction, so only the records it refuses are quarantined, with the
database's reason, and the run goes on.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from itertools import islice
from typing import Any

import psycopg
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker

from cdp.db import unit_of_work
from ingest.adapter import Adapter
from ingest.cursor import Cursor
from ingest.errors import IngestError, SkippableRecordError
from ingest.fields import get_path
from ingest.observation import MAX_KEY_LENGTH, Person
from ingest.records import PreparedRecord, QuarantineEntry, RawRecord
from ingest.state import SourceRef, ensure_source, load_checkpoint, save_checkpoint
from ingest.store import (
    BatchOutcome,
    prepare,
    resolve_arrived,
    write_quarantine,
    write_records,
)

__all__ = [
    "REFUSED_BY_DATABASE",
    "IngestSummary",
    "OnBatch",
    "OnProgress",
    "RunOptions",
    "refused_entry",
    "refused_reason",
    "run_source",
    "transform",
    "write_batch",
]

#: normalised identifiers remembered across a run's batches (a visitor's ids recur in every
#: event); past this many the memo starts afresh, so memory stays bounded
_NORMALISED_MEMO_SIZE = 100_000
#: called after each committed batch with the ids of the records it stored or replaced
OnBatch = Callable[[Sequence[int]], None]
#: what the database raises for a value it cannot store (too long, out of range, a NUL...)
REFUSED_BY_DATABASE: tuple[type[BaseException], ...] = (
    sa_exc.DataError,
    sa_exc.StatementError,
    psycopg.DataError,
    UnicodeError,
    OverflowError,
)


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

    def add(self, read: int, outcome: BatchOutcome, quarantined: int) -> None:
        self.suppressed += outcome.suppressed + outcome.held_from_quarantine
        quarantined -= outcome.held_from_quarantine
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
            key = _key_of(adapter, raw.payload)
            rejected.append(QuarantineEntry(raw.position, raw.raw, str(exc), exc.field, key))
            continue
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            # An adapter bug must not lose the record: keep it, with the bug as the reason.
            reason = f"adapter {adapter.name} failed: {type(exc).__name__}: {exc}"
            rejected.append(
                QuarantineEntry(raw.position, raw.raw, reason, None, _key_of(adapter, raw.payload))
            )
            continue
        record = prepare(observation, raw.payload, default_region, cache, raw)
        if not record.identifiers and not _matchable(observation.person):
            reason = _NOBODY_REASON
            if record.junk_identifiers:
                reason += f" ({record.junk_identifiers} identifiers were not usable)"
            key = observation.external_id
            rejected.append(QuarantineEntry(raw.position, raw.raw, reason, None, key))
            continue
        prepared.append(record)
    return prepared, rejected


@dataclass(frozen=True)
class RunOptions:
    batch_size: int
    default_region: str
    on_batch: OnBatch | None = None
    on_progress: OnProgress | None = None
    #: keep only the raw records this says yes to (one partition of a parallel run)
    keep: Callable[[RawRecord], bool] | None = None


def _key_of(adapter: Adapter, payload: Mapping[str, Any]) -> str | None:
    """The record's natural key as its adapter reads it, when it is a usable one."""
    value = get_path(payload, adapter.primary_key)
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip()
    return text if 0 < len(text) <= MAX_KEY_LENGTH else None


_NOBODY_REASON = "no identifier and no person attribute to match on: it would make an empty profile"


def _matchable(person: Person) -> bool:
    """Does the record say anything identity can match a person on (gender alone does not)?"""
    stated = person.to_json()
    return bool(stated) and stated.keys() != {"gender"}


def run_source(
    session_factory: sessionmaker[Session],
    adapter: Adapter,
    source: str,
    options: RunOptions,
) -> IngestSummary:
    """Run `adapter` into `source` in this process (see `ingest.runner.run_ingest`)."""
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
        def save(session: Session) -> None:
            if self.is_pull:
                save_checkpoint(session, self.ref.id, {"cursor": checkpoint})

        outcome, refused = write_batch(self.session_factory, self.ref, prepared, rejected, save)
        self.tally.add(read, outcome, len(rejected) + refused)
        if self.on_batch is not None and outcome.record_ids:
            self.on_batch(outcome.record_ids)


def write_batch(
    session_factory: sessionmaker[Session],
    ref: SourceRef,
    prepared: Sequence[PreparedRecord],
    rejected: Sequence[QuarantineEntry],
    also: Callable[[Session], None] | None = None,
) -> tuple[BatchOutcome, int]:
    """Write a batch and its quarantined records in one transaction (with `also`, e.g. the
    checkpoint). If the database refuses the batch, each record is written in a transaction of
    its own and those it refuses are quarantined with its reason: returns the outcome and how
    many records were so refused."""
    try:
        with unit_of_work(session_factory) as session:
            outcome = write_records(session, ref, prepared)
            resolve_arrived(session, ref, prepared)
            outcome.held_from_quarantine = write_quarantine(session, ref, rejected)
            if also is not None:
                also(session)
        return outcome, 0
    except REFUSED_BY_DATABASE:
        pass
    outcome = BatchOutcome()
    refused: list[QuarantineEntry] = []
    for record in prepared:
        try:
            with unit_of_work(session_factory) as session:
                one = write_records(session, ref, [record])
                resolve_arrived(session, ref, [record])
        except REFUSED_BY_DATABASE as exc:
            refused.append(refused_entry(record, exc))
            continue
        outcome.new_ids += one.new_ids
        outcome.replaced_ids += one.replaced_ids
        outcome.duplicates += one.duplicates
        outcome.junk_identifiers += one.junk_identifiers
        outcome.suppressed += one.suppressed
    with unit_of_work(session_factory) as session:
        outcome.held_from_quarantine = write_quarantine(session, ref, [*rejected, *refused])
        if also is not None:
            also(session)
    return outcome, len(refused)


def refused_entry(record: PreparedRecord, exc: BaseException) -> QuarantineEntry:
    """The quarantine entry of a record the database refused, with the database's reason."""
    raw = record.source
    position = raw.position if raw is not None else record.observation.external_id
    text = raw.raw if raw is not None else record.payload_json
    key = record.observation.external_id
    return QuarantineEntry(position, text, refused_reason(exc), None, key)


def refused_reason(exc: BaseException) -> str:
    """The database's reason (its first line, without the SQL and its parameters)."""
    cause = getattr(exc, "orig", None) or exc
    text = str(cause).strip()
    reason = text.splitlines()[0] if text else type(cause).__name__
    return f"the database refused the record: {reason}"


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
