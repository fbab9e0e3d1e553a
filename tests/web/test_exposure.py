"""What the server gives away before or beside a key: body sizes, echoed values, logs, and
what production serves without a key."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from starlette.testclient import TestClient

from cdp.app import create_app
from cdp.config import Settings, load_settings
from cdp.db import create_async_db_engine, create_db_engine, make_sessionmaker, unit_of_work
from cdp.services.keys import create_key
from cdp.web.protocol import HttpToolsProtocol

EMAIL = "jane.doe@example.com"
PRIVACY_KEY = "k" * 40  # production refuses to start without one


@pytest.fixture
def client_factory(settings: Settings) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def make(**changes: Any) -> TestClient:
        client = TestClient(create_app(settings.replace(**changes)))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def app_client(client_factory: Callable[..., TestClient]) -> TestClient:
    return client_factory()


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings.replace(graphql_max_body_bytes=10_000))) as client:
        yield client


def test_body_over_the_limit_is_refused_with_413_when_no_key_is_sent(
    client: TestClient,
) -> None:
    body = b'{"query": "{ stats { profiles } }", "variables": {"x": "' + b"a" * 20_000 + b'"}}'

    response = client.post("/graphql", content=body, headers={"content-type": "application/json"})

    assert response.status_code == 413
    message = response.json()["errors"][0]["message"]
    assert "10,000 bytes" in message
    assert "CDP_GRAPHQL_MAX_BODY_BYTES" in message


def test_streamed_body_over_the_limit_is_refused_when_it_has_no_content_length(
    client: TestClient,
) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"query": "{ stats { profiles } }", "variables": {"x": "'
        for _ in range(100):
            yield b"a" * 1000
        yield b'"}}'

    response = client.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )

    assert response.status_code == 413


def test_body_under_the_limit_is_served_when_sent_in_chunks(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"query": "{ __typename }",'
        yield b' "variables": {}}'

    response = client.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )

    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


def test_huge_literal_is_not_echoed_whole_when_it_is_invalid(app_client: TestClient) -> None:
    huge = "x" * 100_000
    query = f'{{ profiles(first: "{huge}") {{ nodes {{ id }} }} }}'

    response = app_client.post("/graphql", json={"query": query})

    message = response.json()["errors"][0]["message"]
    assert "Int cannot represent" in message
    assert len(message) < 500
    assert "more characters not shown" in message


@pytest.fixture
def access_log(settings: Settings) -> Iterator[tuple[str, list[str]]]:
    """A real uvicorn server with its access log on; yields its URL and the logged lines."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        create_app(settings), http=HttpToolsProtocol, log_level="info", access_log=True
    )
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    handler = Collect()
    logging.getLogger("uvicorn.access").addHandler(handler)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", lines
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
        logging.getLogger("uvicorn.access").removeHandler(handler)


def test_access_log_holds_no_query_string_when_a_get_request_names_an_email(
    access_log: tuple[str, list[str]],
) -> None:
    url, lines = access_log
    query = f'{{ profileByIdentifier(kind: EMAIL, value: "{EMAIL}") {{ id }} }}'

    httpx.get(f"{url}/graphql", params={"query": query}, headers={"accept": "application/json"})

    logged = [line for line in lines if "/graphql" in line]
    assert logged, lines
    assert all(EMAIL not in line and "jane" not in line for line in logged)
    assert "GET /graphql?[query not logged]" in logged[0]


def test_database_error_names_no_parameter_when_a_statement_fails(settings: Settings) -> None:
    engine = create_db_engine(settings)
    try:
        with make_sessionmaker(engine)() as session, pytest.raises(DBAPIError) as failure:
            session.execute(text("insert into no_such_table values (:email)"), {"email": EMAIL})
    finally:
        engine.dispose()

    assert EMAIL not in str(failure.value)
    assert "hidden due to hide_parameters" in str(failure.value)


async def test_async_engine_hides_parameters_when_built_for_the_web(settings: Settings) -> None:
    engine = create_async_db_engine(settings)
    try:
        assert engine.sync_engine.hide_parameters
    finally:
        await engine.dispose()


def test_stats_needs_a_key_when_the_environment_is_prod(
    client_factory: Callable[..., TestClient],
) -> None:
    client = client_factory(environment="prod")

    body = client.post("/graphql", json={"query": "{ stats { profiles } }"}).json()

    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "CDP_ENV=prod" in body["errors"][0]["message"]


def test_stats_answers_without_a_key_when_the_environment_is_dev(app_client: TestClient) -> None:
    body = app_client.post("/graphql", json={"query": "{ stats { profiles } }"}).json()

    assert body == {"data": {"stats": {"profiles": 0}}}


def test_stats_answers_with_a_key_when_the_environment_is_prod(
    client_factory: Callable[..., TestClient], settings: Settings
) -> None:
    client = client_factory(environment="prod")
    engine = create_db_engine(settings)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            key = create_key(session, role="app", name="prod test").key
    finally:
        engine.dispose()

    body = client.post(
        "/graphql",
        json={"query": "{ stats { profiles } }"},
        headers={"Authorization": f"Bearer {key}"},
    ).json()

    assert body == {"data": {"stats": {"profiles": 0}}}


@pytest.mark.parametrize("path", ["/graphql", "/graphiql"])
def test_graphiql_is_not_served_when_prod_leaves_it_off(
    client_factory: Callable[..., TestClient], path: str
) -> None:
    settings = load_settings({"CDP_ENV": "prod", "CDP_PRIVACY_KEY": PRIVACY_KEY})
    client = client_factory(environment="prod", graphiql=settings.graphiql)

    response = client.get(path, headers={"accept": "text/html"})

    assert response.status_code == 404
    assert "CDP_GRAPHIQL=true" in response.text
    assert "graphiql.min.css" not in response.text


def test_graphiql_is_served_in_prod_when_the_setting_turns_it_on(
    client_factory: Callable[..., TestClient],
) -> None:
    settings = load_settings(
        {"CDP_ENV": "prod", "CDP_GRAPHIQL": "true", "CDP_PRIVACY_KEY": PRIVACY_KEY}
    )
    client = client_factory(environment="prod", graphiql=settings.graphiql)

    response = client.get("/graphql", headers={"accept": "text/html"})

    assert response.status_code == 200
    assert "<html" in response.text.lower()
