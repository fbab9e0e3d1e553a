"""Bulk writes of observed records, their identifiers and facts: no per-record round trips.

One call of `write_records` writes one batch inside the caller's transaction:

1. one query finds which natural keys `(source_id, external_id)` already exist, with their
   content hash;
2. new records are inserted in bulk (PostgreSQL: COPY into a temporary table, then one
   `INSERT ... SELECT ... ON CONFLICT DO NOTHING RETURNING`; SQLite: one `executemany`);
3. a record whose content changed replaces its earlier version in place (same id, `version`
   + 1, `resolved_at` cleared so identity looks at it again), and its identifiers and facts
   are rewritten; identical content is counted as a duplicate and not written;
4. identifiers and facts of the new and replaced records go in with COPY (PostgreSQL) or
   `executemany` (SQLite).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg
from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from cdp import models
from cdp.feedback.reingest import detach, reattach
from cdp.normalize import normalize_identifier, normalize_phone_in, phone_region
from cdp.privacy.suppression import held_back, held_back_raw
from cdp.types import utcnow
from ingest.checks import safe_text, storable
from ingest.codec import canonical as canonical_json
from ingest.facts import (
    among,
    bulk_insert,
    copy_connection,
    next_ids,
    write_facts,
    write_identifiers,
)
from ingest.observation import Observation
from ingest.records import PreparedRecord, QuarantineEntry, RawRecord
from ingest.state import SourceRef

__all__ = [
    "BatchOutcome",
    "content_hash",
    "prepare",
    "record_phone_region",
    "resolve_arrived",
    "write_quarantine",
    "write_records",
]

_UNSEEN: Any = object()


@dataclass
class BatchOutcome:
    new_ids: list[int] = field(default_factory=list)
    replaced_ids: list[int] = field(default_factory=list)
    duplicates: int = 0
    junk_identifiers: int = 0
    #: records held back because they carry an erased identifier (`cdp.privacy.suppression`)
    suppressed: int = 0
    #: of the batch's rejected records, those held back rather than quarantined (same reason)
    held_from_quarantine: int = 0
    #: the record id written for each key (new or replaced)
    keys: dict[str, int] = field(default_factory=dict)

    @property
    def record_ids(self) -> list[int]:
        return [*self.new_ids, *self.replaced_ids]


def content_hash(payload_json_sorted: str | bytes) -> str:
    """sha256 of the canonical JSON (sorted keys, compact, UTF-8) of a payload."""
    data = (
        payload_json_sorted.encode()
        if isinstance(payload_json_sorted, str)
        else payload_json_sorted
    )
    return hashlib.sha256(data).hexdigest()


def prepare(
    observation: Observation,
    payload: Mapping[str, Any],
    default_region: str,
    cache: dict[tuple[str, str], str | None] | None = None,
    source: RawRecord | None = None,
) -> PreparedRecord:
    """Hash the payload and normalise identifiers (`cache` memoises normalisation in a batch);
    `source` is the record as read (quarantined as such if the database refuses the record)."""
    canonical = canonical_json(payload)
    found: list[tuple[str, str, str]] = []
    junk = 0
    memo = {} if cache is None else cache
    region = ""
    for identifier in observation.identifiers:
        kind, raw = identifier.kind, identifier.value
        if kind == "phone" and not region:
            region = record_phone_region(observation, default_region)
        if kind == "phone" and region != default_region:
            value = normalize_phone_in(raw, region, default_region)
        else:
            value = memo.get((kind, raw), _UNSEEN)
            if value is _UNSEEN:
                value = memo[kind, raw] = normalize_identifier(kind, raw, default_region)
        if value is None:
            junk += 1
            continue
        # The first raw spelling of a (kind, value) pair is the one kept.
        for kept in found:
            if kept[1] == value and kept[0] == kind:
                break
        else:
            found.append((kind, value, raw.strip()[:320]))
    # Key order is not kept by JSONB anyway; the canonical text doubles as the stored one.
    # (Positional arguments: building the tuple by keyword costs more on this hot path.)
    digest = hashlib.sha256(canonical).hexdigest()
    return PreparedRecord(
        observation, payload, canonical.decode(), digest, tuple(found), junk, source
    )


def record_phone_region(observation: Observation, default_region: str) -> str:
    """The region this record's phone numbers without a country code are read in
    (`cdp.normalize.phone_region`: its address's country, else China for a name written in
    Chinese characters, else `default_region`)."""
    person = observation.person
    country = person.address.country if person.address is not None else None
    names = (person.full_name, person.family_name, person.given_name)
    return phone_region(country, names, default_region)


def write_quarantine(
    session: Session, source: SourceRef, entries: Sequence[QuarantineEntry]
) -> int:
    """Quarantine rejected records; the same raw record at the same position is kept once
    (its `attempts` grows), so re-reading a file does not duplicate its bad lines. A record
    whose text carries an erased identifier is held back instead; returns how many were."""
    if not entries:
        return 0
    held = held_back_raw(session, [entry.raw for entry in entries], source=source.name)
    if held:
        entries = [entry for i, entry in enumerate(entries) if i not in held]
    q = models.Quarantine
    known: dict[tuple[str, str], int] = {}
    positions = list({safe_text(entry.position)[:200] for entry in entries})
    for condition in among(session, q.position, positions):
        rows = session.execute(
            select(q.id, q.position, q.raw).where(q.source_name == source.name, condition)
        )
        known.update({(position, raw): row_id for row_id, position, raw in rows})
    now = utcnow()
    fresh: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in entries:
        text, data = storable(entry.raw)
        identity = (safe_text(entry.position)[:200], text)
        field_name = safe_text(entry.field)[:200] if entry.field else None
        reason = safe_text(entry.reason)
        if identity in known:
            session.execute(
                update(q)
                .where(q.id == known[identity])
                .values(attempts=q.attempts + 1, reason=reason, field=field_name)
            )
            continue
        fresh[identity] = {
            "source_id": source.id,
            "source_name": source.name,
            "adapter": source.adapter,
            "position": identity[0],
            "raw": text,
            "raw_bytes": data,
            "record_key": entry.key,
            "reason": reason,
            "field": field_name,
            "created_at": now,
            "attempts": 1,
        }
    if fresh:
        session.execute(insert(q), list(fresh.values()))
    return len(held)


def resolve_arrived(session: Session, source: SourceRef, records: Sequence[PreparedRecord]) -> int:
    """Mark resolved (`arrived`) the open quarantine entries of `source` whose record has now
    been read well (stored, or already stored): a fixed file re-ingested clears them."""
    q = models.Quarantine
    open_entry = select(q.id).where(
        q.source_name == source.name, q.resolved_at.is_(None), q.record_key.is_not(None)
    )
    if not records or session.scalar(open_entry.limit(1)) is None:
        return 0
    keys = list({r.observation.external_id for r in records})
    now = utcnow()
    done = 0
    for condition in among(session, q.record_key, keys):  # type: ignore[arg-type]
        result = session.execute(
            update(q)
            .where(q.source_name == source.name, q.resolved_at.is_(None), condition)
            .values(resolved_at=now, resolution="arrived")
        )
        done += result.rowcount or 0  # type: ignore[attr-defined]
    return done


# --- records -----------------------------------------------------------------------------------


def write_records(
    session: Session,
    source: SourceRef,
    records: Sequence[PreparedRecord],
    *,
    replace: bool = True,
) -> BatchOutcome:
    """Write one batch in the caller's transaction; see the module docstring. With `replace`
    False a record whose key is already stored is a duplicate whatever its content (a pushed
    message resent by its SDK carries a new receive time, and is still the same message)."""
    outcome = BatchOutcome()
    held = held_back(session, [_pairs(r) for r in records], source=source.name)
    if held:
        records = [record for i, record in enumerate(records) if i not in held]
        outcome.suppressed = len(held)
    latest: dict[str, PreparedRecord] = {}
    for record in records:
        if record.observation.external_id in latest:
            outcome.duplicates += 1
        latest[record.observation.external_id] = record
    existing = _existing(session, source.id, list(latest))
    new: list[PreparedRecord] = []
    changed: list[tuple[int, str | None, PreparedRecord]] = []
    for external_id, record in latest.items():
        found = existing.get(external_id)
        if found is None:
            new.append(record)
        elif found[1] == record.content_hash or not replace:
            outcome.duplicates += 1
        else:
            changed.append((found[0], found[2], record))
    now = utcnow()
    inserted = _insert_records(session, source, new, now)
    outcome.duplicates += len(new) - len(inserted)
    writes: list[tuple[int, str | None, PreparedRecord]] = [
        (inserted[r.observation.external_id], None, r)
        for r in new
        if r.observation.external_id in inserted
    ]
    workflow = detach(session, [record_id for record_id, _, _ in changed])
    if changed:
        _replace_records(session, changed, now)
        writes.extend(changed)
    _write_details(session, source, writes)
    reattach(session, workflow)  # a changed record's feedback keeps its id and workflow
    outcome.new_ids = [record_id for record_id, _, _ in writes[: len(writes) - len(changed)]]
    outcome.replaced_ids = [record_id for record_id, _, _ in changed]
    outcome.keys = {r.observation.external_id: record_id for record_id, _, r in writes}
    outcome.junk_identifiers = sum(r.junk_identifiers for _, _, r in writes)
    return outcome


def _pairs(record: PreparedRecord) -> list[tuple[str, str]]:
    return [(kind, value) for kind, value, _ in record.identifiers]


def _existing(
    session: Session, source_id: int, external_ids: list[str]
) -> dict[str, tuple[int, str, str | None]]:
    table = models.SourceRecord
    found: dict[str, tuple[int, str, str | None]] = {}
    columns = (table.external_id, table.id, table.content_hash, table.profile_id)
    for condition in among(session, table.external_id, external_ids):
        rows = session.execute(select(*columns).where(table.source_id == source_id, condition))
        for external_id, record_id, digest, profile_id in rows:
            found[external_id] = (record_id, digest, profile_id)
    return found


def _record_row(source: SourceRef, record: PreparedRecord, now: datetime) -> dict[str, Any]:
    observation = record.observation
    return {
        "source_id": source.id,
        "external_id": observation.external_id,
        "kind": observation.kind,
        "occurred_at": observation.occurred_at,
        "received_at": now,
        "payload": record.payload,
        "attributes": observation.person.to_json(),
        "content_hash": record.content_hash,
        "version": 1,
    }


def _insert_records(
    session: Session, source: SourceRef, records: Sequence[PreparedRecord], now: datetime
) -> dict[str, int]:
    if not records:
        return {}
    if copy_connection(session) is not None:
        return _copy_records(session, source, records, now)
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    # The Core table, not the ORM entity: the ORM bulk path costs more than the insert.
    table = models.Base.metadata.tables["source_records"]
    statement = (
        dialect.insert(table)
        .on_conflict_do_nothing(index_elements=["source_id", "external_id"])
        .returning(table.c.id, table.c.external_id)
    )
    rows = session.execute(statement, [_record_row(source, r, now) for r in records])
    return {external_id: record_id for record_id, external_id in rows}


_RECORD_COLUMNS = (
    "source_id",
    "external_id",
    "kind",
    "occurred_at",
    "received_at",
    "payload",
    "attributes",
    "content_hash",
    "version",
)


def _copy_records(
    session: Session, source: SourceRef, records: Sequence[PreparedRecord], now: datetime
) -> dict[str, int]:
    """COPY new records straight into `source_records` with ids drawn from its sequence.

    The keys were checked absent just before; if a concurrent writer (a push) stored one of
    them meanwhile, the savepoint rolls back and the batch goes through the slower
    conflict-tolerant path instead.
    """
    ids = next_ids(session, "source_records", len(records))
    rows = [
        (record_id, *_copy_row(source, r, now)) for record_id, r in zip(ids, records, strict=True)
    ]
    try:
        with session.begin_nested():
            bulk_insert(session, "source_records", ("id", *_RECORD_COLUMNS), rows)
    except psycopg.errors.UniqueViolation:
        return _copy_records_tolerant(session, source, records, now)
    return {r.observation.external_id: record_id for record_id, r in zip(ids, records, strict=True)}


def _copy_row(source: SourceRef, r: PreparedRecord, now: datetime) -> tuple[Any, ...]:
    observation = r.observation
    return (
        source.id,
        observation.external_id,
        observation.kind,
        observation.occurred_at,
        now,
        r.payload_json,
        observation.person.to_json(),
        r.content_hash,
        1,
    )


def _copy_records_tolerant(
    session: Session, source: SourceRef, records: Sequence[PreparedRecord], now: datetime
) -> dict[str, int]:
    connection = session.connection()
    connection.exec_driver_sql(
        "CREATE TEMP TABLE IF NOT EXISTS _ingest_records (source_id bigint, external_id text, "
        "kind text, occurred_at timestamptz, received_at timestamptz, payload jsonb, "
        "attributes jsonb, content_hash text, version int, ord serial) ON COMMIT DELETE ROWS"
    )
    connection.exec_driver_sql("TRUNCATE _ingest_records")
    rows = [_copy_row(source, r, now) for r in records]
    bulk_insert(session, "_ingest_records", _RECORD_COLUMNS, rows)
    columns = ", ".join(_RECORD_COLUMNS)
    result = connection.exec_driver_sql(
        f"INSERT INTO source_records ({columns}) SELECT {columns} "
        "FROM _ingest_records ORDER BY ord "
        "ON CONFLICT (source_id, external_id) DO NOTHING RETURNING id, external_id"
    )
    return {external_id: record_id for record_id, external_id in result}


def _replace_records(
    session: Session, changed: Sequence[tuple[int, str | None, PreparedRecord]], now: datetime
) -> None:
    ids = [record_id for record_id, _, _ in changed]
    for name in ("events", "orders", "interactions", "feedback", "consents"):
        fact_table = models.Base.metadata.tables[name]
        session.execute(delete(fact_table).where(fact_table.c.record_id.in_(ids)))
    session.execute(delete(models.Identifier).where(models.Identifier.record_id.in_(ids)))
    table = models.Base.metadata.tables["source_records"]
    for record_id, _, record in changed:
        observation = record.observation
        session.execute(
            update(table)
            .where(table.c.id == record_id)
            .values(
                kind=observation.kind,
                occurred_at=observation.occurred_at,
                received_at=now,
                payload=dict(record.payload),
                attributes=observation.person.to_json(),
                content_hash=record.content_hash,
                version=table.c.version + 1,
                resolved_at=None,
            )
        )


def _write_details(
    session: Session, source: SourceRef, writes: Sequence[tuple[int, str | None, PreparedRecord]]
) -> None:
    write_identifiers(session, writes)
    write_facts(session, source, writes)
