"""Aggregates for analysts, each field one or a few COUNT queries run only when asked for."""

from __future__ import annotations

import strawberry

from cdp.services import aggregates
from schema._context import Context

Info = strawberry.Info[Context, None]


@strawberry.type(description="How many unified profiles, from how many records, in which channels.")
class Totals:
    profiles: int = strawberry.field(description="Active unified profiles.")
    merged_profiles: int = strawberry.field(description="Profiles merged into another.")
    source_records: int = strawberry.field(description="Records received from all sources.")
    resolved_records: int = strawberry.field(description="Records resolved to a profile.")
    identifiers: int = strawberry.field(description="Distinct (kind, value) identifiers.")
    sources: int = strawberry.field(description="Configured sources.")
    channels: int = strawberry.field(description="Distinct channels among the sources.")


@strawberry.type(description="A group and how many profiles fall in it.")
class ProfileCount:
    key: str = strawberry.field(description="The group: a channel name, or a number as text.")
    profiles: int = strawberry.field(description="Profiles in the group.")


@strawberry.type(description="What identity resolution did.")
class MergeStats:
    merges: int = strawberry.field(description="Merges recorded in the merge log.")
    splits: int = strawberry.field(description="Splits recorded in the merge log.")
    manual_actions: int = strawberry.field(description="Merges and splits done by a person.")
    profiles_merged_away: int = strawberry.field(description="Profiles now merged into another.")
    pending_reviews: int = strawberry.field(description="Possible matches awaiting a person.")
    forbidden_links: int = strawberry.field(description="Pairs a person said never to link.")


def _buckets(rows: list[aggregates.Bucket]) -> list[ProfileCount]:
    return [ProfileCount(key=row.key, profiles=row.profiles) for row in rows]


@strawberry.type(
    description=(
        "Aggregates over the whole platform. Ask `totals` and `profilesByChannelCount` to "
        "answer: how many unified profiles, from how many records, seen in how many channels."
    )
)
class Overview:
    @strawberry.field(description="Totals of profiles, records, identifiers, sources, channels.")
    async def totals(self, info: Info) -> Totals:
        async with info.context.sessionmaker() as session:
            t = await aggregates.totals(session)
        return Totals(**t.__dict__)

    @strawberry.field(description="Profiles with at least one record from each channel.")
    async def profiles_by_channel(self, info: Info) -> list[ProfileCount]:
        async with info.context.sessionmaker() as session:
            return _buckets(await aggregates.profiles_by_channel(session))

    @strawberry.field(description="Profiles seen in exactly 1, 2, 3... channels.")
    async def profiles_by_channel_count(self, info: Info) -> list[ProfileCount]:
        async with info.context.sessionmaker() as session:
            return _buckets(await aggregates.profiles_by_channel_count(session))

    @strawberry.field(description="Profiles built from exactly 1, 2, 3... source records.")
    async def profiles_by_record_count(self, info: Info) -> list[ProfileCount]:
        async with info.context.sessionmaker() as session:
            return _buckets(await aggregates.profiles_by_record_count(session))

    @strawberry.field(description="Merges, splits, manual actions and pending reviews.")
    async def merge_stats(self, info: Info) -> MergeStats:
        async with info.context.sessionmaker() as session:
            m = await aggregates.merge_stats(session)
        return MergeStats(**m.__dict__)
