from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient
from uvicorn import Config

from cdp.app import create_app
from cdp.config import Settings
from cdp.db import unit_of_work
from cdp.web.workers import _bind
from tests.cdp.test_db import make_record, make_source


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


def test_healthz_reports_database_when_reachable(client: TestClient, backend: str) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"backend": backend, "status": "ok", "database": "ok"}


def test_healthz_is_503_when_database_unreachable() -> None:
    settings = Settings(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none")
    with TestClient(create_app(settings)) as client:
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"
    assert "nobody" not in response.text


def test_graphql_counts_stored_rows_when_queried(client: TestClient, session_factory) -> None:  # type: ignore[no-untyped-def]
    with unit_of_work(session_factory) as session:
        source = make_source(session)
        make_record(session, source=source, external_id="a")
        make_record(session, source=source, external_id="b")

    response = client.post(
        "/graphql", json={"query": "{ stats { sources sourceRecords profiles } }"}
    )

    assert response.status_code == 200
    assert response.json() == {"data": {"stats": {"sources": 1, "sourceRecords": 2, "profiles": 0}}}


def test_graphiql_page_is_served_when_browser_asks(client: TestClient) -> None:
    response = client.get("/graphql", headers={"Accept": "text/html"})

    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("workers", ["1", "2"], ids=["one-process", "two-workers"])
def test_cdp_serve_answers_graphql_and_healthz_when_started(
    db_url: str, tmp_path: Path, workers: str
) -> None:
    port = _free_port()
    env = {"CDP_DATABASE_URL": db_url, "PATH": "/usr/bin:/bin", "CDP_LOG_LEVEL": "WARNING"}
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "cdp", "serve", "--port", str(port), "--workers", workers],
        env=env,
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120  # two workers start slowly on a busy machine
        while True:
            try:
                health = httpx.get(f"{base}/healthz", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        answer = httpx.post(f"{base}/graphql", json={"query": "{ stats { profiles } }"}, timeout=5)
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()

    assert health.json()["status"] == "ok"
    assert answer.json() == {"data": {"stats": {"profiles": 0}}}


@pytest.mark.skipif(not hasattr(socket, "SO_REUSEPORT"), reason="needs SO_REUSEPORT")
def test_each_worker_gets_its_own_socket_on_the_same_port() -> None:
    # `cdp serve --workers N` hands every worker a socket of its own, so the kernel spreads
    # new connections over the workers instead of the first awake taking them all.
    config = Config("cdp.app:create_app_from_environment", factory=True, port=0)
    first = _bind(config)
    second = _bind(config)
    try:
        first.listen()
        second.listen()
        assert first.fileno() != second.fileno()
        assert first.getsockname() == second.getsockname() == ("127.0.0.1", config.port)
        for sock in (first, second):
            assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 1
    finally:
        first.close()
        second.close()
