"""Per-request DataLoaders: one `IN` query per batch, each batch on its own short session.

A session is never shared between batches, because loaders of different fields run
concurrently and an `AsyncSession` is not safe for concurrent use. Paginated relations are
keyed by `(parent id, FactQuery)`; keys asking for the same page shape share one query.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from functools import cached_property
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.dataloader import DataLoader

from cdp import models
from cdp.activation.actions import custom_traits
from cdp.services import profile_facts as facts
from cdp.services import profiles as profile_service
from cdp.services.paging import Page
from cdp.services.profile_facts import FactQuery
from cdp.value import queries as value_queries

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


class Loaders:
    """The DataLoaders of one request (their caches must not outlive it).

    Each is made on first use: most requests touch one or two, and a DataLoader costs its
    construction whether it loads anything or not.
    """

    def __init__(self, sessions: Sessions) -> None:
        self.sessions = sessions

    @classmethod
    def create(cls, sessions: Sessions) -> Loaders:
        return cls(sessions)

    @cached_property
    def profile(self) -> DataLoader[str, profile_service.ResolvedProfile | None]:
        return _keyed(self.sessions, profile_service.resolve_profiles)

    @cached_property
    def channels(self) -> DataLoader[str, list[str] | None]:
        return _keyed(self.sessions, facts.channels_by_profile)

    @cached_property
    def identifiers(self) -> DataLoader[str, list[facts.IdentifierSummary] | None]:
        return _keyed(self.sessions, facts.identifiers_by_profile)

    @cached_property
    def consents(self) -> DataLoader[str, list[models.Consent] | None]:
        return _keyed(self.sessions, facts.consents_by_profile)

    @cached_property
    def traits(self) -> DataLoader[str, models.ProfileTraits | None]:
        return _keyed(self.sessions, value_queries.traits_by_profile)

    @cached_property
    def custom_traits(self) -> DataLoader[str, dict[str, Any] | None]:
        async def fetch(session: AsyncSession, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
            return await session.run_sync(lambda sync: custom_traits(sync, list(set(ids))))

        return _keyed(self.sessions, fetch)

    @cached_property
    def merge_history(self) -> DataLoader[str, list[models.MergeLog] | None]:
        return _keyed(self.sessions, facts.merge_history_by_profile)

    @cached_property
    def order_items(self) -> DataLoader[int, list[models.OrderItem] | None]:
        return _keyed(self.sessions, facts.items_by_order)

    @cached_property
    def source(self) -> DataLoader[int, models.Source | None]:
        return _keyed(self.sessions, facts.sources_by_id)

    @cached_property
    def events(self) -> DataLoader[tuple[Any, FactQuery], Page[models.Event]]:
        return _paged(self.sessions, facts.events_by_profile)

    @cached_property
    def orders(self) -> DataLoader[tuple[Any, FactQuery], Page[models.Order]]:
        return _paged(self.sessions, facts.orders_by_profile)

    @cached_property
    def interactions(self) -> DataLoader[tuple[Any, FactQuery], Page[models.Interaction]]:
        return _paged(self.sessions, facts.interactions_by_profile)

    @cached_property
    def records(self) -> DataLoader[tuple[Any, FactQuery], Page[models.SourceRecord]]:
        return _paged(self.sessions, facts.records_by_profile)
