from __future__ import annotations

import asyncio

import httpx
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

QUERY = """query($id: ID!) { profile(id: $id) {
  id channels identifiers { value }
  events(first: 2) { nodes { type } } orders { nodes { items { name } } }
  sourceRecords { nodes { source } } consents { purpose } mergeHistory { action }
} }"""


async def test_concurrent_requests_each_get_their_own_answer(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(session_factory) as session:
        source = make_source(session)
        ids = []
        for n in range(12):
            profile = make_profile(session)
            record = make_record(session, source=source, profile=profile)
            make_identifier(session, record=record, kind="email", value=f"c{n}@example.com")
            make_event(session, record=record)
            make_order_item(session, order=make_order(session, record=record))
            ids.append(profile.id)
    app = create_app(settings.replace(open_mode=True))

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            responses = await asyncio.gather(
                *(
                    client.post("/graphql", json={"query": QUERY, "variables": {"id": i}})
                    for i in ids * 3
                )
            )

    bodies = [response.json() for response in responses]
    assert all("errors" not in body for body in bodies), bodies
    for profile_id, body in zip(ids * 3, bodies, strict=True):
        profile = body["data"]["profile"]
        assert profile["id"] == profile_id
        assert len(profile["identifiers"]) == 1
        assert profile["orders"]["nodes"][0]["items"] == [{"name": "Mug"}]
