"""Keeping memberships current: who entered, who left, and the size after each refresh.

A refresh runs each segment's statement in the database into one table of members found,
then applies the difference for all its segments at once: who leaves and who enters are
listed (two anti-joins), the leavers move from `segment_memberships` to `segment_exits` (with
the times they entered and exited), the new members are inserted, and each segment's size is
recorded in `segment_sizes`. Nothing is read into Python but the counts. Given touched
profile ids, only those are re-tested, their `profiles` and `profile_traits` rows copied once
for every definition to read; given none, every profile is.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    delete,
    func,
    insert,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from cdp import models
from cdp.segments._compile import members_query
from cdp.segments._conditions import Definition
from cdp.segments._store import load_definitions
from cdp.types import BIG_ID, UTCDateTime, utcnow

__all__ = ["RefreshResult", "refresh_all", "refresh_segment", "refresh_touched"]

_M = cast("Table", models.SegmentMembership.__table__)
_EXITS = cast("Table", models.SegmentExit.__table__)


@dataclass(frozen=True)
class RefreshResult:
    segment_id: int
    name: str
    size: int
    entered: int
    exited: int


def _scratch_table(name: str, *columns: Column[Any]) -> Table:
    return Table(name, MetaData(), *columns, prefixes=["TEMPORARY"])


def _copy_of(source: Table, name: str) -> Table:
    """A temporary table with `source`'s columns and primary key (no constraints else)."""
    return _scratch_table(
        name, *[Column(c.name, c.type, primary_key=c.primary_key) for c in source.columns]
    )


_TOUCHED = _scratch_table("segment_touched", Column("profile_id", String(40), primary_key=True))
#: the members found, every refreshed segment's (the definitions run once each)
_NEW = _scratch_table(
    "segment_new_members",
    Column("segment_id", BIG_ID, primary_key=True),
    Column("profile_id", String(40), primary_key=True),
)
#: who leaves (`entered` 0, with the time they had entered) and who enters (`entered` 1)
_CHANGES = _scratch_table(
    "segment_changes",
    Column("segment_id", BIG_ID, primary_key=True),
    Column("profile_id", String(40), primary_key=True),
    Column("added_at", UTCDateTime()),
    Column("entered", Integer),
)
#: the touched profiles' rows (`profiles`, `profile_traits`), read by the definitions
_ROWS = (
    _copy_of(cast("Table", models.Profile.__table__), "segment_profile_rows"),
    _copy_of(cast("Table", models.ProfileTraits.__table__), "segment_trait_rows"),
)
_SCRATCH = (_TOUCHED, _NEW, _CHANGES, *_ROWS)


