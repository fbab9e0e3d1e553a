"""The read root: profiles by id, by identifier, as a list, by fuzzy search; aggregates."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from cdp.services import aggregates
from cdp.services import profiles as profile_service
from schema._access import ANALYSTS, EVERY_ROLE, KeyInProduction, requires
from schema._aggregates import Overview, once
from schema._campaigns import CampaignQuery
from schema._context import Context
from schema._destinations import DestinationQuery
from schema._enums import Channel, IdentifierKind, ProfileOrder, ProfileStatus, value_of
from schema._feedback import FeedbackQuery
from schema._flows import FlowQuery
from schema._identity import IdentityQuery
from schema._paging import Edge, PageInfo, aware, page_size
from schema._privacy import PrivacyQuery
from schema._profile import Profile
from schema._segments import SegmentQuery
from schema._social_campaigns import SocialCampaignQuery
from schema._traits import TraitFilter

Info = strawberry.Info[Context, None]
ProfileId = Annotated[
    strawberry.ID, strawberry.argument(description="A profile id (merged ids are followed).")
]


@strawberry.input(description="Conditions on the profile list, combined with AND.")
class ProfileFilter:
    status: ProfileStatus | None = strawberry.field(
        default=ProfileStatus.ACTIVE, description="Only this status (null: any status)."
    )
    channel: Channel | None = strawberry.field(
        default=None, description="Only profiles with a record from this channel."
    )
    min_records: int | None = strawberry.field(
        default=None, description="Only profiles built from at least this many records."
    )
    min_channels: int | None = strawberry.field(
        default=None, description="Only profiles seen in at least this many channels."
    )
    seen_after: datetime | None = strawberry.field(
        default=None, description="Only profiles last seen at or after this time."
    )
    seen_before: datetime | None = strawberry.field(
        default=None, description="Only profiles last seen before this time."
    )
    has_email: bool | None = strawberry.field(default=None, description="With (or without) email.")
    has_phone: bool | None = strawberry.field(default=None, description="With (or without) phone.")
    traits: TraitFilter | None = strawberry.field(
        default=None,
        description="Conditions on computed traits (profiles without computed traits never match).",
    )

    def to_service(self) -> profile_service.ProfileFilter:
        return profile_service.ProfileFilter(
            status=value_of(self.status) if self.status is not None else None,
            channel=value_of(self.channel) if self.channel is not None else None,
            min_records=self.min_records,
            min_channels=self.min_channels,
            seen_after=aware("seenAfter", self.seen_after),
            seen_before=aware("seenBefore", self.seen_before),
            has_email=self.has_email,
            has_phone=self.has_phone,
            traits=None if self.traits is None else self.traits.to_service(),
        )


@strawberry.type(description="A page of profiles.")
class ProfileConnection:
    edges: list[Edge[Profile]] = strawberry.field(description="Profiles with their cursors.")
    nodes: list[Profile] = strawberry.field(description="The profiles alone.")
    page_info: PageInfo = strawberry.field(description="How to get the next page.")
    where: strawberry.Private[profile_service.ProfileFilter]

    @strawberry.field(description="How many profiles match the filter in all (one COUNT query).")
    async def total_count(self, info: Info) -> int:
        async with info.context.readers() as session:
            return await profile_service.count_profiles(session, where=self.where)


@strawberry.type(description="A profile found by a fuzzy search, with how well it matched.")
class ProfileSearchHit:
    profile: Profile = strawberry.field(description="The profile.")
    score: float = strawberry.field(description="Similarity, 0 to 100.")
    matched_on: str = strawberry.field(description="`name`, `email` or `phone`.")


@strawberry.type(description="Counts of what the platform holds.")
class Stats:
    sources: int = strawberry.field(description="Configured sources.")
    source_records: int = strawberry.field(description="Records stored from all sources.")
    profiles: int = strawberry.field(description="Active unified profiles.")


@strawberry.type(description="The root of every read.")
class Query(
    IdentityQuery,
    FeedbackQuery,
    CampaignQuery,
    SocialCampaignQuery,
    DestinationQuery,
    SegmentQuery,
    PrivacyQuery,
    FlowQuery,
):
    @strawberry.field(
        description=(
            "A profile by id. An id that was merged away answers with the surviving profile "
            "(`isRedirected` is true and `requestedId` is the id asked for). Null when unknown."
        ),
        permission_classes=requires(EVERY_ROLE),
    )
    async def profile(self, info: Info, id: ProfileId) -> Profile | None:
        found = await info.context.loaders.profile.load(str(id))
        if found is None:
            return None
        return Profile.from_model(
            found.profile, masked=info.context.is_masked, requested_id=found.requested_id
        )

    @strawberry.field(
        description=(
            "The profile holding an identifier (normalised the way ingest stores it, so "
            "`Jane@Example.COM` finds `jane@example.com`). Null when no profile has it."
        ),
        permission_classes=requires(EVERY_ROLE),
    )
    async def profile_by_identifier(
        self,
        info: Info,
        kind: Annotated[IdentifierKind, strawberry.argument(description="The identifier's kind.")],
        value: Annotated[str, strawberry.argument(description="The identifier as known.")],
    ) -> Profile | None:
        found = await profile_service.find_by_identifier(
            info.context.readers,
            value_of(kind),
            value,
            default_region=info.context.settings.default_region,
        )
        if found is None:
            return None
        return Profile.from_model(
            found.profile, masked=info.context.is_masked, requested_id=found.requested_id
        )

    @strawberry.field(
        description="Profiles matching a filter, in pages (keyset cursors; see `first`).",
        permission_classes=requires(EVERY_ROLE),
    )
    async def profiles(
        self,
        info: Info,
        first: Annotated[
            int | None, strawberry.argument(description="Page size, at most the server maximum.")
        ] = None,
        after: Annotated[
            str | None, strawberry.argument(description="The `endCursor` of the previous page.")
        ] = None,
        filter: Annotated[
            ProfileFilter | None, strawberry.argument(description="Conditions (default: active).")
        ] = None,
        order_by: Annotated[
            ProfileOrder, strawberry.argument(description="The order of the list.")
        ] = ProfileOrder.LAST_SEEN_DESC,
    ) -> ProfileConnection:
        size = page_size(info, first)
        where = (filter or ProfileFilter()).to_service()
        async with info.context.readers() as session:
            page = await profile_service.list_profiles(
                session,
                where=where,
                sort=profile_service.ProfileSort(value_of(order_by)),
                first=size,
                after=after,
            )
        nodes = [Profile.from_model(row, masked=info.context.is_masked) for row in page.items]
        return ProfileConnection(
            edges=[Edge(cursor=c, node=n) for c, n in zip(page.cursors, nodes, strict=True)],
            nodes=nodes,
            page_info=PageInfo(
                has_next_page=page.has_next,
                has_previous_page=after is not None,
                start_cursor=page.cursors[0] if page.cursors else None,
                end_cursor=page.end_cursor,
            ),
            where=where,
        )

    @strawberry.field(
        description=(
            "Fuzzy search of active profiles by name, email or phone, best match first "
            "(for analysts; tolerant of typos after the first three letters)."
        ),
        permission_classes=requires(ANALYSTS),
    )
    async def search_profiles(
        self,
        info: Info,
        text: Annotated[str, strawberry.argument(description="A name, email or phone.")],
        first: Annotated[int | None, strawberry.argument(description="How many hits.")] = None,
    ) -> list[ProfileSearchHit]:
        size = page_size(info, first)
        hits = await profile_service.search_profiles(info.context.readers, text, limit=size)
        masked = info.context.is_masked
        return [
            ProfileSearchHit(
                profile=Profile.from_model(hit.profile, masked=masked),
                score=hit.score,
                matched_on=hit.matched_on,
            )
            for hit in hits
        ]

    @strawberry.field(
        description="Aggregates for analysts: totals, profiles per channel, merge statistics.",
        permission_classes=requires(ANALYSTS),
    )
    def overview(self) -> Overview:
        return Overview()

    @strawberry.field(
        description=(
            "Counts of sources, source records and active profiles (no key needed, except "
            "in production)."
        ),
        permission_classes=[KeyInProduction],
    )
    async def stats(self, info: Info) -> Stats:
        counts = await once(info, aggregates.basic_counts)
        return Stats(
            sources=counts.sources, source_records=counts.source_records, profiles=counts.profiles
        )
