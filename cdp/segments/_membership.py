"""Keeping memberships current: who entered, who left, and the size after each refresh.

A refresh runs the segment's statement in the database and applies the difference with three
statements: the profiles that left move from `segment_memberships` to `segment_exits` (with
the times they entered and exited), the new ones are inserted, and the size is recorded in
`segment_sizes`. Nothing is read into Python but the counts. Given touched profile ids, only
those are re-tested (in chunks, so the statements stay small); given none, every profile is.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    CursorResult,
    Select,
    String,
    Table,
    column,
    delete,
    func,
    insert,
    literal,
    select,
    table,
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


_TOUCHED = table("segment_touched", column("profile_id", String()))
_NEW = table("segment_new_members", column("profile_id", String()))


@contextmanager
def _scratch(session: Session, ids: Sequence[str] | None) -> Iterator[Select[Any] | None]:
    """Temporary tables for one refresh: the touched ids (so every statement joins them rather
    than carrying thousands of parameters) and the members found (so the definition runs once
    per segment). Yields the select of touched ids (None: every profile); drops them after."""
    for name in ("segment_touched", "segment_new_members"):
        session.execute(
            text(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {name} (profile_id VARCHAR(40) PRIMARY KEY)"
            )
        )
        session.execute(text(f"DELETE FROM {name}"))
    try:
        if ids is None:
            yield None
            return
        unique = sorted(set(ids))
        for start in range(0, len(unique), 5_000):
            chunk = unique[start : start + 5_000]
            session.execute(insert(_TOUCHED), [{"profile_id": i} for i in chunk])
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("ANALYZE segment_touched"))
        yield select(_TOUCHED.c.profile_id)
    finally:
        for name in ("segment_touched", "segment_new_members"):
            session.execute(text(f"DROP TABLE IF EXISTS {name}"))


def _apply(
    session: Session,
    segment_id: int,
    definition: Definition,
    definitions: Mapping[int, Definition],
    now: datetime,
    touched: Select[Any] | None,
) -> tuple[int, int]:
    session.execute(delete(_NEW))
    members = members_query(definition, now=now, segments=definitions, profile_ids=touched)
    session.execute(insert(_NEW).from_select(["profile_id"], members))
    # NOT EXISTS, not NOT IN: PostgreSQL cannot turn NOT IN (subquery) into an anti-join, and
    # once the members outgrow work_mem it re-scanned them for every row (45 s for one
    # segment of 10k touched profiles at 1M profiles)
    found = select(_NEW.c.profile_id).where(_NEW.c.profile_id == _M.c.profile_id)
    leaving = [_M.c.segment_id == segment_id, ~found.exists()]
    if touched is not None:
        leaving.append(_M.c.profile_id.in_(touched))
    moment = literal(now, UTCDateTime())
    session.execute(
        insert(_EXITS).from_select(
            ["segment_id", "profile_id", "entered_at", "exited_at"],
            select(_M.c.segment_id, _M.c.profile_id, _M.c.added_at, moment).where(*leaving),
        )
    )
    exited = _rowcount(session.execute(delete(_M).where(*leaving)))
    current = select(_M.c.profile_id).where(
        _M.c.segment_id == segment_id, _M.c.profile_id == _NEW.c.profile_id
    )
    entered = _rowcount(
        session.execute(
            insert(_M).from_select(
                ["segment_id", "profile_id", "added_at"],
                select(literal(segment_id, BIG_ID), _NEW.c.profile_id, moment).where(
                    ~current.exists()
                ),
            ),
            execution_options={"preserve_rowcount": True},
        )
    )
    return entered, exited


def _rowcount(result: Any) -> int:
    return int(cast("CursorResult[Any]", result).rowcount or 0)


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
        return _refresh(session, segment, known, now or utcnow(), touched)


def _refresh(
    session: Session,
    segment: models.Segment,
    known: Mapping[int, Definition],
    at: datetime,
    touched: Select[Any] | None,
) -> RefreshResult:
    entered, exited = _apply(session, segment.id, known[segment.id], known, at, touched)
    whole = touched is None
    size = _size(session, segment.id, entered - exited, whole=whole)
    if not whole and entered == exited == 0:
        return RefreshResult(segment.id, segment.name, size, 0, 0)  # nothing to record
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
            .where(models.Segment.id == segment.id)
            .values(refreshed_at=at)
            .execution_options(synchronize_session=False)
        )
    session.flush()
    return RefreshResult(segment.id, segment.name, size, entered, exited)


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
    at = now or utcnow()
    with _scratch(session, None) as touched:
        results = [_refresh(session, segment, known, at, touched) for segment in chosen]
    _analyze(session)
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
    at = utcnow()
    with _scratch(session, profile_ids) as touched:
        results = [_refresh(session, segment, known, at, touched) for segment in rows]
    if profile_ids is None:
        _analyze(session)
    return results


def _analyze(session: Session) -> None:
    """Fresh statistics after every profile was re-tested (PostgreSQL): the memberships may
    have changed wholesale, and the next refresh of a few profiles plans with them."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE segment_memberships"))
