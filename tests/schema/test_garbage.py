"""A GraphQL request leaves nothing for the cyclic garbage collector.

graphql-core's executor referred to itself (through the helpers it hands resolvers), so each
request's executor, context, loaders and collected fields waited for the collector, whose
passes then paused every request in flight (`schema._schema.Executor`).
"""

from __future__ import annotations

import gc
import json
from collections import Counter
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from cdp.app import create_app
from cdp.config import Settings
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

QUERIES = [
    """query($v: String!) { profileByIdentifier(kind: EMAIL, value: $v) {
      id givenName email lastSeenAt } }""",
    """query($id: ID!) { profile(id: $id) { id channels identifiers { value }
      events(first: 2) { nodes { type } } orders { nodes { items { name } } }
      sourceRecords { nodes { source } } } }""",
    "{ profiles(first: 5) { edges { node { id identifiers { kind } } } } }",
]


async def _post(app: Any, body: dict[str, Any]) -> dict[str, Any]:
    payload = json.dumps(body).encode()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"test"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(payload)).encode()),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 2),
    }
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": payload, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    await app(scope, receive, send)
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    result: dict[str, Any] = json.loads(body)
    return result


async def test_requests_leave_no_graphql_objects_to_the_cyclic_collector(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(session_factory) as session:
        source = make_source(session)
        profile = make_profile(session)
        record = make_record(session, source=source, profile=profile)
        make_identifier(session, record=record, kind="email", value="g@example.com")
        make_event(session, record=record)
        make_order_item(session, order=make_order(session, record=record))
        profile_id = profile.id
    app = create_app(settings.replace(open_mode=True))
    bodies = [{"query": q, "variables": {"v": "g@example.com", "id": profile_id}} for q in QUERIES]

    async with app.router.lifespan_context(app):
        for body in bodies:  # caches, pools and loaders warm
            assert "errors" not in await _post(app, body)
        gc.collect()
        gc.disable()
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            for _ in range(5):
                for body in bodies:
                    result = await _post(app, body)
                    assert "errors" not in result, result
            gc.collect()
            garbage = Counter(
                f"{type(o).__module__}.{type(o).__qualname__}"
                for o in gc.garbage
                if type(o).__module__.split(".")[0] in ("graphql", "strawberry", "schema", "cdp")
            )
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
            gc.enable()

    assert garbage == Counter()
