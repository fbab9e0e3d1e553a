"""GraphQL subscriptions with a real WebSocket client (graphql-transport-ws) against a real
uvicorn server, on both databases; and across `cdp serve --workers 2` on PostgreSQL."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from cdp import models, refresh
from cdp.app import create_app
from cdp.config import Settings
from cdp.db import unit_of_work
from cdp.segments import SegmentSpec, create_segment
from cdp.services.keys import create_key
from tests.activation.conftest import make_profile

PROTOCOL = "graphql-transport-ws"
PROFILE = "subscription($id: ID!) { profileChanges(id: $id) { kind segment profile { id email } } }"
SEGMENT = (
    "subscription($s: String!) { segmentMembership(segment: $s) { segment profileId entered } }"
)


@pytest.fixture
def server(settings: Settings) -> Iterator[tuple[str, Starlette]]:
    app = create_app(settings.replace(embedded_worker=False))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "the server did not start"
        time.sleep(0.02)
    try:
        yield f"ws://127.0.0.1:{sock.getsockname()[1]}/graphql", app
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


@pytest.fixture
def key(session_factory: sessionmaker[Session]) -> str:
    with unit_of_work(session_factory) as session:
        make_profile(session, "p1")
        return create_key(session, role="app", name="live").key


@contextmanager
def _open(url: str, key: str) -> Iterator[ClientConnection]:
    with connect(url, subprotocols=[PROTOCOL], open_timeout=10) as ws:  # type: ignore[list-item]
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {key}"}}
        ws.send(json.dumps(init))
        ack = ws.recv(timeout=10)
        assert isinstance(ack, str), ack  # a text frame: browsers' clients drop binary ones
        assert json.loads(ack)["type"] == "connection_ack"
        yield ws


def _subscribe(ws: ClientConnection, query: str, variables: dict[str, Any]) -> None:
    payload = {"query": query, "variables": variables}
    ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))


def _next(ws: ClientConnection) -> dict[str, Any]:
    frame = ws.recv(timeout=15)
    assert isinstance(frame, str), frame
    message = json.loads(frame)
    assert message["type"] == "next", message
    return dict(message["payload"])


def _wait_subscribed(app: Starlette, count: int = 1) -> None:
    deadline = time.monotonic() + 15
    hub = app.state.live_hub
    while hub.subscriber_count < count or (
        app.state.engine.dialect.name == "postgresql" and not hub.listening.is_set()
    ):
        assert time.monotonic() < deadline, "the subscription never registered"
        time.sleep(0.02)


def test_a_profile_change_is_pushed_to_its_subscriber_when_the_refresh_commits(
    server: tuple[str, Starlette], key: str, session_factory: sessionmaker[Session]
) -> None:
    url, app = server
    with _open(url, key) as ws:
        _subscribe(ws, PROFILE, {"id": "p1"})
        _wait_subscribed(app)
        with unit_of_work(session_factory) as session:
            refresh.refresh_profiles(session, ["p2-unwatched"])
            refresh.refresh_profiles(session, ["p1"])
        got = _next(ws)

    assert got == {
        "data": {
            "profileChanges": {
                "kind": "UPDATED",
                "segment": None,
                "profile": {"id": "p1", "email": "ada@example.com"},
            }
        }
    }


def test_segment_entries_are_pushed_when_a_profile_enters(
    server: tuple[str, Starlette], key: str, session_factory: sessionmaker[Session]
) -> None:
    url, app = server
    definition = {"conditions": [{"event": {"name": "Signed Up"}}]}
    with unit_of_work(session_factory) as session:
        create_segment(session, SegmentSpec(name="members", definition=definition), actor="t")
    with _open(url, key) as ws:
        _subscribe(ws, SEGMENT, {"s": "members"})
        _wait_subscribed(app)
        with unit_of_work(session_factory) as session:
            session.add(
                models.Event(record_id=1, source_id=1, profile_id="p1", channel="web",
                             type="track", name="Signed Up", occurred_at=datetime.now(UTC))
            )  # fmt: skip
            refresh.refresh_profiles(session, ["p1"])
        got = _next(ws)

    assert got["data"]["segmentMembership"] == {
        "segment": "members", "profileId": "p1", "entered": True,
    }  # fmt: skip


def test_nothing_is_pushed_when_the_change_rolls_back(
    server: tuple[str, Starlette], key: str, session_factory: sessionmaker[Session]
) -> None:
    url, app = server
    with _open(url, key) as ws:
        _subscribe(ws, PROFILE, {"id": "p1"})
        _wait_subscribed(app)
        with pytest.raises(RuntimeError), unit_of_work(session_factory) as session:
            refresh.refresh_profiles(session, ["p1"])
            raise RuntimeError("rolled back")
        with pytest.raises(TimeoutError):
            ws.recv(timeout=1.0)


@pytest.mark.parametrize(
    "payload", [{}, {"Authorization": "Bearer cdp_bad_key"}], ids=["none", "bad"]
)
def test_a_websocket_without_a_valid_key_is_closed_when_it_initialises(
    server: tuple[str, Starlette], payload: dict[str, str]
) -> None:
    url, _ = server
    with connect(url, subprotocols=[PROTOCOL]) as ws:  # type: ignore[list-item]
        ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)

    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4403


@pytest.mark.postgresql
def test_every_server_process_pushes_the_change_when_serving_with_workers(
    backend: str, db_url: str, key: str, session_factory: sessionmaker[Session]
) -> None:
    if backend != "postgresql":
        pytest.skip("several server processes share the database only on PostgreSQL")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    env = {**os.environ, "CDP_DATABASE_URL": db_url, "CDP_LOG_LEVEL": "WARNING"}
    process = subprocess.Popen(
        [sys.executable, "-m", "cdp", "serve", "--port", str(port), "--workers", "2"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_until_up(port)
        with ExitStack() as stack:
            url = f"ws://127.0.0.1:{port}/graphql"
            connections = [stack.enter_context(_open(url, key)) for _ in range(6)]
            for ws in connections:
                _subscribe(ws, PROFILE, {"id": "p1"})
            time.sleep(2.0)  # each process subscribes (a query) and LISTENs before the change
            with unit_of_work(session_factory) as session:
                refresh.refresh_profiles(session, ["p1"])
            kinds = [_next(ws)["data"]["profileChanges"]["kind"] for ws in connections]
    finally:
        process.terminate()
        process.wait(timeout=30)

    assert kinds == ["UPDATED"] * 6


def _wait_until_up(port: int) -> None:
    deadline = time.monotonic() + 120  # workers start slowly on a busy machine
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return
        except httpx.TransportError:
            assert time.monotonic() < deadline, "cdp serve --workers 2 did not start"
            time.sleep(0.2)
