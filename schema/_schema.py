from __future__ import annotations

import strawberry
from sqlalchemy import func, select

from cdp import models
from schema._context import Context


@strawberry.type(description="Counts of what the platform holds.")
class Stats:
    sources: int = strawberry.field(description="Configured sources.")
    source_records: int = strawberry.field(description="Records stored from all sources.")
    profiles: int = strawberry.field(description="Active unified profiles.")


@strawberry.type(description="The root of every read.")
class Query:
    @strawberry.field(description="Counts of sources, source records and active profiles.")
    async def stats(self, info: strawberry.Info[Context, None]) -> Stats:
        async with info.context.sessionmaker() as session:
            sources = await session.scalar(select(func.count()).select_from(models.Source))
            records = await session.scalar(select(func.count()).select_from(models.SourceRecord))
            profiles = await session.scalar(
                select(func.count())
                .select_from(models.Profile)
                .where(models.Profile.status == models.ProfileStatus.ACTIVE.value)
            )
        return Stats(sources=sources or 0, source_records=records or 0, profiles=profiles or 0)


def build_schema() -> strawberry.Schema:
    return strawberry.Schema(query=Query)
