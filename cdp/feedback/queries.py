"""Finding feedback: a filter shared by the list and the analytics, and keyset pages.

The filter's segment condition is a semi-join on `segment_memberships` (current members);
its topic condition an EXISTS on `feedback_topics`, so a row matching two topics is listed
once. Functions take the caller's session and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from cdp import models
from cdp.errors import InvalidInputError, NotFoundError
from cdp.services.paging import Page, decode_cursor, encode_cursor, page_from_rows

__all__ = ["FeedbackFilter", "check_segment", "filter_conditions", "find_feedback", "list_feedback"]


@dataclass(frozen=True)
class FeedbackFilter:
    """Every given condition must hold; a tuple matches any of its values."""

    kinds: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    sentiments: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    segment_id: int | None = None
    profile_id: str | None = None
    assignee: str | None = None


def filter_conditions(where: FeedbackFilter) -> list[ColumnElement[bool]]:
    f = models.Feedback
    conditions: list[ColumnElement[bool]] = []
    for column, values in (
        (f.kind, where.kinds),
        (f.sentiment_label, where.sentiments),
        (f.channel, where.channels),
        (f.status, where.statuses),
        (f.language, where.languages),
    ):
        if values:
            conditions.append(column.in_(values))
    if where.topics:
        t = models.FeedbackTopic
        conditions.append(exists().where(t.feedback_id == f.id, t.topic.in_(where.topics)))
    if where.since is not None and where.until is not None and where.since >= where.until:
        raise InvalidInputError(
            "since", f"{where.since.isoformat()} is not before until {where.until.isoformat()}"
        )
    if where.since is not None:
        conditions.append(f.occurred_at >= where.since)
    if where.until is not None:
        conditions.append(f.occurred_at < where.until)
    if where.segment_id is not None:
        m = models.SegmentMembership
        members = select(m.profile_id).where(m.segment_id == where.segment_id)
        conditions.append(f.profile_id.in_(members))
    if where.profile_id is not None:
        conditions.append(f.profile_id == where.profile_id)
    if where.assignee is not None:
        conditions.append(f.assignee == where.assignee)
    return conditions


async def check_segment(session: AsyncSession, where: FeedbackFilter) -> None:
    """`NotFoundError` when the filter names a segment that does not exist."""
    if where.segment_id is None:
        return
    found = await session.scalar(
        select(models.Segment.id).where(models.Segment.id == where.segment_id)
    )
    if found is None:
        raise NotFoundError("segment", str(where.segment_id))


async def find_feedback(session: AsyncSession, feedback_id: int) -> models.Feedback | None:
    """One feedback row with its topics, or None."""
    f = models.Feedback
    statement = select(f).where(f.id == feedback_id).options(selectinload(f.topics))
    return (await session.scalars(statement)).one_or_none()


async def list_feedback(
    session: AsyncSession, *, where: FeedbackFilter, first: int, after: str | None = None
) -> Page[models.Feedback]:
    """One keyset page of matching feedback, newest first, with its topics loaded."""
    await check_segment(session, where)
    f = models.Feedback
    conditions = filter_conditions(where)
    if after is not None:
        at, last_id = decode_cursor(after, [datetime, int])
        conditions.append((f.occurred_at < at) | ((f.occurred_at == at) & (f.id < last_id)))
    statement = (
        select(f)
        .where(*conditions)
        .order_by(f.occurred_at.desc(), f.id.desc())
        .options(selectinload(f.topics))
        .limit(first + 1)
    )
    rows = list((await session.scalars(statement)).all())
    return page_from_rows(rows, first, lambda row: encode_cursor(row.occurred_at, row.id))
