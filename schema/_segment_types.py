"""The GraphQL types of segments: a segment with its members (paginated), size and size
history; a preview; a breakdown group; an export; a profile's membership; and the typed
result for a definition with problems (every problem with its path)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, TypeVar

import strawberry
from sqlalchemy.orm import Session
from strawberry.scalars import JSON

from cdp import models, segments
from schema._context import Context
from schema._paging import Connection, page_size, to_connection
from schema._profile import Profile
from schema._results import Problem

__all__ = [
    "BreakdownGroup",
    "DefinitionProblem",
    "InvalidDefinition",
    "ProfileSegmentMembership",
    "Segment",
    "SegmentExport",
    "SegmentMember",
    "SegmentPreview",
    "SegmentSize",
    "invalid_definition",
    "profile_of",
    "profile_segments",
]

Info = strawberry.Info[Context, None]
T = TypeVar("T")


def profile_of(row: models.Profile, masked: bool) -> Profile:
    return Profile.from_model(row, masked=masked)


async def _read(info: Info, call: Callable[[Session], T]) -> T:
    async with info.context.sessionmaker() as session:
        return await session.run_sync(call)


@strawberry.type(description="A profile in a segment, since when.")
class SegmentMember:
    profile: Profile = strawberry.field(description="The member (with its traits).")
    entered_at: datetime = strawberry.field(description="When it entered the segment.")


@strawberry.type(description="A segment's size after a refresh.")
class SegmentSize:
    measured_at: datetime = strawberry.field(description="When.")
    size: int = strawberry.field(description="Members after the refresh.")
    entered: int = strawberry.field(description="Profiles that entered in this refresh.")
    exited: int = strawberry.field(description="Profiles that left in this refresh.")
    scope: str = strawberry.field(
        description="`all` (every profile re-tested) or `touched` (the profiles a batch changed)."
    )


@strawberry.type(description="Members with one value of a trait or attribute.")
class BreakdownGroup:
    value: str | None = strawberry.field(description="The value (null: no value).")
    count: int = strawberry.field(description="How many members have it.")


@strawberry.type(description="A saved segment: a condition tree kept current in the database.")
class Segment:
    id: strawberry.ID = strawberry.field(description="Stable id.")
    name: str = strawberry.field(description="Unique name.")
    description: str | None = strawberry.field(description="What it is for.")
    definition: JSON = strawberry.field(description="The conditions as JSON (docs/segments.md).")
    built_in: bool = strawberry.field(
        description="Shipped with the platform (the RFM segments): refreshed, never edited."
    )
    created_at: datetime = strawberry.field(description="When it was created.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    refreshed_at: datetime | None = strawberry.field(
        description="When every profile was last re-tested (null: only touched ones so far)."
    )
    sid: strawberry.Private[int]

    @classmethod
    def from_model(cls, row: models.Segment) -> Segment:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            description=row.description,
            definition=JSON(row.definition),
            built_in=row.built_in,
            created_at=row.created_at,
            updated_at=row.updated_at,
            refreshed_at=row.refreshed_at,
            sid=row.id,
        )

    @strawberry.field(description="How many profiles are members now.")
    async def size(self, info: Info) -> int:
        sid = self.sid
        return await _read(info, lambda session: segments.current_size(session, sid))

    @strawberry.field(description="Current members by profile id, in pages.")
    async def members(
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description="Page size.")] = None,
        after: Annotated[str | None, strawberry.argument(description="An endCursor.")] = None,
    ) -> Connection[SegmentMember]:
        size, masked, sid = page_size(info, first), info.context.is_masked, self.sid

        def call(session: Session) -> Connection[SegmentMember]:
            page = segments.member_page(session, sid, first=size, after=after)
            return to_connection(
                page,
                lambda m: SegmentMember(
                    profile=profile_of(m.profile, masked), entered_at=m.entered_at
                ),
                after=after,
            )

        return await _read(info, call)

    @strawberry.field(description="The size after each refresh, newest first.")
    async def size_history(
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description="How many.")] = None,
    ) -> list[SegmentSize]:
        size, sid = page_size(info, first), self.sid

        def call(session: Session) -> list[SegmentSize]:
            return [
                SegmentSize(
                    measured_at=row.measured_at,
                    size=row.size,
                    entered=row.entered,
                    exited=row.exited,
                    scope=row.scope,
                )
                for row in segments.size_history(session, sid, limit=size)
            ]

        return await _read(info, call)

    @strawberry.field(
        description="Members counted by a text trait or attribute (see segmentBreakdown)."
    )
    async def breakdown(
        self, info: Info, by: Annotated[str, strawberry.argument(description="e.g. valueTier.")]
    ) -> list[BreakdownGroup]:
        sid = self.sid

        def call(session: Session) -> list[BreakdownGroup]:
            return [
                BreakdownGroup(value=row.value, count=row.count)
                for row in segments.breakdown(session, sid, by)
            ]

        return await _read(info, call)


@strawberry.type(description="What a definition selects now, without saving it.")
class SegmentPreview:
    count: int = strawberry.field(description="How many active profiles it selects.")
    sample: list[Profile] = strawberry.field(description="A few of them, by id.")


@strawberry.type(description="A segment's consented members as CSV, and who was left out.")
class SegmentExport:
    csv: str = strawberry.field(description="A header line, then one line per member.")
    purpose: str = strawberry.field(description="The purpose consent was checked for.")
    exported: int = strawberry.field(description="Members written.")
    left_out: int = strawberry.field(description="Members left out for want of consent.")


@strawberry.type(description="One problem of a definition, at a node.")
class DefinitionProblem:
    path: str = strawberry.field(description="Where, e.g. `conditions[1].and[0].event.window`.")
    message: str = strawberry.field(description="What is wrong, with the value given.")


@strawberry.type(description="The definition has problems: all of them are listed.")
class InvalidDefinition(Problem):
    problems: list[DefinitionProblem] = strawberry.field(description="Every problem found.")


def invalid_definition(error: segments.DefinitionError) -> InvalidDefinition:
    problems = []
    for line in error.problems:
        path, _, message = line.partition(": ")
        problems.append(DefinitionProblem(path=path, message=message))
    return InvalidDefinition(message=str(error), problems=problems)


@strawberry.type(description="A segment a profile is in, or was in.")
class ProfileSegmentMembership:
    segment: Segment = strawberry.field(description="The segment.")
    entered_at: datetime = strawberry.field(description="When the profile entered.")
    exited_at: datetime | None = strawberry.field(description="When it left (null: still in).")


async def profile_segments(
    info: Info, profile_id: str, include_past: bool
) -> list[ProfileSegmentMembership]:
    def call(session: Session) -> list[ProfileSegmentMembership]:
        return [
            ProfileSegmentMembership(
                segment=Segment.from_model(item.segment),
                entered_at=item.entered_at,
                exited_at=item.exited_at,
            )
            for item in segments.profile_segments(session, profile_id, with_past=include_past)
        ]

    return await _read(info, call)
