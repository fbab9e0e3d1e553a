"""A property-based fuzz of the GraphQL schema (schemathesis) against a live server.

schemathesis introspects the served schema and generates valid queries and mutations for
every root field, with arbitrary arguments; whatever it sends, the server must answer without
a server error (5xx) and with a GraphQL response body that leaks no internals. The number of
examples per root field is bounded so the suite stays quick.
"""

from __future__ import annotations

import re
from typing import Any

import graphql
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from cdp.db import unit_of_work
from tests.cdp.test_db import make_record, make_source
from tests.web.conftest import LiveServer

MAX_EXAMPLES = 25
# What a leaked internal error would look like in a response body.
LEAKS = re.compile(r"Traceback|File \"|sqlalchemy|psycopg|sqlite3|postgresql://|SELECT ", re.I)


def _json_node(value: Any) -> graphql.ValueNode:
    """A JSON value as the GraphQL literal a client would write for the `JSON` scalar."""
    if isinstance(value, dict):
        return graphql.ObjectValueNode(
            fields=tuple(
                graphql.ObjectFieldNode(name=graphql.NameNode(value=k), value=_json_node(v))
                for k, v in value.items()
            )
        )
    if isinstance(value, list):
        return graphql.ListValueNode(values=tuple(_json_node(v) for v in value))
    if isinstance(value, bool):
        return graphql.BooleanValueNode(value=value)
    if isinstance(value, int):
        return graphql.IntValueNode(value=str(value))
    if isinstance(value, str):
        return graphql.StringValueNode(value=value)
    return graphql.NullValueNode()


# Arguments of the `JSON` scalar (segment definitions as JSON): any JSON value, nested.
_NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True)
schemathesis.graphql.scalar(
    "JSON",
    st.recursive(
        st.none() | st.booleans() | st.integers(-1000, 1000) | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_NAMES, inner, max_size=4),
        max_leaves=12,
    ).map(_json_node),
)


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
