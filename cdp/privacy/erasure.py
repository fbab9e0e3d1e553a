"""Erasure (GDPR article 17): remove a person from every table, keep a receipt, suppress them.

    receipt = erase_profile(session, "p_...", actor="alice", reason="ticket 1234")

One call, in the caller's unit of work (all or nothing):

1. the person is the surviving profile of the id given, every profile merged into it, and
   every record resolved to them (`PersonSet`); their identifiers are collected;
2. their identifiers go on the suppression list as keyed hashes (`cdp.privacy.suppression`),
   except an identifier another profile also holds (suppressing it would hold back the other
   person's records too; the receipt counts those as `shared`);
3. every row of every table that refers to them (found from the metadata,
   `cdp.privacy.tables`) is deleted, with the rows hanging off those rows, then their records
   and their profiles; records nobody resolved yet that carry their identifiers go too;
4. a last pass looks for their identifiers' values in every text and JSON column of every
   table (quarantined raw records, evidence, another record's payload) and removes them:
   quarantined rows are deleted, anything else has the value replaced by `[erased]`;
5. a receipt (`models.Erasure`: counts per table, suppressed identifiers per kind, actor,
   reason, times; no personal data, the profile id only as a keyed hash) and an audit entry.

Aggregates computed later (revenue totals, campaign counts) no longer include the person;
an aggregate row stored earlier that names no profile or record is left as it is.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, Text, and_, cast, delete, func, or_, select, update
from sqlalchemy.orm import Session

from cdp import audit, models
from cdp.errors import InvalidInputError, NotFoundError
from cdp.privacy.hashing import key_for, subject_digest
from cdp.privacy.suppression import suppress
from cdp.privacy.tables import (
    PersonSet,
    child_rows,
    linked_tables,
    person_condition,
    text_columns,
)
from cdp.types import utcnow

__all__ = ["ErasureReceipt", "erase_profile", "find_person", "person_identifiers"]

REDACTED = "[erased]"
#: values shorter than this are not looked for outside the person's own rows (too likely to
#: occur by chance in someone else's text)
MIN_SCRUB_LENGTH = 5
_CHUNK = 500
#: receipts and the suppression list hold no personal data and are never scrubbed
_NEVER_SCRUBBED = {"erasures", "suppressions"}


@dataclass(frozen=True)
class ErasureReceipt:
    id: str
    actor: str
    reason: str
    requested_at: datetime
    completed_at: datetime
    profiles: int
    records: int
    rows_by_table: dict[str, int] = field(default_factory=dict)
    suppressed: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "actor": self.actor,
            "reason": self.reason,
            "requested_at": self.requested_at.isoformat(),
            "completed_at": self.completed_at.isoformat(),
            "profiles": self.profiles,
            "records": self.records,
            "rows_by_table": self.rows_by_table,
            "suppressed": self.suppressed,
        }

    @classmethod
    def from_model(cls, row: models.Erasure) -> ErasureReceipt:
        return cls(
            id=row.id,
            actor=row.actor,
            reason=row.reason,
            requested_at=row.requested_at,
            completed_at=row.completed_at or row.requested_at,
            profiles=row.profiles,
            records=row.records,
            rows_by_table=dict(row.rows_by_table),
            suppressed=dict(row.suppressed),
        )


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def find_person(session: Session, profile_id: str) -> PersonSet:
    """The person `profile_id` names: its survivor, the profiles merged into it, their records.
    Raises `NotFoundError` for an unknown id."""
    p = models.Profile
    row = session.execute(
        select(p.id, p.status, p.merged_into_id).where(p.id == profile_id)
    ).first()
    if row is None:
        raise NotFoundError("profile", profile_id)
    survivor = row.merged_into_id if row.status == "merged" and row.merged_into_id else row.id
    ids = {survivor}
    frontier = {survivor}
    while frontier:  # merged_into_id points at the survivor; older rows may chain
        found = set(session.scalars(select(p.id).where(p.merged_into_id.in_(sorted(frontier)))))
        frontier = found - ids
        ids |= found
    r = models.SourceRecord
    records: set[int] = set()
    for part in _chunks(sorted(ids)):
        records.update(session.scalars(select(r.id).where(r.profile_id.in_(part))))
    return PersonSet(tuple(sorted(ids)), tuple(sorted(records)), survivor)


def person_identifiers(session: Session, person: PersonSet) -> set[tuple[str, str, str]]:
    """(kind, normalised value, raw value) of every identifier on the person's records."""
    i = models.Identifier
    found: set[tuple[str, str, str]] = set()
    for part in _chunks(list(person.record_ids)):
        rows = session.execute(select(i.kind, i.value, i.raw_value).where(i.record_id.in_(part)))
        found.update((kind, value, raw or value) for kind, value, raw in rows)
    return found


def _others_holding(
    session: Session, person: PersonSet, identifiers: set[tuple[str, str]]
) -> tuple[set[tuple[str, str]], set[int]]:
    """Identifiers another profile also holds, and the unresolved records carrying any."""
    i = models.Identifier
    shared: set[tuple[str, str]] = set()
    unresolved: set[int] = set()
    mine = set(person.profile_ids)
    values = sorted({value for _, value in identifiers})
    for part in _chunks(values):
        rows = session.execute(
            select(i.kind, i.value, i.profile_id, i.record_id).where(i.value.in_(part))
        )
        for kind, value, profile_id, record_id in rows:
            if (kind, value) not in identifiers:
                continue
            if profile_id is None:
                unresolved.add(record_id)
            elif profile_id not in mine:
                shared.add((kind, value))
    return shared, unresolved - set(person.record_ids)


