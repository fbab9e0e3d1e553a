"""Per-request DataLoaders: one `IN` query per batch, each batch on its own short session.

A session is never shared between batches, because loaders of different fields run
concurrently and an `AsyncSession` is not safe for concurrent use. Paginated relations are
keyed by `(parent id, FactQuery)`; keys asking for the same page shape share one query.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.dataloader import DataLoader

from cdp import models
from cdp.services import profile_facts as facts
from cdp.services import profiles as profile_service
from cdp.services.paging import Page
from cdp.services.profile_facts import FactQuery

K = TypeVar("K")
V = TypeVar("V")
Sessions = async_sessionmaker[AsyncSession]


def _keyed(
    sessions: Sessions, fetch: Callable[[AsyncSession, Sequence[K]], Awaitable[dict[K, V]]]
) -> DataLoader[K, V | None]:
    async def load(keys: Sequence[K]) -> list[V | None]:
        async with sessions() as session:
            found = await fetch(session, keys)
        return [found.get(key) for key in keys]

    return DataLoader(load_fn=load)


def _paged(
    sessions: Sessions,
    fetch: Callable[[AsyncSession, Sequence[Any], FactQuery], Awaitable[dict[Any, Page[V]]]],
) -> DataLoader[tuple[Any, FactQuery], Page[V]]:
    async def load(keys: Sequence[tuple[Any, FactQuery]]) -> list[Page[V]]:
        by_query: dict[FactQuery, list[Any]] = defaultdict(list)
        for parent, query in keys:
            by_query[query].append(parent)
        pages: dict[tuple[Any, FactQuery], Page[V]] = {}
        async with sessions() as session:
            for query, parents in by_query.items():
                found = await fetch(session, parents, query)
                pages.update({(parent, query): found[parent] for parent in parents})
        return [pages[key] for key in keys]

    return DataLoader(load_fn=load)


@dataclass
class Loaders:
    """The DataLoaders of one request (their caches must not outlive it)."""

    profile: DataLoader[str, profile_service.ResolvedProfile | None]
    channels: DataLoader[str, list[str] | None]
    identifiers: DataLoader[str, list[facts.IdentifierSummary] | None]
    consents: DataLoader[str, list[models.Consent] | None]
    merge_history: DataLoader[str, list[models.MergeLog] | None]
    order_items: DataLoader[int, list[models.OrderItem] | None]
    source: DataLoader[int, models.Source | None]
    events: DataLoader[tuple[Any, FactQuery], Page[models.Event]]
    orders: DataLoader[tuple[Any, FactQuery], Page[models.Order]]
    interactions: DataLoader[tuple[Any, FactQuery], Page[models.Interaction]]
    records: DataLoader[tuple[Any, FactQuery], Page[models.SourceRecord]]

    @classmethod
    def create(cls, sessions: Sessions) -> Loaders:
        return cls(
            profile=_keyed(sessions, profile_service.resolve_profiles),
            channels=_keyed(sessions, facts.channels_by_profile),
            identifiers=_keyed(sessions, facts.identifiers_by_profile),
            consents=_keyed(sessions, facts.consents_by_profile),
            merge_history=_keyed(sessions, facts.merge_history_by_profile),
            order_items=_keyed(sessions, facts.items_by_order),
            source=_keyed(sessions, facts.sources_by_id),
            events=_paged(sessions, facts.events_by_profile),
            orders=_paged(sessions, facts.orders_by_profile),
            interactions=_paged(sessions, facts.interactions_by_profile),
            records=_paged(sessions, facts.records_by_profile),
        )
