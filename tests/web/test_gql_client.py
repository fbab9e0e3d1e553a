"""An ordinary GraphQL client library (`gql`, over httpx) talks to a live server.

gql introspects the schema first and validates documents against it locally, so this also
checks that introspection answers in the shape real clients expect.
"""

from __future__ import annotations

import pytest
from gql import Client, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.httpx import HTTPXAsyncTransport
from graphql import GraphQLError
from sqlalchemy.orm import Session, sessionmaker

from cdp.db import unit_of_work
from tests.cdp.test_db import make_record, make_source
from tests.web.conftest import LiveServer


def _client(server: LiveServer, *, fetch_schema: bool) -> Client:
    transport = HTTPXAsyncTransport(url=server.graphql_url, headers=server.auth_headers, timeout=30)
    return Client(transport=transport, fetch_schema_from_transport=fetch_schema)


async def test_gql_client_reads_counts_when_records_stored(
    live_server: LiveServer, session_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(session_factory) as session:
        source = make_source(session)
        for n in range(3):
            make_record(session, source=source, external_id=f"r-{n}")

    async with _client(live_server, fetch_schema=True) as session:
        result = await session.execute(
            gql("query Counts { stats { sources sourceRecords profiles } }")
        )

    assert result == {"stats": {"sources": 1, "sourceRecords": 3, "profiles": 0}}


async def test_gql_client_refuses_unknown_field_locally_when_schema_fetched(
    live_server: LiveServer,
) -> None:
    async with _client(live_server, fetch_schema=True) as session:
        with pytest.raises(GraphQLError, match="Cannot query field 'nope' on type 'Stats'"):
            await session.execute(gql("{ stats { nope } }"))


async def test_gql_client_raises_server_errors_when_document_invalid(
    live_server: LiveServer,
) -> None:
    async with _client(live_server, fetch_schema=False) as session:
        with pytest.raises(TransportQueryError) as raised:
            await session.execute(gql("{ stats { nope } }"))

    assert raised.value.errors is not None
    assert "Cannot query field 'nope'" in raised.value.errors[0]["message"]
    assert raised.value.data is None
