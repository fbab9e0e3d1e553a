"""What belongs to profiles, fetched for many profiles at once (the GraphQL DataLoaders' batches).

Every function takes a batch of parent ids and answers with one query: rows are grouped by
parent, and paginated lists are paginated *per parent* with `row_number() OVER (PARTITION BY
parent ...)`, so a LIMIT never applies to the batch as a whole.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased

from cdp import models
from cdp.models import BUILT_IN_CHANNELS, OTHER_CHANNEL
from cdp.services.paging import Page, decode_cursor, encode_cursor, page_from_rows

__all__ = [
    "FactQuery",
    "IdentifierSummary",
    "channels_by_profile",
    "consents_by_profile",
    "events_by_profile",
    "identifiers_by_profile",
    "interactions_by_profile",
    "items_by_order",
    "merge_history_by_profile",
    "orders_by_profile",
    "records_by_profile",
    "sources_by_id",
]

M = TypeVar("M", bound=models.Base)
MAX_LIST = 500


@dataclass(frozen=True)
class FactQuery:
    """One page request on a per-profile list: hashable, so it can be part of a loader key."""

    first: int
    after: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    types: tuple[str, ...] | None = None
    channels: tuple[str, ...] | None = None


@lru_cache(maxsize=256)
def _paged_statement(
    model: type[M],
    parent: InstrumentedAttribute[Any],
    time: InstrumentedAttribute[Any],
    type_column: InstrumentedAttribute[Any] | None,
    channel_column: InstrumentedAttribute[Any] | None,
    shape: tuple[bool, ...],
) -> Select[M]:
    """The page query for one shape of `FactQuery` (which conditions are present), built once:
    building it (a subquery and an entity aliased to it) costs far more CPU than running it."""
    has_since, has_until, has_types, has_channels, has_after, has_declared = shape
    row_id: InstrumentedAttribute[int] = model.id  # type: ignore[attr-defined]
    conditions: list[ColumnElement[bool]] = [parent.in_(bindparam("ids", expanding=True))]
    if has_since:
        conditions.append(time >= bindparam("since"))
    if has_until:
        conditions.append(time < bindparam("until"))
    if has_types and type_column is not None:
        conditions.append(type_column.in_(bindparam("types", expanding=True)))
    if has_channels and channel_column is not None:
        wanted: ColumnElement[bool] = channel_column.in_(bindparam("channels", expanding=True))
        if has_declared:  # `other`: every channel declared in configuration
            wanted = or_(wanted, channel_column.not_in(BUILT_IN_CHANNELS))
        conditions.append(wanted)
    if has_after:
        at, last_id = bindparam("at", type_=time.type), bindparam("last_id", type_=row_id.type)
        conditions.append(or_(time < at, and_(time == at, row_id < last_id)))
    position = (
        func.row_number()
        .over(partition_by=parent, order_by=(time.desc(), row_id.desc()))
        .label("position")
    )
    table = model.__table__
    inner = select(*table.c, position).where(*conditions).subquery()
    return (
        select(aliased(model, inner))
        .where(inner.c.position <= bindparam("limit"))
        .order_by(inner.c[parent.key], inner.c.position)
    )


async def _paged_by_parent(
    session: AsyncSession,
    model: type[M],
    parent: InstrumentedAttribute[Any],
    time: InstrumentedAttribute[Any],
    ids: Sequence[Any],
    query: FactQuery,
    type_column: InstrumentedAttribute[Any] | None,
    channel_column: InstrumentedAttribute[Any] | None,
) -> dict[Any, Page[M]]:
    params: dict[str, Any] = {"ids": list(set(ids)), "limit": query.first + 1}
    if query.since is not None:
        params["since"] = query.since
    if query.until is not None:
        params["until"] = query.until
    if query.types is not None and type_column is not None:
        params["types"] = list(query.types)
    if query.channels is not None and channel_column is not None:
        params["channels"] = list(query.channels)
    if query.after is not None:
        params["at"], params["last_id"] = decode_cursor(query.after, [datetime, int])
    shape = (
        *(name in params for name in ("since", "until", "types", "channels", "at")),
        "channels" in params and OTHER_CHANNEL in params["channels"],
    )
    statement = _paged_statement(model, parent, time, type_column, channel_column, shape)
    rows = await session.scalars(statement, params)
    grouped: dict[Any, list[M]] = defaultdict(list)
    for row in rows:
        grouped[getattr(row, parent.key)].append(row)

    def cursor_of(row: M) -> str:
        return encode_cursor(getattr(row, time.key), row.id)  # type: ignore[attr-defined]

    return {key: page_from_rows(grouped.get(key, []), query.first, cursor_of) for key in ids}


async def events_by_profile(
    session: AsyncSession, ids: Sequence[str], query: FactQuery
) -> dict[str, Page[models.Event]]:
    e = models.Event
    return await _paged_by_parent(
        session, e, e.profile_id, e.occurred_at, ids, query, e.type, e.channel
    )


async def orders_by_profile(
    session: AsyncSession, ids: Sequence[str], query: FactQuery
) -> dict[str, Page[models.Order]]:
    o = models.Order
    return await _paged_by_parent(
        session, o, o.profile_id, o.placed_at, ids, query, o.status, o.channel
    )


async def interactions_by_profile(
    session: AsyncSession, ids: Sequence[str], query: FactQuery
) -> dict[str, Page[models.Interaction]]:
    i = models.Interaction
    return await _paged_by_parent(
        session, i, i.profile_id, i.occurred_at, ids, query, i.type, i.channel
    )


async def records_by_profile(
    session: AsyncSession, ids: Sequence[str], query: FactQuery
) -> dict[str, Page[models.SourceRecord]]:
    r = models.SourceRecord
    return await _paged_by_parent(session, r, r.profile_id, r.received_at, ids, query, r.kind, None)


_ITEMS_BY_ORDER = (
    select(models.OrderItem)
    .where(models.OrderItem.order_id.in_(bindparam("ids", expanding=True)))
    .order_by(models.OrderItem.order_id, models.OrderItem.id)
)


async def items_by_order(
    session: AsyncSession, order_ids: Sequence[int]
) -> dict[int, list[models.OrderItem]]:
    rows = await session.scalars(_ITEMS_BY_ORDER, {"ids": list(set(order_ids))})
    grouped: dict[int, list[models.OrderItem]] = defaultdict(list)
    for row in rows:
        grouped[row.order_id].append(row)
    return {key: grouped.get(key, []) for key in order_ids}


async def sources_by_id(session: AsyncSession, ids: Sequence[int]) -> dict[int, models.Source]:
    rows = await session.scalars(select(models.Source).where(models.Source.id.in_(set(ids))))
    return {row.id: row for row in rows}


@dataclass(frozen=True)
class IdentifierSummary:
    """One identifier of a profile as one source reported it, with when it was seen."""

    kind: str
    value: str
    source: str
    channel: str
    records: int
    first_seen_at: datetime | None
    last_seen_at: datetime | None


async def identifiers_by_profile(
    session: AsyncSession, ids: Sequence[str]
) -> dict[str, list[IdentifierSummary]]:
    i, r, s = models.Identifier, models.SourceRecord, models.Source
    rows = await session.execute(
        select(
            i.profile_id,
            i.kind,
            i.value,
            s.name,
            s.channel,
            func.count(),
            func.min(i.seen_at),
            func.max(i.seen_at),
        )
        .join(r, r.id == i.record_id)
        .join(s, s.id == r.source_id)
        .where(i.profile_id.in_(set(ids)))
        .group_by(i.profile_id, i.kind, i.value, s.name, s.channel)
        .order_by(i.profile_id, i.kind, i.value, s.name)
    )
    grouped: dict[str, list[IdentifierSummary]] = defaultdict(list)
    for profile_id, kind, value, source, channel, count, first, last in rows:
        summaries = grouped[str(profile_id)]
        if len(summaries) < MAX_LIST:
            summaries.append(IdentifierSummary(kind, value, source, channel, count, first, last))
    return {key: grouped.get(key, []) for key in ids}


async def channels_by_profile(session: AsyncSession, ids: Sequence[str]) -> dict[str, list[str]]:
    r, s = models.SourceRecord, models.Source
    rows = await session.execute(
        select(r.profile_id, s.channel)
        .join(s, s.id == r.source_id)
        .where(r.profile_id.in_(set(ids)))
        .distinct()
    )
    grouped: dict[str, list[str]] = defaultdict(list)
    for profile_id, channel in rows:
        grouped[str(profile_id)].append(channel)
    return {key: sorted(grouped.get(key, [])) for key in ids}


async def consents_by_profile(
    session: AsyncSession, ids: Sequence[str]
) -> dict[str, list[models.Consent]]:
    c = models.Consent
    rows = await session.scalars(
        select(c)
        .where(c.profile_id.in_(set(ids)))
        .order_by(c.profile_id, c.occurred_at.desc(), c.id.desc())
    )
    grouped: dict[str, list[models.Consent]] = defaultdict(list)
    for row in rows:
        if row.profile_id is not None and len(grouped[row.profile_id]) < MAX_LIST:
            grouped[row.profile_id].append(row)
    return {key: grouped.get(key, []) for key in ids}


async def merge_history_by_profile(
    session: AsyncSession, ids: Sequence[str]
) -> dict[str, list[models.MergeLog]]:
    """Merges and splits each profile took part in, as winner or as the other side."""
    m = models.MergeLog
    wanted = set(ids)
    rows = await session.scalars(
        select(m)
        .where(or_(m.profile_id.in_(wanted), m.other_profile_id.in_(wanted)))
        .order_by(m.created_at.desc(), m.id.desc())
    )
    grouped: dict[str, list[models.MergeLog]] = defaultdict(list)
    for row in rows:
        for key in {row.profile_id, row.other_profile_id} & wanted:
            if key is not None and len(grouped[key]) < MAX_LIST:
                grouped[key].append(row)
    return {key: grouped.get(key, []) for key in ids}
