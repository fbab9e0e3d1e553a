"""Counts for analysts: how many unified profiles, from how many records, seen in which channels,
and what identity resolution did (merges, splits, pending reviews)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from cdp import models

__all__ = [
    "BasicCounts",
    "Bucket",
    "MergeStats",
    "Totals",
    "basic_counts",
    "merge_stats",
    "profiles_by_channel",
    "profiles_by_channel_count",
    "profiles_by_record_count",
    "totals",
]


@dataclass(frozen=True)
class Totals:
    profiles: int
    merged_profiles: int
    source_records: int
    resolved_records: int
    identifiers: int
    sources: int
    channels: int


@dataclass(frozen=True)
class Bucket:
    """A group label (a channel name, a count) and how many profiles fall in it."""

    key: str
    profiles: int


@dataclass(frozen=True)
class MergeStats:
    merges: int
    splits: int
    manual_actions: int
    profiles_merged_away: int
    pending_reviews: int
    forbidden_links: int


async def _count(session: AsyncSession, statement: object) -> int:
    return int(await session.scalar(statement) or 0)  # type: ignore[call-overload]


@dataclass(frozen=True)
class BasicCounts:
    sources: int
    source_records: int
    profiles: int


async def basic_counts(session: AsyncSession) -> BasicCounts:
    """Sources, source records and active profiles: cheap enough for anyone to ask."""
    active = models.ProfileStatus.ACTIVE.value
    return BasicCounts(
        sources=await _count(session, select(func.count()).select_from(models.Source)),
        source_records=await _count(session, select(func.count()).select_from(models.SourceRecord)),
        profiles=await _count(session, select(func.count()).where(models.Profile.status == active)),
    )


async def totals(session: AsyncSession) -> Totals:
    p, r = models.Profile, models.SourceRecord
    active = models.ProfileStatus.ACTIVE.value
    return Totals(
        profiles=await _count(session, select(func.count()).where(p.status == active)),
        merged_profiles=await _count(
            session, select(func.count()).where(p.status == models.ProfileStatus.MERGED.value)
        ),
        source_records=await _count(session, select(func.count()).select_from(r)),
        resolved_records=await _count(
            session, select(func.count()).where(r.profile_id.is_not(None))
        ),
        identifiers=await _count(
            session,
            select(func.count()).select_from(
                select(models.Identifier.kind, models.Identifier.value).distinct().subquery()
            ),
        ),
        sources=await _count(session, select(func.count()).select_from(models.Source)),
        channels=await _count(session, select(func.count(models.Source.channel.distinct()))),
    )


def _profile_channels() -> object:
    r, s = models.SourceRecord, models.Source
    return (
        select(r.profile_id.label("profile_id"), s.channel.label("channel"))
        .join(s, s.id == r.source_id)
        .where(r.profile_id.is_not(None))
        .distinct()
        .subquery()
    )


async def profiles_by_channel(session: AsyncSession) -> list[Bucket]:
    """Unified profiles with at least one record from each channel (a profile counts once per
    channel it was seen in)."""
    pairs = _profile_channels()
    rows = await session.execute(
        select(pairs.c.channel, func.count()).group_by(pairs.c.channel).order_by(pairs.c.channel)  # type: ignore[attr-defined]
    )
    return [Bucket(key=str(channel), profiles=int(count)) for channel, count in rows]


async def profiles_by_channel_count(session: AsyncSession) -> list[Bucket]:
    """How many profiles were seen in exactly 1, 2, 3... channels."""
    pairs = _profile_channels()
    per_profile = (
        select(func.count().label("channels"))
        .select_from(pairs)  # type: ignore[arg-type]
        .group_by(pairs.c.profile_id)  # type: ignore[attr-defined]
        .subquery()
    )
    rows = await session.execute(
        select(per_profile.c.channels, func.count())
        .group_by(per_profile.c.channels)
        .order_by(per_profile.c.channels)
    )
    return [Bucket(key=str(channels), profiles=int(count)) for channels, count in rows]


async def profiles_by_record_count(session: AsyncSession) -> list[Bucket]:
    """How many active profiles were built from 1, 2, 3... source records."""
    r = models.SourceRecord
    per_profile = (
        select(func.count().label("records"))
        .where(r.profile_id.is_not(None))
        .group_by(r.profile_id)
        .subquery()
    )
    rows = await session.execute(
        select(per_profile.c.records, func.count())
        .group_by(per_profile.c.records)
        .order_by(per_profile.c.records)
    )
    return [Bucket(key=str(records), profiles=int(count)) for records, count in rows]


async def merge_stats(session: AsyncSession) -> MergeStats:
    m = models.MergeLog
    return MergeStats(
        merges=await _count(session, select(func.count()).where(m.action == "merge")),
        splits=await _count(session, select(func.count()).where(m.action == "split")),
        manual_actions=await _count(
            session, select(func.count()).where(m.actor.not_in(("identity", "system", "auto")))
        ),
        profiles_merged_away=await _count(
            session,
            select(func.count()).where(models.Profile.status == models.ProfileStatus.MERGED.value),
        ),
        pending_reviews=await _count(
            session, select(func.count()).where(models.IdentityLink.decision == "review")
        ),
        forbidden_links=await _count(
            session,
            select(func.count()).where(models.IdentityOverride.kind == "never_link"),
        ),
    )
