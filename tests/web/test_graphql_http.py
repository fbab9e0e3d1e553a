"""The HTTP behaviour `cdp.web.graphql` adds to strawberry's view, through the ASGI app."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
import strawberry
from graphql import GraphQLError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient
from starlette.websockets import WebSocket
from strawberry.types import ExecutionResult

from cdp.app import create_app
from cdp.config import Settings
from cdp.services.keys import InvalidKeyError
from cdp.web.graphql import (
    GRAPHQL_RESPONSE_JSON,
    JSON,
    GraphQLApp,
    _never_executed,
    negotiate_media_type,
)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, JSON),
        ("", JSON),
        ("*/*", JSON),
        ("application/*", JSON),
        ("application/json", JSON),
        (GRAPHQL_RESPONSE_JSON, GRAPHQL_RESPONSE_JSON),
        (f"{GRAPHQL_RESPONSE_JSON}, {JSON}", GRAPHQL_RESPONSE_JSON),
        (f"{JSON}, {GRAPHQL_RESPONSE_JSON}", JSON),
        (f"{JSON};q=0.5, {GRAPHQL_RESPONSE_JSON}", GRAPHQL_RESPONSE_JSON),
        (f"{GRAPHQL_RESPONSE_JSON};q=0, {JSON}", JSON),
        (f"{GRAPHQL_RESPONSE_JSON};charset=latin1, {JSON}", JSON),
        ("text/plain", None),
        ("application/xml, text/plain;q=0.5", None),
    ],
    ids=[
        "absent",
        "empty",
        "any",
        "any-application",
        "json",
        "graphql-response",
        "graphql-response-first",
        "json-first",
        "quality-wins",
        "refused-by-q0",
        "wrong-charset-skipped",
        "text-only",
        "nothing-supported",
    ],
)
def test_negotiate_media_type_picks_highest_priority_when_accept_given(
    accept: str | None, expected: str | None
) -> None:
    assert negotiate_media_type(accept) == expected


@strawberry.type
class _Query:
    @strawberry.field
    def echo(self, id: strawberry.ID) -> str:
        return str(id)

    @strawberry.field
    def broken(self) -> str:
        raise ValueError("boom")

    @strawberry.field
    async def slow(self) -> str:
        await asyncio.sleep(10)
        return "late"


class _TimedSchema(strawberry.Schema):
    """Stops execution after a deadline with a path-less error and no data, as a limit would."""

    async def execute(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        try:
            async with asyncio.timeout(0.05):
                return await super().execute(*args, **kwargs)
        except TimeoutError:
            return ExecutionResult(data=None, errors=[GraphQLError("stopped: over time")])


_SCHEMA = _TimedSchema(query=_Query)


@pytest.mark.parametrize(
    ("query", "variables", "expected"),
    [
        ("{ echo(", None, True),
        ("{ nope }", None, True),
        ("query Q($id: ID!) { echo(id: $id) }", {"id": {"not": "an id"}}, True),
        ("query Q($id: ID!) { echo(id: $id) }", {}, True),
        ("{ broken }", None, False),
        ('{ echo(id: "1") }', None, False),
        ("{ slow }", None, False),
    ],
    ids=[
        "parse-error",
        "validation-error",
        "variable-coercion",
        "missing-variable",
        "field-error-nulls-data",
        "ok",
        "stopped-during-execution",
    ],
)
async def test_never_executed_tells_request_errors_from_field_errors(
    query: str, variables: dict[str, object] | None, expected: bool
) -> None:
    result = await _SCHEMA.execute(query, variable_values=variables)

    assert _never_executed(result) is expected


def test_response_is_graphql_response_json_when_client_prefers_it(client: TestClient) -> None:
    response = client.post(
        "/graphql",
        json={"query": "{ stats { profiles } }"},
        headers={"Accept": GRAPHQL_RESPONSE_JSON},
    )

    assert response.status_code == 200
    assert response.headers["content-type"] == f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8"
    assert response.json() == {"data": {"stats": {"profiles": 0}}}


def test_unparsable_document_is_400_without_data_when_graphql_response_json(
    client: TestClient,
) -> None:
    response = client.post(
        "/graphql", json={"query": "{ stats {"}, headers={"Accept": GRAPHQL_RESPONSE_JSON}
    )

    assert response.status_code == 400
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["message"].startswith("Syntax Error")


def test_invalid_document_is_200_without_data_when_plain_json(client: TestClient) -> None:
    response = client.post("/graphql", json={"query": "{ nope }"})

    assert response.status_code == 200
    assert response.headers["content-type"] == f"{JSON}; charset=utf-8"
    body = response.json()
    assert "data" not in body
    assert "nope" in body["errors"][0]["message"]


@pytest.mark.parametrize(
    ("content", "content_type", "message"),
    [
        (b"{not json", "application/json", "Unable to parse request body as JSON"),
        (b'{"variables": {}}', "application/json", "No GraphQL query found in the request"),
        (b'{"query": 1}', "application/json", "`query` must be a string"),
        (b'{"query": "{ stats { profiles } }", "variables": []}', JSON, "`variables` must be"),
        (b"{ stats { profiles } }", "text/plain", "Unsupported content type"),
        (b'{"query": "\xff"}', JSON, "not UTF-8"),
        (b'"{ stats { profiles } }"', JSON, "must be a JSON object"),
        (b"null", JSON, "must be a JSON object"),
        (b"5", JSON, "must be a JSON object"),
        (b"", JSON, "must be a JSON object"),
    ],
    ids=[
        "bad-json",
        "missing-query",
        "query-not-string",
        "variables-not-map",
        "content-type",
        "not-utf8",
        "string-body",
        "null-body",
        "number-body",
        "empty-body",
    ],
)
def test_bad_request_is_400_graphql_error_naming_the_problem_when_sent(
    client: TestClient, content: bytes, content_type: str, message: str
) -> None:
    response = client.post(
        "/graphql",
        content=content,
        headers={"Content-Type": content_type, "Accept": GRAPHQL_RESPONSE_JSON},
    )

    assert response.status_code == 400
    assert response.headers["content-type"] == f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8"
    assert message in response.json()["errors"][0]["message"]


def test_request_is_406_naming_supported_types_when_nothing_acceptable(
    client: TestClient,
) -> None:
    response = client.post(
        "/graphql", json={"query": "{ stats { profiles } }"}, headers={"Accept": "text/csv"}
    )

    assert response.status_code == 406
    assert GRAPHQL_RESPONSE_JSON in response.json()["errors"][0]["message"]
    assert "'text/csv'" in response.json()["errors"][0]["message"]


def test_get_query_is_executed_when_sent_as_url_parameters(client: TestClient) -> None:
    response = client.get(
        "/graphql",
        params={"query": "{ stats { sources } }"},
        headers={"Accept": GRAPHQL_RESPONSE_JSON},
    )

    assert response.status_code == 200
    assert response.json() == {"data": {"stats": {"sources": 0}}}


def test_mutation_over_get_is_405_naming_post_when_sent(client: TestClient) -> None:
    response = client.get(
        "/graphql",
        params={"query": "mutation { anything }"},
        headers={"Accept": GRAPHQL_RESPONSE_JSON},
    )

    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert "send it with POST" in response.json()["errors"][0]["message"]


class _KeyRefusingApp(GraphQLApp):
    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Any:
        raise InvalidKeyError("unknown key")


def test_bad_key_is_401_with_reason_when_context_refuses_it() -> None:
    view = _KeyRefusingApp(_SCHEMA)
    app = Starlette(routes=[Route("/graphql", view, methods=["GET", "POST"])])

    with TestClient(app) as client:
        response = client.post(
            "/graphql",
            json={"query": '{ echo(id: "1") }'},
            headers={"Authorization": "Bearer cdp_nope_nope", "Accept": GRAPHQL_RESPONSE_JSON},
        )

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json() == {"errors": [{"message": "unknown key"}]}
