"""Reading unified profiles: by id (following merges), by identifier, as a filtered, sorted
keyset-paged list, and a fuzzy search for analysts.

Everything here takes an `AsyncSession` from its caller and only reads.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cdp import models
from cdp.db import fetch_rows
from cdp.errors import InvalidInputError
from cdp.merges import MAX_MERGE_HOPS, survivor
from cdp.models import BUILT_IN_CHANNELS, OTHER_CHANNEL
from cdp.normalize import IDENTIFIER_KINDS, normalize_identifier
from cdp.services.paging import Page, decode_cursor, encode_cursor, page_from_rows
from cdp.services.search import SearchHit, search_profiles
from cdp.value.queries import TRAIT_SORTS, TraitFilter, trait_conditions

__all__ = [
    "MAX_MERGE_HOPS",
    "ProfileFilter",
    "ProfileRow",
    "ProfileSort",
    "ResolvedProfile",
    "SearchHit",
    "count_profiles",
    "find_by_identifier",
    "get_profiles",
    "list_profiles",
    "resolve_profile",
    "resolve_profiles",
    "search_profiles",
]


@dataclass(frozen=True, slots=True)
class ProfileRow:
    """A stored profile's columns as read without the ORM (what a detached `models.Profile`
    holds; building one costs more than the query on the by-identifier path)."""

    id: str
    status: str
    merged_into_id: str | None
    attributes: dict[str, Any]
    given_name: str | None
    family_name: str | None
    email: str | None
    phone: str | None
    record_count: int
    channel_count: int
    first_seen_at: datetime | None
    last_seen_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class ResolvedProfile:
    """A profile found for `requested_id`; `is_redirected` when that id was merged away."""

    profile: models.Profile | ProfileRow
    requested_id: str

    @property
    def is_redirected(self) -> bool:
        return self.profile.id != self.requested_id


_BY_IDS = select(models.Profile).where(models.Profile.id.in_(bindparam("ids", expanding=True)))


async def get_profiles(session: AsyncSession, ids: Sequence[str]) -> dict[str, models.Profile]:
    """The stored profiles with these ids (merged ones included, not followed)."""
    if not ids:
        return {}
    rows = await session.scalars(_BY_IDS, {"ids": list(set(ids))})
    return {row.id: row for row in rows}


async def resolve_profiles(session: AsyncSession, ids: Sequence[str]) -> dict[str, ResolvedProfile]:
    """Each id's profile, following `merged_into_id` to the survivor; unknown ids are absent.

    One query per hop of the longest merge chain in the batch (usually one or two).
    """
    found = await get_profiles(session, ids)
    for _ in range(MAX_MERGE_HOPS):
        pending = {
            p.merged_into_id
            for p in found.values()
            if p.merged_into_id is not None and p.merged_into_id not in found
        }
        if not pending:
            break
        found.update(await get_profiles(session, list(pending)))

    def merged_into(profile_id: str) -> str | None:
        profile = found.get(profile_id)
        merged = profile is not None and profile.status == models.ProfileStatus.MERGED.value
        return profile.merged_into_id if merged and profile is not None else None

    result: dict[str, ResolvedProfile] = {}
    for requested in ids:
        profile = found.get(survivor(requested, merged_into)) if requested in found else None
        if profile is not None:
            result[requested] = ResolvedProfile(profile=profile, requested_id=requested)
    return result


async def resolve_profile(session: AsyncSession, profile_id: str) -> ResolvedProfile | None:
    return (await resolve_profiles(session, [profile_id])).get(profile_id)


_identifier = models.Identifier
# In `ProfileRow`'s order (a test holds the two together).
_PROFILE_COLUMNS = tuple(models.Profile.__table__.columns[name] for name in ProfileRow.__slots__)
# Built once: composing the statement per call costs more CPU than running it. Columns, not
# the entity: it runs through `cdp.db.fetch_rows` (a direct connection on PostgreSQL).
_BY_IDENTIFIER = (
    select(*_PROFILE_COLUMNS)
    .join(_identifier, _identifier.profile_id == models.Profile.id)
    .where(_identifier.kind == bindparam("kind"), _identifier.value == bindparam("value"))
    .order_by(_identifier.seen_at.desc(), _identifier.record_id.desc())
    .limit(1)
)


async def find_by_identifier(
    sessions: async_sessionmaker[AsyncSession],
    kind: str,
    value: str,
    *,
    default_region: str = "US",
) -> ResolvedProfile | None:
    """The profile holding identifier (`kind`, `value`), normalised as ingest stores it.

    When several profiles share the identifier, the one that saw it most recently wins.
    `sessions` should make autocommit sessions (a read engine from
    `cdp.db.create_async_read_engine`): the look-up is one statement.
    """
    if kind not in IDENTIFIER_KINDS:
        raise InvalidInputError(
            "kind",
            f"unknown identifier kind {kind!r}; expected one of {', '.join(IDENTIFIER_KINDS)}",
        )
    normalised = normalize_identifier(kind, value, default_region)
    if normalised is None:
        raise InvalidInputError("value", f"{value!r} is not a usable {kind}")
    # One round trip on the hot path: the identifier's profile comes back with it, and only a
    # profile merged meanwhile (identity re-points identifiers, so rarely) needs a second look.
    rows = await fetch_rows(sessions, _BY_IDENTIFIER, {"kind": kind, "value": normalised})
    if not rows:
        return None
    profile = ProfileRow(*rows[0])
    if profile.merged_into_id is None:
        return ResolvedProfile(profile, profile.id)
    async with sessions() as session:
        resolved = await resolve_profile(session, profile.id)
    return None if resolved is None else ResolvedProfile(resolved.profile, profile.id)


class ProfileSort(enum.Enum):
    """Orders of the profile list; every order ends on the id so cursors are total."""

    LAST_SEEN_DESC = "last_seen_desc"
    LAST_SEEN_ASC = "last_seen_asc"
    FIRST_SEEN_ASC = "first_seen_asc"
    RECORD_COUNT_DESC = "record_count_desc"
    CHANNEL_COUNT_DESC = "channel_count_desc"
    FAMILY_NAME_ASC = "family_name_asc"
    ID_ASC = "id_asc"
    # computed traits (cdp.value.queries.TRAIT_SORTS)
    TOTAL_SPEND_DESC = "total_spend_desc"
    ORDER_COUNT_DESC = "order_count_desc"
    LAST_ORDER_DESC = "last_order_desc"
    PREDICTED_VALUE_DESC = "predicted_value_desc"
    PROBABILITY_ALIVE_ASC = "probability_alive_asc"
    LOYALTY_POINTS_DESC = "loyalty_points_desc"


@dataclass(frozen=True)
class ProfileFilter:
    """Conditions on the profile list, all optional and combined with AND."""

    status: str | None = models.ProfileStatus.ACTIVE.value
    channel: str | None = None
    min_records: int | None = None
    min_channels: int | None = None
    seen_after: datetime | None = None
    seen_before: datetime | None = None
    has_email: bool | None = None
    has_phone: bool | None = None
    traits: TraitFilter | None = None

    @property
    def needs_traits(self) -> bool:
        return self.traits is not None and not self.traits.is_empty()


def _sort_key(sort: ProfileSort) -> tuple[ColumnElement[Any], type, bool]:
    """The sort column, its cursor type, and whether it runs descending.

    Nullable columns sort NULLS FIRST descending and NULLS LAST ascending on both backends
    (PostgreSQL's defaults), so `(status, last_seen_at)` serves the default order by index.
    """
    if sort.value in TRAIT_SORTS:
        return TRAIT_SORTS[sort.value]
    p = models.Profile
    keys: dict[ProfileSort, tuple[ColumnElement[Any], type, bool]] = {
        ProfileSort.LAST_SEEN_DESC: (p.last_seen_at.expression, datetime, True),
        ProfileSort.LAST_SEEN_ASC: (p.last_seen_at.expression, datetime, False),
        ProfileSort.FIRST_SEEN_ASC: (p.first_seen_at.expression, datetime, False),
        ProfileSort.RECORD_COUNT_DESC: (p.record_count.expression, int, True),
        ProfileSort.CHANNEL_COUNT_DESC: (p.channel_count.expression, int, True),
        ProfileSort.FAMILY_NAME_ASC: (p.family_name.expression, str, False),
        ProfileSort.ID_ASC: (p.id.expression, str, False),
    }
    return keys[sort]


def _after(
    key: ColumnElement[Any], last_key: Any, last_id: str, descending: bool
) -> ColumnElement[bool]:
    """Rows after (last_key, last_id) in the order `_sort_key` describes, NULL keys included."""
    p_id = models.Profile.id
    if descending:  # NULL keys first, then values downwards; ties by id downwards
        if last_key is None:
            return or_(and_(key.is_(None), p_id < last_id), key.is_not(None))
        # `key <= last_key` repeats the OR as a plain range, so an index can bound the scan.
        return and_(key <= last_key, or_(key < last_key, and_(key == last_key, p_id < last_id)))
    if last_key is None:  # values upwards, then NULL keys; ties by id upwards
        return and_(key.is_(None), p_id > last_id)
    return or_(
        and_(key >= last_key, or_(key > last_key, and_(key == last_key, p_id > last_id))),
        key.is_(None),
    )


def _filter_conditions(where: ProfileFilter) -> list[ColumnElement[bool]]:
    p = models.Profile
    conditions: list[ColumnElement[bool]] = []
    if where.status is not None:
        conditions.append(p.status == where.status)
    if where.channel is not None:
        conditions.append(
            exists()
            .where(models.SourceRecord.profile_id == p.id)
            .where(models.Source.id == models.SourceRecord.source_id)
            .where(
                models.Source.channel.not_in(BUILT_IN_CHANNELS)
                if where.channel == OTHER_CHANNEL
                else models.Source.channel == where.channel
            )
        )
    if where.min_records is not None:
        conditions.append(p.record_count >= where.min_records)
    if where.min_channels is not None:
        conditions.append(p.channel_count >= where.min_channels)
    if where.seen_after is not None:
        conditions.append(p.last_seen_at >= where.seen_after)
    if where.seen_before is not None:
        conditions.append(p.last_seen_at < where.seen_before)
    if where.has_email is not None:
        conditions.append(p.email.is_not(None) if where.has_email else p.email.is_(None))
    if where.has_phone is not None:
        conditions.append(p.phone.is_not(None) if where.has_phone else p.phone.is_(None))
    if where.traits is not None:
        conditions.extend(trait_conditions(where.traits))
    return conditions


def _with_traits(statement: Any, where: ProfileFilter, sort: ProfileSort | None = None) -> Any:
    """Join `profile_traits` when a trait condition or order needs it (outer for an order, so
    profiles without traits still list)."""
    t = models.ProfileTraits
    if where.needs_traits:
        return statement.join(t, t.profile_id == models.Profile.id)
    if sort is not None and sort.value in TRAIT_SORTS:
        return statement.outerjoin(t, t.profile_id == models.Profile.id)
    return statement


async def list_profiles(
    session: AsyncSession,
    *,
    where: ProfileFilter,
    sort: ProfileSort,
    first: int,
    after: str | None = None,
) -> Page[models.Profile]:
    """One keyset page of profiles matching `where`, in `sort` order."""
    key, kind, descending = _sort_key(sort)
    p = models.Profile
    conditions = _filter_conditions(where)
    if after is not None:
        last_key, last_id = decode_cursor(after, [kind, str], nullable=(True, False))
        conditions.append(_after(key, last_key, last_id, descending))
    order = (
        (key.desc().nulls_first(), p.id.desc())
        if descending
        else (key.asc().nulls_last(), p.id.asc())
    )
    statement = _with_traits(select(p, key.label("sort_key")), where, sort)
    statement = statement.where(*conditions).order_by(*order)
    rows = (await session.execute(statement.limit(first + 1))).all()
    page = page_from_rows(rows, first, lambda row: encode_cursor(row[1], row[0].id))
    return Page(items=[row[0] for row in page.items], cursors=page.cursors, has_next=page.has_next)


async def count_profiles(session: AsyncSession, *, where: ProfileFilter) -> int:
    statement = _with_traits(select(func.count()).select_from(models.Profile), where)
    return int(await session.scalar(statement.where(*_filter_conditions(where))) or 0)