def _delete(session: Session, table: Table, condition: Any, counts: dict[str, int]) -> None:
    result: Any = session.execute(delete(table).where(condition))
    if result.rowcount:
        counts[table.name] = counts.get(table.name, 0) + int(result.rowcount)


def _delete_person_rows(session: Session, person: PersonSet, counts: dict[str, int]) -> None:
    for link in linked_tables():
        condition = person_condition(link, person)
        for child, child_condition in child_rows(link.table, condition):
            _delete(session, child, child_condition, counts)
        _delete(session, link.table, condition, counts)
    records = models.Base.metadata.tables["source_records"]
    for part in _chunks(list(person.record_ids)):
        for child, child_condition in child_rows(records, records.c.id.in_(part)):
            _delete(session, child, child_condition, counts)
        _delete(session, records, records.c.id.in_(part), counts)
    profiles = models.Base.metadata.tables["profiles"]
    ids = list(person.profile_ids)
    session.execute(update(profiles).where(profiles.c.id.in_(ids)).values(merged_into_id=None))
    for child, child_condition in child_rows(profiles, profiles.c.id.in_(ids)):
        _delete(session, child, child_condition, counts)
    _delete(session, profiles, profiles.c.id.in_(ids), counts)


def _scrub_value(value: Any, needles: Sequence[str]) -> Any:
    if isinstance(value, str):
        out = value
        lowered = out.lower()
        for needle in needles:
            while needle in lowered:
                at = lowered.index(needle)
                out = out[:at] + REDACTED + out[at + len(needle) :]
                lowered = out.lower()
        return out
    if isinstance(value, list):
        return [_scrub_value(item, needles) for item in value]
    if isinstance(value, dict):
        return {
            _scrub_value(key, needles): _scrub_value(item, needles) for key, item in value.items()
        }
    return value


def _needles(values: Iterable[str]) -> list[str]:
    """The lower-cased values to look for, and their JSON-escaped forms (SQLite keeps JSON as
    text with non-ASCII characters escaped)."""
    found: set[str] = set()
    for value in values:
        if len(value) < MIN_SCRUB_LENGTH:
            continue
        found.add(value.lower())
        escaped = json.dumps(value)[1:-1].lower()
        found.add(escaped)
    return sorted(found, key=len, reverse=True)


def _scrub(session: Session, needles: list[str], counts: dict[str, int]) -> None:
    """Remove the values from every text and JSON column of every table (step 4)."""
    if not needles:
        return
    for table in models.Base.metadata.sorted_tables:
        columns = text_columns(table)
        if table.name in _NEVER_SCRUBBED or not columns or not table.primary_key.columns:
            continue
        matches = [
            func.lower(cast(column, Text)).contains(needle, autoescape=True)
            for column in columns
            for needle in needles
            if len(needle) <= (getattr(column.type, "length", None) or len(needle))
        ]
        if not matches:
            continue
        keys = list(table.primary_key.columns)
        rows = session.execute(select(*keys, *columns).where(or_(*matches))).all()
        if not rows:
            continue
        name = f"{table.name} (values removed)"
        for row in rows:
            where = and_(*(key == row[i] for i, key in enumerate(keys)))
            if table.name == "quarantine":
                _delete(session, table, where, counts)
                continue
            changes = {
                column.name: _scrub_value(row[len(keys) + i], needles)
                for i, column in enumerate(columns)
                if row[len(keys) + i] is not None
            }
            session.execute(update(table).where(where).values(**changes))
            counts[name] = counts.get(name, 0) + 1


def erase_profile(
    session: Session, profile_id: str, *, actor: str, reason: str, key_id: int | None = None
) -> ErasureReceipt:
    """Erase the person `profile_id` names; see the module docstring. Returns the receipt."""
    actor, reason = actor.strip(), reason.strip()
    if not actor:
        raise InvalidInputError("actor", "is empty; name who asked for the erasure")
    if not reason:
        raise InvalidInputError("reason", "is empty; say why (e.g. the request's ticket)")
    requested_at = utcnow()
    key = key_for(session)
    person = find_person(session, profile_id)
    identifiers = person_identifiers(session, person)
    pairs = {(kind, value) for kind, value, _ in identifiers}
    shared, unresolved = _others_holding(session, person, pairs)
    records = tuple(sorted({*person.record_ids, *unresolved}))
    person = PersonSet(person.profile_ids, records, person.survivor)
    identifiers |= person_identifiers(session, PersonSet((), tuple(sorted(unresolved))))
    receipt_id = f"er_{uuid.uuid4().hex[:24]}"
    suppressed = suppress(session, sorted(pairs - shared), erasure_id=receipt_id)
    if shared:
        suppressed["shared_with_another_profile"] = len(shared)
    counts: dict[str, int] = {}
    _delete_person_rows(session, person, counts)
    private = {(k, v) for k, v in pairs if (k, v) not in shared}
    values = {v for k, v in private} | {raw for k, v, raw in identifiers if (k, v) in private}
    _scrub(session, _needles(values), counts)
    completed_at = utcnow()
    row = models.Erasure(
        id=receipt_id,
        subject_digest=subject_digest(key, profile_id),
        actor=actor[:200],
        reason=reason,
        requested_at=requested_at,
        completed_at=completed_at,
        profiles=len(person.profile_ids),
        records=len(person.record_ids),
        rows_by_table=dict(sorted(counts.items())),
        suppressed=suppressed,
    )
    session.add(row)
    audit.record(
        session,
        actor=actor,
        action="privacy.erase",
        target_type="erasure",
        target_id=receipt_id,
        details={"profiles": row.profiles, "records": row.records},
        key_id=key_id,
    )
    session.flush()
    return ErasureReceipt.from_model(row)
