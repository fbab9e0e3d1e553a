"""Relay-style connections (edges with cursors, pageInfo) and the page-size rules."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Generic, TypeVar

import strawberry

from cdp.errors import InvalidInputError
from cdp.services.paging import Page
from cdp.services.profile_facts import FactQuery
from schema._context import Context

T = TypeVar("T")
R = TypeVar("R")


@strawberry.type(description="Where a page sits in its list, for asking for the next one.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow this page.")
    has_previous_page: bool = strawberry.field(
        description="Items precede this page (true when it was asked for with `after`)."
    )
    start_cursor: str | None = strawberry.field(description="The cursor of the first item.")
    end_cursor: str | None = strawberry.field(
        description="The cursor of the last item; pass it as `after` for the next page."
    )


@strawberry.type(description="An item of a page with its cursor.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(description="Opaque position of this item in its list.")
    node: T = strawberry.field(description="The item.")


@strawberry.type(description="One page of a list, newest first, with cursors to page on.")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The items with their cursors.")
    nodes: list[T] = strawberry.field(description="The items alone, when cursors are not needed.")
    page_info: PageInfo = strawberry.field(description="How to get the next page.")


def to_connection(page: Page[R], convert: Callable[[R], T], *, after: str | None) -> Connection[T]:
    nodes = [convert(item) for item in page.items]
    return Connection(
        edges=[Edge(cursor=c, node=n) for c, n in zip(page.cursors, nodes, strict=True)],
        nodes=nodes,
        page_info=PageInfo(
            has_next_page=page.has_next,
            has_previous_page=after is not None,
            start_cursor=page.cursors[0] if page.cursors else None,
            end_cursor=page.end_cursor,
        ),
    )


def page_size(info: strawberry.Info[Context, None], first: int | None) -> int:
    """`first`, or the default page size; refuses sizes outside 0..max page size."""
    settings = info.context.settings
    if first is None:
        return settings.graphql_default_page_size
    if not 0 <= first <= settings.graphql_max_page_size:
        raise InvalidInputError(
            "first",
            f"{first} is outside 0..{settings.graphql_max_page_size} (the maximum page size); "
            "page on with `after` instead",
        )
    return first


def aware(field: str, value: datetime | None) -> datetime | None:
    """`value` if it carries a time zone; a naive time is ambiguous, so it is refused."""
    if value is not None and value.tzinfo is None:
        raise InvalidInputError(
            field, f"{value.isoformat()!r} has no time zone; add 'Z' or an offset like '+02:00'"
        )
    return value


def fact_query(
    info: strawberry.Info[Context, None],
    *,
    first: int | None,
    after: str | None,
    since: datetime | None,
    until: datetime | None,
    types: list[str] | None = None,
    channels: list[Any] | None = None,
) -> FactQuery:
    return FactQuery(
        first=page_size(info, first),
        after=after,
        since=aware("since", since),
        until=aware("until", until),
        types=tuple(types) if types is not None else None,
        channels=tuple(str(getattr(c, "value", c)) for c in channels) if channels else None,
    )
