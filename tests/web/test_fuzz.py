"""A property-based fuzz of the GraphQL schema (schemathesis) against a live server.

schemathesis introspects the served schema and generates valid queries and mutations for
every root field, with arbitrary arguments; whatever it sends, the server must answer without
a server error (5xx) and with a GraphQL response body that leaks no internals. The number of
examples per root field is bounded so the suite stays quick.
"""

from __future__ import annotations

import re
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from sqlalchemy.orm import Session, sessionmaker

from cdp.db import unit_of_work
from tests.cdp.test_db import make_record, make_source
from tests.web.conftest import LiveServer

MAX_EXAMPLES = 25
# What a leaked internal error would look like in a response body.
LEAKS = re.compile(r"Traceback|File \"|sqlalchemy|psycopg|sqlite3|postgresql://|SELECT ", re.I)


def _check(case: Any, server: LiveServer) -> None:
    response = case.call(headers=server.auth_headers, timeout=30)

    assert response.status_code < 500, f"{response.status_code} for {case.body}: {response.text}"
    body = response.json()
    assert "data" in body or "errors" in body, response.text
    assert not LEAKS.search(response.text), f"{case.body} leaked internals: {response.text}"


def test_fuzzed_operations_never_cause_server_error(
    live_server: LiveServer, session_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(session_factory) as session:
        source = make_source(session)
        make_record(session, source=source, external_id="fuzz-1")
    schema = schemathesis.graphql.from_url(
        live_server.graphql_url, headers=live_server.auth_headers, timeout=30
    )
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, "introspection found no root field to fuzz"

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case: Any) -> None:
            _check(case, live_server)

        fuzz()
