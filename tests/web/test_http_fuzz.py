"""A property-based fuzz of the HTTP layer: whatever arrives at /graphql, never a 5xx.

Where schemathesis (test_fuzz.py) sends valid GraphQL, this sends what a broken or hostile
client might: any JSON value as the body, parameters of the wrong types, garbage documents,
undecodable bytes, odd `Accept` headers, GET with arbitrary parameters. Every answer must be a
client error or a result, with a GraphQL JSON body in the negotiated media type.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from cdp.app import create_app
from cdp.config import Settings
from cdp.web.graphql import negotiate_media_type

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=10,
)
DOCUMENTS = st.text(max_size=60) | st.sampled_from(
    [
        "{ stats { profiles } }",
        "{ __typename }",
        "query Q($id: ID!) { __typename }",
        "query Q($n: Int = 1) { __typename }",
        "mutation { anything }",
        "subscription { anything }",
        "{ __schema { queryType { name } } }",
        "{ stats { ...F } } fragment F on Stats { sources }",
        "query A { __typename } query B { __typename }",
    ]
)
OPERATIONS = st.fixed_dictionaries(
    {"query": DOCUMENTS | JSON_VALUES},
    optional={
        "variables": JSON_VALUES,
        "operationName": st.text(max_size=10) | JSON_VALUES,
        "extensions": JSON_VALUES,
    },
)
ACCEPTS = st.sampled_from(
    [
        None,
        "*/*",
        "application/json",
        "application/graphql-response+json",
        "application/graphql-response+json;q=0.5, application/json",
        "application/json;charset=latin1",
        "text/csv",
        "text/html",
        "multipart/mixed",
        "text/event-stream",
    ]
)
REQUESTS = st.one_of(
    st.tuples(st.just("POST"), OPERATIONS, ACCEPTS),
    st.tuples(st.just("POST"), JSON_VALUES, ACCEPTS),
    st.tuples(st.just("POST"), st.binary(max_size=40), ACCEPTS),
    st.tuples(
        st.just("GET"),
        st.dictionaries(
            st.sampled_from(["query", "variables", "operationName", "extensions"]),
            st.text(max_size=40),
        ),
        ACCEPTS,
    ),
)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


def _send(client: TestClient, method: str, payload: Any, accept: str | None) -> Any:
    headers = {} if accept is None else {"Accept": accept}
    if method == "GET":
        return client.get("/graphql", params=payload, headers=headers)
    if isinstance(payload, bytes):
        headers["Content-Type"] = "application/json"
        return client.post("/graphql", content=payload, headers=headers)
    return client.post("/graphql", json=payload, headers=headers)


@given(request=REQUESTS)
@settings(
    max_examples=150,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_any_request_gets_client_error_or_result_never_server_error(
    client: TestClient, request: tuple[str, Any, str | None]
) -> None:
    method, payload, accept = request

    response = _send(client, method, payload, accept)

    assert response.status_code < 500, (request, response.status_code, response.text)
    if response.headers["content-type"].startswith("text/html"):
        assert method == "GET"  # GraphiQL, for a browser that asked for no query
        assert "query" not in payload
        return
    body = response.json()
    assert isinstance(body, dict), response.text
    assert "data" in body or "errors" in body, response.text
    expected = negotiate_media_type(accept) or "application/json"
    if expected.startswith("application/"):
        assert response.headers["content-type"] == f"{expected}; charset=utf-8"
