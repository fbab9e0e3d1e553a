"""The suppression list: erased identifiers, as keyed hashes, that hold back later records.

Ingest calls `held_back` with each batch's normalised identifiers just before it stores the
batch (pull and push alike) and `held_back_raw` with the raw text of records it would
quarantine; a record carrying an erased identifier is not stored, it is counted (the batch's
`suppressed`, and each suppression's `hits` and `last_hit_at`) and logged by count only.
A batch costs one query (the list's count and highest id): each process keeps the list's
digests in memory while it is unchanged (up to `MEMORY_LIMIT` entries; past that, one query
per batch looks the batch's digests up), and hashes each distinct identifier of the batch once.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import String, any_, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from cdp import models
from cdp.normalize import normalize_identifier
from cdp.privacy.hashing import digest, fingerprint, key_for
from cdp.types import utcnow

__all__ = [
    "SuppressionSummary",
    "held_back",
    "held_back_raw",
    "is_active",
    "summary",
    "suppress",
]

log = logging.getLogger(__name__)

_CHUNK = 500
_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_PHONE = re.compile(r"\+?[0-9][0-9 ().-]{6,}[0-9]")


#: up to this many digests, each process keeps the list in memory (about 100 bytes each)
MEMORY_LIMIT = 200_000
_LISTS: WeakKeyDictionary[Any, tuple[tuple[int, int], frozenset[str]]] = WeakKeyDictionary()


def is_active(session: Session) -> bool:
    """Whether anything is suppressed at all."""
    return session.execute(select(models.Suppression.id).limit(1)).first() is not None


def _listed(session: Session) -> frozenset[str] | None:
    """The digests on the list, from this process's copy while the list is unchanged (its
    count and highest id, one query), or None when it is too long to keep in memory. Entries
    are never deleted, so a changed list always shows in the count."""
    s = models.Suppression
    count, top = session.execute(select(func.count(), func.max(s.id))).one()
    if not count:
        return frozenset()
    if count > MEMORY_LIMIT:
        return None
    engine = session.get_bind()
    version = (int(count), int(top))
    cached = _LISTS.get(engine)
    if cached is not None and cached[0] == version:
        return cached[1]
    digests = frozenset(session.scalars(select(s.digest)))
    _LISTS[engine] = (version, digests)
    return digests


def suppress(
    session: Session, identifiers: Iterable[tuple[str, str]], *, erasure_id: str | None
) -> dict[str, int]:
    """Add these normalised (kind, value) identifiers to the list; returns counts per kind of
    the digests added (one already listed is kept as it was)."""
    key = key_for(session)
    rows = {
        digest(key, kind, value): {
            "kind": kind,
            "digest": digest(key, kind, value),
            "key_fingerprint": fingerprint(key),
            "erasure_id": erasure_id,
            "created_at": utcnow(),
            "hits": 0,
        }
        for kind, value in identifiers
    }
    if not rows:
        return {}
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    table = models.Suppression.__table__
    added: dict[str, int] = {}
    values = list(rows.values())
    for start in range(0, len(values), _CHUNK):
        statement = (
            dialect.insert(table)
            .values(values[start : start + _CHUNK])
            .on_conflict_do_nothing(index_elements=["digest"])
            .returning(table.c.kind)
        )
        for (kind,) in session.execute(statement):
            added[kind] = added.get(kind, 0) + 1
    return added


def _hits(session: Session, digests: set[str]) -> set[str]:
    s = models.Suppression
    ordered = sorted(digests)
    if session.get_bind().dialect.name == "postgresql":
        # One statement with the digests as one array parameter: a fixed text that the server
        # prepares once, where IN lists of hundreds of placeholders are parsed per batch.
        values = bindparam("digests", ordered, type_=postgresql.ARRAY(String))
        return set(session.scalars(select(s.digest).where(s.digest == any_(values))))
    found: set[str] = set()
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        found.update(session.scalars(select(s.digest).where(s.digest.in_(chunk))))
    return found


def _count_hits(session: Session, hits: dict[str, int], now: datetime) -> None:
    s = models.Suppression
    for value, count in hits.items():
        session.execute(
            update(s)
            .where(s.digest == value)
            .values(hits=s.hits + count, last_hit_at=now)
            .execution_options(synchronize_session=False)
        )


def held_back(
    session: Session, records: Sequence[Iterable[tuple[str, str]]], *, source: str
) -> set[int]:
    """The positions of the records (each given as its normalised (kind, value) identifiers)
    that carry a suppressed identifier; their hits are counted."""
    listed = _listed(session) if records else frozenset()
    if not listed and listed is not None:
        return set()
    key = key_for(session)
    known: dict[tuple[str, str], str] = {}  # a visitor's ids recur across a batch
    per_record: list[set[str]] = []
    for ids in records:
        digests: set[str] = set()
        for pair in ids:
            value = known.get(pair)
            if value is None:
                value = known[pair] = digest(key, *pair)
            digests.add(value)
        per_record.append(digests)
    found = _hits(session, set(known.values())) if listed is None else listed & set(known.values())
    if not found:
        return set()
    positions: set[int] = set()
    counts: dict[str, int] = {}
    for position, digests in enumerate(per_record):
        matched = digests & found
        if matched:
            positions.add(position)
            for value in matched:
                counts[value] = counts.get(value, 0) + 1
    _count_hits(session, counts, utcnow())
    log.warning(
        "held back %d record(s) of source %s carrying erased identifiers", len(positions), source
    )
    return positions


def _raw_identifiers(text: str) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for match in _EMAIL.findall(text):
        value = normalize_identifier("email", match, "US")
        if value:
            found.add(("email", value))
    for match in _PHONE.findall(text):
        value = normalize_identifier("phone", match, "US")
        if value:
            found.add(("phone", value))
    return found


def held_back_raw(session: Session, texts: Sequence[str], *, source: str) -> set[int]:
    """Like `held_back`, for records known only as raw text (about to be quarantined): the
    emails and phone numbers found in the text are checked."""
    if not texts or not is_active(session):
        return set()
    return held_back(session, [_raw_identifiers(text) for text in texts], source=source)


@dataclass(frozen=True)
class SuppressionSummary:
    """What the list holds, by identifier kind, and how often it held a record back."""

    kind: str
    entries: int
    hits: int
    last_hit_at: datetime | None


def summary(session: Session) -> list[SuppressionSummary]:
    s = models.Suppression
    rows = session.execute(
        select(s.kind, func.count(), func.coalesce(func.sum(s.hits), 0), func.max(s.last_hit_at))
        .group_by(s.kind)
        .order_by(s.kind)
    )
    return [SuppressionSummary(k, int(n), int(h), last) for k, n, h, last in rows]
