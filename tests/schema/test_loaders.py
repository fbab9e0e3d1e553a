from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from cdp.db import unit_of_work
from tests.schema.factories import (
    make_event,
    make_identifier,
    make_order,
    make_order_item,
    make_profile,
    make_record,
    make_source,
)

PAGE = """query($first: Int!) { profiles(first: $first, orderBy: ID_ASC) { nodes {
  id channels
  identifiers { kind value source firstSeenAt }
  sourceRecords(first: 3) { nodes { externalId source channel } }
  orders(first: 3) { nodes { total { amount } items { name } } }
  events(first: 3) { nodes { type } pageInfo { hasNextPage } }
} } }"""


def _world(session_factory: sessionmaker[Session], profiles: int) -> None:
    with unit_of_work(session_factory) as session:
        web, store = make_source(session, channel="web"), make_source(session, channel="store")
        for n in range(profiles):
            profile = make_profile(session, email=f"p{n}@example.com")
            signup = make_record(session, source=web, profile=profile)
            make_identifier(session, record=signup, kind="email", value=f"p{n}@example.com")
            till = make_record(session, source=store, profile=profile, kind="order")
            make_order_item(session, order=make_order(session, record=till))
            for _ in range(4):
                event_record = make_record(session, source=web, profile=profile, kind="event")
                make_event(session, record=event_record)


def _count_statements(client: TestClient, headers: dict[str, str], first: int) -> tuple[int, Any]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    state = client.app.state  # type: ignore[attr-defined]
    # The transactional engine and the read engine; on SQLite the read engine is the same
    # pool with options, whose statements the first engine's listeners see too.
    engines: dict[int, Any] = {}
    for engine in (state.engine.sync_engine, state.readers.kw["bind"].sync_engine):
        engines.setdefault(id(engine.pool), engine)
    for engine in engines.values():
        event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.post(
            "/graphql", json={"query": PAGE, "variables": {"first": first}}, headers=headers
        )
    finally:
        for engine in engines.values():
            event.remove(engine, "before_cursor_execute", count)
    return len(statements), response.json()


def test_statement_count_does_not_grow_with_page_size_when_relations_are_nested(
    app_client: TestClient, keys: dict[str, str], session_factory: sessionmaker[Session]
) -> None:
    _world(session_factory, 50)
    headers = {"Authorization": f"Bearer {keys['admin']}"}

    small, small_body = _count_statements(app_client, headers, 5)
    large, large_body = _count_statements(app_client, headers, 50)

    assert "errors" not in large_body, large_body
    nodes = large_body["data"]["profiles"]["nodes"]
    assert len(nodes) == 50
    assert all(len(node["events"]["nodes"]) == 3 for node in nodes)
    assert all(node["events"]["pageInfo"]["hasNextPage"] for node in nodes)
    assert all(node["orders"]["nodes"][0]["items"] == [{"name": "Mug"}] for node in nodes)
    assert all(node["channels"] == ["STORE", "WEB"] for node in nodes)
    assert len(small_body["data"]["profiles"]["nodes"]) == 5
    # key check (the first request only: then the key is cached), page, channels,
    # identifiers, records, sources, orders, items, events
    assert (small, large) == (9, 8)
