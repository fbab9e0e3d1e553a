"""Keeping memberships current: who entered, who left, and the size after each refresh.

A refresh runs the segment's statement in the database and applies the difference with three
statements: the profiles that left move from `segment_memberships` to `segment_exits` (with
the times they entered and exited), the new ones are inserted, and the size is recorded in
`segment_sizes`. Nothing is read into Python but the counts. Given touched profile ids, only
those are re-tested (in chunks, so the statements stay small); given none, every profile is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Table, delete, func, insert, literal, select, update
from sqlalchemy.orm import Session

from cdp import models
from cdp.segments._compile import members_query
from cdp.segments._definition import Definition
from cdp.segments._store import load_definitions
from cdp.types import BIG_ID, UTCDateTime, utcnow

__all__ = ["RefreshResult", "refresh_all", "refresh_segment", "refresh_touched"]

CHUNK = 2_000
_M = cast("Table", models.SegmentMembership.__table__)
_EXITS = cast("Table", models.SegmentExit.__table__)


@dataclass(frozen=True)
class RefreshResult:
    segment_id: int
    name: str
    size: int
    entered: int
    exited: int


def _apply(
    session: Session,
    segment_id: int,
    definition: Definition,
    definitions: Mapping[int, Definition],
    now: datetime,
    ids: Sequence[str] | None,
) -> tuple[int, int]:
    members = members_query(definition, now=now, segments=definitions, profile_ids=ids)
    leaving = [_M.c.segment_id == segment_id, _M.c.profile_id.not_in(members)]
    if ids is not None:
        leaving.append(_M.c.profile_id.in_(list(ids)))
    moment = literal(now, UTCDateTime())
    session.execute(
        insert(_EXITS).from_select(
            ["segment_id", "profile_id", "entered_at", "exited_at"],
            select(_M.c.segment_id, _M.c.profile_id, _M.c.added_at, moment).where(*leaving),
        )
    )
    exited = _rowcount(session.execute(delete(_M).where(*leaving)))
    current = select(_M.c.profile_id).where(_M.c.segment_id == segment_id)
    if ids is not None:
        current = current.where(_M.c.profile_id.in_(list(ids)))
    new = members.subquery("new_members")
    entered = _rowcount(
        session.execute(
            insert(_M).from_select(
                ["segment_id", "profile_id", "added_at"],
                select(literal(segment_id, BIG_ID), new.c.id, moment).where(
                    new.c.id.not_in(current)
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
    at = now or utcnow()
    known = dict(definitions) if definitions is not None else load_definitions(session)
    definition = known[segment.id]
    entered = exited = 0
    chunks = [None] if profile_ids is None else _chunks(profile_ids)
    for chunk in chunks:
        got_in, got_out = _apply(session, segment.id, definition, known, at, chunk)
        entered, exited = entered + got_in, exited + got_out
    size = (
        session.scalar(select(func.count()).select_from(_M).where(_M.c.segment_id == segment.id))
        or 0
    )
    session.add(
        models.SegmentSize(
            segment_id=segment.id,
            measured_at=at,
            size=size,
            entered=entered,
            exited=exited,
            scope="all" if profile_ids is None else "touched",
        )
    )
    if profile_ids is None:
        session.execute(
            update(models.Segment)
            .where(models.Segment.id == segment.id)
            .values(refreshed_at=at)
            .execution_options(synchronize_session=False)
        )
    session.flush()
    return RefreshResult(segment.id, segment.name, size, entered, exited)


def _chunks(ids: Sequence[str]) -> list[Sequence[str] | None]:
    unique = sorted(set(ids))
    return [unique[i : i + CHUNK] for i in range(0, len(unique), CHUNK)]


def refresh_all(
    session: Session, *, now: datetime | None = None, only: Sequence[int] | None = None
) -> list[RefreshResult]:
    """Re-test every profile against every segment (or the segments in `only`): what time
    windows need, since the passing of time changes membership without any new data."""
    definitions = load_definitions(session)
    segments = session.scalars(select(models.Segment).order_by(models.Segment.id)).all()
    return [
        refresh_segment(session, segment, definitions=definitions, now=now)
        for segment in segments
        if only is None or segment.id in only
    ]


def refresh_touched(session: Session, profile_ids: Sequence[str] | None) -> list[RefreshResult]:
    """The refresh step (`cdp.refresh.steps`): re-test the touched profiles against every
    segment (None: every profile). A merged-away profile is no longer active, so it leaves."""
    if profile_ids is not None and not profile_ids:
        return []
    definitions = load_definitions(session)
    if not definitions:
        return []
    segments = session.scalars(select(models.Segment).order_by(models.Segment.id)).all()
    return [
        refresh_segment(session, segment, definitions=definitions, profile_ids=profile_ids)
        for segment in segments
    ]
