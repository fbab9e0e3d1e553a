"""Subscriptions over WebSocket (`graphql-transport-ws`, at `/graphql`, authenticated with the
same API keys as queries: `{"Authorization": "Bearer KEY"}` in `connection_init`'s payload).

- `profileChanges(id)`: each time a change touches the profile (a pushed event resolved to
  it, a merge, a segment entry or exit...), the profile as it is now;
- `segmentMembership(segment)`: each profile entering or leaving the segment.

Changes come from `cdp.activation.live` (PostgreSQL NOTIFY across `cdp serve --workers N`, or
in-process on SQLite); only committed changes are sent.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated

import strawberry
from sqlalchemy.orm import Session

from cdp import segments
from cdp.activation.live import Hub, LiveChange
from cdp.errors import InvalidInputError, NotFoundError
from cdp.services import profiles as profile_service
from schema._access import EVERY_ROLE, requires
from schema._context import Context
from schema._profile import Profile

Info = strawberry.Info[Context, None]


@strawberry.enum(description="What happened to the profile.")
class ProfileChangeKind(enum.Enum):
    UPDATED = strawberry.enum_value(
        "profile.changed", description="Its records, identity or computed data changed."
    )
    ENTERED_SEGMENT = strawberry.enum_value("segment.entered", description="It joined a segment.")
    EXITED_SEGMENT = strawberry.enum_value("segment.exited", description="It left a segment.")


@strawberry.type(description="A change to a watched profile.")
class ProfileChange:
    kind: ProfileChangeKind = strawberry.field(description="What happened.")
    at: datetime = strawberry.field(description="When.")
    segment: str | None = strawberry.field(description="The segment entered or left, if any.")
    profile: Profile | None = strawberry.field(
        description="The profile as it is now (the survivor after a merge; null once erased)."
    )


@strawberry.type(description="A profile entered or left a segment.")
class SegmentMembershipChange:
    segment: str = strawberry.field(description="The segment's name.")
    profile_id: strawberry.ID = strawberry.field(description="The profile.")
    entered: bool = strawberry.field(description="True when it entered, false when it left.")
    at: datetime = strawberry.field(description="When.")


def _hub(info: Info) -> Hub:
    if info.context.hub is None:
        raise InvalidInputError("subscription", "this server offers no live changes")
    return info.context.hub


async def _current(info: Info, profile_id: str) -> Profile | None:
    async with info.context.sessionmaker() as session:
        found = await profile_service.resolve_profile(session, profile_id)
    if found is None:
        return None
    return Profile.from_model(
        found.profile, masked=info.context.is_masked, requested_id=found.requested_id
    )


@strawberry.type(description="Live changes, over WebSocket (graphql-transport-ws).")
class Subscription:
    @strawberry.subscription(
        description="The profile each time a change touches it (roles: admin, app, analyst).",
        permission_classes=requires(EVERY_ROLE),
    )
    async def profile_changes(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The profile to watch.")],
    ) -> AsyncGenerator[ProfileChange, None]:
        hub = _hub(info)
        first = await _current(info, str(id))
        if first is None:
            raise NotFoundError("profile", str(id))
        watched = {str(id), str(first.id)}
        async for change in hub.subscribe(lambda c: c.profile_id in watched):
            current = await _current(info, change.profile_id)
            if current is not None:
                watched.add(str(current.id))
            yield ProfileChange(
                kind=ProfileChangeKind(change.topic),
                at=datetime.fromisoformat(change.at),
                segment=change.segment,
                profile=current,
            )

    @strawberry.subscription(
        description="Profiles entering and leaving a segment (roles: admin, app, analyst).",
        permission_classes=requires(EVERY_ROLE),
    )
    async def segment_membership(
        self,
        info: Info,
        segment: Annotated[str, strawberry.argument(description="The segment's name or id.")],
    ) -> AsyncGenerator[SegmentMembershipChange, None]:
        hub = _hub(info)

        def find(session: Session) -> str:
            return segments.find_segment(session, segment).name

        async with info.context.sessionmaker() as session:
            name = await session.run_sync(find)

        def wants(change: LiveChange) -> bool:
            return change.segment == name

        async for change in hub.subscribe(wants):
            yield SegmentMembershipChange(
                segment=name,
                profile_id=strawberry.ID(change.profile_id),
                entered=change.topic == "segment.entered",
                at=datetime.fromisoformat(change.at),
            )