def _analyze(session: Session, *tables: Table) -> None:
    """Statistics for these tables, of their key columns only (PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        for table in tables:
            keys = ", ".join(table.primary_key.columns.keys())
            session.execute(text(f"ANALYZE {table.name} ({keys})"))


@contextmanager
def _scratch(session: Session, ids: Sequence[str] | None) -> Iterator[Select[Any] | None]:
    """Temporary tables for one refresh: the touched ids (so every statement joins them rather
    than carrying thousands of parameters) and, for them, copies of their `profiles` and
    `profile_traits` rows (every definition reads those: one probe per touched profile, where
    each segment's statement probed the big tables again), the members found and the
    changes. Yields the select of touched ids (None: every profile); drops them after."""
    connection = session.connection()
    for scratch in _SCRATCH:
        scratch.create(connection, checkfirst=True)
        session.execute(scratch.delete())
    try:
        if ids is None:
            yield None
            return
        unique = sorted(set(ids))
        for start in range(0, len(unique), 5_000):
            chunk = unique[start : start + 5_000]
            session.execute(insert(_TOUCHED), [{"profile_id": i} for i in chunk])
        touched = select(_TOUCHED.c.profile_id)
        for copy, source in zip(
            _ROWS, (models.Profile.__table__, models.ProfileTraits.__table__), strict=True
        ):
            key = cast("Table", source).c[copy.primary_key.columns.keys()[0]]
            names = [c.name for c in copy.columns]
            rows = select(*[cast("Table", source).c[n] for n in names]).where(key.in_(touched))
            session.execute(insert(copy).from_select(names, rows))
        _analyze(session, _TOUCHED, *_ROWS)
        yield touched
    finally:
        for scratch in _SCRATCH:
            scratch.drop(connection, checkfirst=True)


def _apply(
    session: Session,
    chosen: Sequence[models.Segment],
    definitions: Mapping[int, Definition],
    now: datetime,
    touched: Select[Any] | None,
) -> dict[int, tuple[int, int]]:
    """Re-test the profiles (`touched`, None: all) against the chosen segments and apply the
    difference: a few statements for all segments together. Returns (entered, exited) by
    segment id."""
    rows = None if touched is None else _ROWS
    for segment in chosen:
        members = members_query(
            definitions[segment.id], now=now, segments=definitions, profile_ids=touched, rows=rows
        )
        found = members.with_only_columns(
            literal(segment.id, BIG_ID).label("segment_id"), members.selected_columns[0]
        )
        session.execute(insert(_NEW).from_select(["segment_id", "profile_id"], found))
    _analyze(session, _NEW)
    ids = [segment.id for segment in chosen]
    # NOT EXISTS, not NOT IN: PostgreSQL cannot turn NOT IN (subquery) into an anti-join, and
    # once the members outgrow work_mem it re-scanned them for every row (45 s for one
    # segment of 10k touched profiles at 1M profiles)
    stays = select(_NEW.c.profile_id).where(
        _NEW.c.segment_id == _M.c.segment_id, _NEW.c.profile_id == _M.c.profile_id
    )
    leaving = [_M.c.segment_id.in_(ids), ~stays.exists()]
    if touched is not None:
        leaving.append(_M.c.profile_id.in_(touched))
    columns = ["segment_id", "profile_id", "added_at", "entered"]
    session.execute(
        insert(_CHANGES).from_select(
            columns,
            select(_M.c.segment_id, _M.c.profile_id, _M.c.added_at, literal(0)).where(*leaving),
        )
    )
    member = select(_M.c.profile_id).where(
        _M.c.segment_id == _NEW.c.segment_id, _M.c.profile_id == _NEW.c.profile_id
    )
    moment = literal(now, UTCDateTime())
    session.execute(
        insert(_CHANGES).from_select(
            columns,
            select(_NEW.c.segment_id, _NEW.c.profile_id, moment, literal(1)).where(
                ~member.exists()
            ),
        )
    )
    counts: dict[int, list[int]] = {i: [0, 0] for i in ids}
    grouped = select(_CHANGES.c.segment_id, _CHANGES.c.entered, func.count()).group_by(
        _CHANGES.c.segment_id, _CHANGES.c.entered
    )
    for segment_id, entered, n in session.execute(grouped):
        counts[int(segment_id)][0 if entered else 1] = int(n)
    c = _CHANGES.c
    exits = select(c.segment_id, c.profile_id, c.added_at, moment).where(c.entered == 0)
    session.execute(
        insert(_EXITS).from_select(["segment_id", "profile_id", "entered_at", "exited_at"], exits)
    )
    left = select(c.profile_id).where(
        c.entered == 0, c.segment_id == _M.c.segment_id, c.profile_id == _M.c.profile_id
    )
    session.execute(delete(_M).where(_M.c.segment_id.in_(ids), left.exists()))
    session.execute(
        insert(_M).from_select(
            ["segment_id", "profile_id", "added_at"],
            select(c.segment_id, c.profile_id, c.added_at).where(c.entered == 1),
        )
    )
    return {i: (n[0], n[1]) for i, n in counts.items()}


def refresh_segment(
    session: Session,
    segment: models.Segment,
    *,
    definitions: Mapping[int, Definition] | None = None,
    profile_ids: Sequence[str] | None = None,
    now: datetime | None = None,
) -> RefreshResult:
    """Re-test `profile_ids` (None: every profile) against the segment; record the size."""
    known = dict(definitions) if definitions is not None else load_definitions(session)
    with _scratch(session, profile_ids) as touched:
        [result] = _refresh(session, [segment], known, now or utcnow(), touched)
    return result


def _refresh(
    session: Session,
    chosen: Sequence[models.Segment],
    known: Mapping[int, Definition],
    at: datetime,
    touched: Select[Any] | None,
) -> list[RefreshResult]:
    changes = _apply(session, chosen, known, at, touched)
    whole = touched is None
    results = []
    for segment in chosen:
        entered, exited = changes[segment.id]
        size = _size(session, segment.id, entered - exited, whole=whole)
        results.append(RefreshResult(segment.id, segment.name, size, entered, exited))
        if not whole and entered == exited == 0:
            continue  # nothing to record
        session.add(
            models.SegmentSize(
                segment_id=segment.id,
                measured_at=at,
                size=size,
                entered=entered,
                exited=exited,
                scope="all" if whole else "touched",
            )
        )
    if whole:
        session.execute(
            update(models.Segment)
            .where(models.Segment.id.in_([segment.id for segment in chosen]))
            .values(refreshed_at=at)
            .execution_options(synchronize_session=False)
        )
    session.flush()
    return results


def _size(session: Session, segment_id: int, change: int, *, whole: bool) -> int:
    """The size after a refresh: counted after a whole refresh; after a touched one, the last
    recorded size plus the change (counting a million members per batch would cost more than
    the batch), counted when there is no earlier size."""
    z = models.SegmentSize
    last = None
    if not whole:
        last = session.scalar(
            select(z.size).where(z.segment_id == segment_id).order_by(z.id.desc()).limit(1)
        )
    if last is not None:
        return int(last) + change
    query = select(func.count()).select_from(_M).where(_M.c.segment_id == segment_id)
    return int(session.scalar(query) or 0)


def refresh_all(
    session: Session, *, now: datetime | None = None, only: Sequence[int] | None = None
) -> list[RefreshResult]:
    """Re-test every profile against every segment (or the segments in `only`): what time
    windows need, since the passing of time changes membership without any new data."""
    known = load_definitions(session)
    rows = session.scalars(select(models.Segment).order_by(models.Segment.id)).all()
    chosen = [segment for segment in rows if only is None or segment.id in only]
    with _scratch(session, None) as touched:
        results = _refresh(session, chosen, known, now or utcnow(), touched)
    # fresh statistics after every profile was re-tested (PostgreSQL): the memberships may
    # have changed wholesale, and the next refresh of a few profiles plans with them
    _analyze(session, _M)
    return results


def refresh_touched(session: Session, profile_ids: Sequence[str] | None) -> list[RefreshResult]:
    """The refresh step (`cdp.refresh.steps`): re-test the touched profiles against every
    segment (None: every profile). A merged-away profile is no longer active, so it leaves."""
    if profile_ids is not None and not profile_ids:
        return []
    known = load_definitions(session)
    if not known:
        return []
    rows = session.scalars(select(models.Segment).order_by(models.Segment.id)).all()
    with _scratch(session, profile_ids) as touched:
        results = _refresh(session, rows, known, utcnow(), touched)
    if profile_ids is None:
        _analyze(session, _M)
    return results
