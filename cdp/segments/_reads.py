"""Reading segments: a preview of an unsaved definition, members in pages, a profile's
segments, size history, and member counts grouped by a trait or attribute (breakdown)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Table, func, select
from sqlalchemy.orm import Session

from cdp import models
from cdp.errors import InvalidInputError
from cdp.segments._compile import members_query
from cdp.segments._fields import ATTRIBUTES, TRAITS, Field
from cdp.segments._sql import json_text
from cdp.segments._store import check_definition
from cdp.services.paging import Page, decode_cursor, encode_cursor, page_from_rows
from cdp.types import utcnow

__all__ = [
    "BREAKDOWN_FIELDS",
    "BreakdownRow",
    "Member",
    "Preview",
    "ProfileSegment",
    "breakdown",
    "current_size",
    "list_segments",
    "member_page",
    "preview",
    "profile_segments",
    "size_history",
]

_M = cast("Table", models.SegmentMembership.__table__)
_P = cast("Table", models.Profile.__table__)
_T = cast("Table", models.ProfileTraits.__table__)

#: what counts can be grouped by: every text trait and text attribute
BREAKDOWN_FIELDS: Mapping[str, Field] = {
    name: f for name, f in {**ATTRIBUTES, **TRAITS}.items() if f.kind == "text"
}


@dataclass(frozen=True)
class Preview:
    count: int
    sample: list[models.Profile]


@dataclass(frozen=True)
class Member:
    profile: models.Profile
    entered_at: datetime


@dataclass(frozen=True)
class ProfileSegment:
    segment: models.Segment
    entered_at: datetime
    exited_at: datetime | None


@dataclass(frozen=True)
class BreakdownRow:
    value: str | None
    count: int


def list_segments(session: Session) -> Sequence[models.Segment]:
    """Every segment, by id (segments are few)."""
    return session.scalars(select(models.Segment).order_by(models.Segment.id)).all()


def current_size(session: Session, segment_id: int) -> int:
    """How many profiles are members now."""
    query = select(func.count()).select_from(_M).where(_M.c.segment_id == segment_id)
    return int(session.scalar(query) or 0)


def preview(
    session: Session, raw: Any, *, sample: int = 10, now: datetime | None = None
) -> Preview:
    """How many active profiles an unsaved definition selects, and a few of them (by id)."""
    definition, stored = check_definition(session, raw)
    query = members_query(definition, now=now or utcnow(), segments=stored).subquery("members")
    count = session.scalar(select(func.count()).select_from(query)) or 0
    rows = session.scalars(
        select(models.Profile)
        .where(models.Profile.id.in_(select(query.c.id)))
        .order_by(models.Profile.id)
        .limit(sample)
    ).all()
    return Preview(count, list(rows))


def member_page(
    session: Session, segment_id: int, *, first: int, after: str | None = None
) -> Page[Member]:
    """Current members, by profile id, in keyset pages."""
    m = models.SegmentMembership
    query = (
        select(models.Profile, m.added_at)
        .join(m, m.profile_id == models.Profile.id)
        .where(m.segment_id == segment_id)
        .order_by(m.profile_id)
        .limit(first + 1)
    )
    if after is not None:
        (last,) = decode_cursor(after, [str])
        query = query.where(m.profile_id > last)
    rows = [Member(profile, entered) for profile, entered in session.execute(query).all()]
    return page_from_rows(rows, first, lambda member: encode_cursor(member.profile.id))


def profile_segments(
    session: Session, profile_id: str, *, with_past: bool = False
) -> list[ProfileSegment]:
    """The segments a profile is in (and, with `with_past`, those it left), newest first."""
    m, s = models.SegmentMembership, models.Segment
    current = [
        ProfileSegment(segment, entered, None)
        for segment, entered in session.execute(
            select(s, m.added_at).join(m, m.segment_id == s.id).where(m.profile_id == profile_id)
        ).all()
    ]
    past: list[ProfileSegment] = []
    if with_past:
        x = models.SegmentExit
        past = [
            ProfileSegment(segment, entered, exited)
            for segment, entered, exited in session.execute(
                select(s, x.entered_at, x.exited_at)
                .join(x, x.segment_id == s.id)
                .where(x.profile_id == profile_id)
            ).all()
        ]
    return sorted(current + past, key=lambda item: item.exited_at or item.entered_at, reverse=True)


def size_history(
    session: Session, segment_id: int, *, limit: int = 100
) -> Sequence[models.SegmentSize]:
    """The segment's sizes after each refresh, newest first."""
    z = models.SegmentSize
    return session.scalars(
        select(z)
        .where(z.segment_id == segment_id)
        .order_by(z.measured_at.desc(), z.id.desc())
        .limit(limit)
    ).all()


def _group_expression(field: Field) -> ColumnElement[Any]:
    if field.is_trait:
        return _T.c[field.column or ""]
    if field.json_path:
        return json_text(_P.c.attributes, *field.json_path)
    return _P.c[field.column or ""]


def breakdown(session: Session, segment_id: int | None, by: str) -> list[BreakdownRow]:
    """Members of a segment (None: every active profile) counted by the value of a text trait
    or attribute (`valueTier`, `lifecycleStage`, `preferredChannel`, `address.country`...);
    profiles with no value are counted under None. Largest groups first."""
    field = BREAKDOWN_FIELDS.get(by)
    if field is None:
        raise InvalidInputError(
            "by", f"{by!r} cannot group; use one of {', '.join(sorted(BREAKDOWN_FIELDS))}"
        )
    query: Select[Any] = select(_group_expression(field).label("value")).select_from(_P)
    if field.is_trait:
        query = query.outerjoin(_T, _T.c.profile_id == _P.c.id)
    if segment_id is None:
        query = query.where(_P.c.status == models.ProfileStatus.ACTIVE.value)
    else:
        query = query.join(_M, _M.c.profile_id == _P.c.id).where(_M.c.segment_id == segment_id)
    values = query.subquery("member_values")
    rows = session.execute(
        select(values.c.value, func.count().label("n")).group_by(values.c.value)
    ).all()
    found = [BreakdownRow(row.value, int(row.n)) for row in rows]
    return sorted(found, key=lambda row: (-row.count, row.value is None, row.value or ""))
