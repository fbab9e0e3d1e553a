"""Aggregates for analysts, each field one or a few COUNT queries run only when asked for.

Each reads whole tables, so each costs `AGGREGATE_COST` in the query cost budget
(`schema._limits.FIELD_COSTS`), and one request computes each aggregate once however many
aliases ask for it (`once`, also used by `stats`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from cdp.services import aggregates
from schema._context import Context

Info = strawberry.Info[Context, None]
T = TypeVar("T")


async def once(info: Info, compute: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """`compute` run once per request (in its own session), shared by every alias."""
    memo: dict[str, asyncio.Future[Any]] = info.context.__dict__.setdefault("_aggregates", {})
    name = compute.__name__
    future = memo.get(name)
    if future is None:

        async def run() -> T:
            async with info.context.readers() as session:
                return await compute(session)

        future = memo[name] = asyncio.ensure_future(run())
    # Not shielded: when the request is cancelled (its timeout), the shared task is cancelled
    # too and closes its session, rather than running on past the request.
    result: T = await future
    return result


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
        t = await once(info, aggregates.totals)
        return Totals(**t.__dict__)

    @strawberry.field(description="Profiles with at least one record from each channel.")
    async def profiles_by_channel(self, info: Info) -> list[ProfileCount]:
        return _buckets(await once(info, aggregates.profiles_by_channel))

    @strawberry.field(description="Profiles seen in exactly 1, 2, 3... channels.")
    async def profiles_by_channel_count(self, info: Info) -> list[ProfileCount]:
        return _buckets(await once(info, aggregates.profiles_by_channel_count))

    @strawberry.field(description="Profiles built from exactly 1, 2, 3... source records.")
    async def profiles_by_record_count(self, info: Info) -> list[ProfileCount]:
        return _buckets(await once(info, aggregates.profiles_by_record_count))

    @strawberry.field(description="Merges, splits, manual actions and pending reviews.")
    async def merge_stats(self, info: Info) -> MergeStats:
        m = await once(info, aggregates.merge_stats)
        return MergeStats(**m.__dict__)
