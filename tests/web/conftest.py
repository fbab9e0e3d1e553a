"""A live server of the whole app on a free 127.0.0.1 port, and tools the web tests need.

`live_server` runs uvicorn (with the protocol `cdp serve` uses) in a thread on a socket bound
before start (no port race) and stops it after the test. Clients authenticate with an admin
key made in the test's database, so the tests hold whether or not the schema requires a key.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import uvicorn
from sqlalchemy.orm import Session, sessionmaker

from cdp.app import create_app
from cdp.config import Settings
from cdp.db import unit_of_work
from cdp.services.keys import create_key
from cdp.web.protocol import HttpToolsProtocol


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    api_key: str

    @property
    def graphql_url(self) -> str:
        return f"{self.base_url}/graphql"

    @property
    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


def require_tool(name: str, path: str | None, hint: str) -> str:
    """The tool's path; skip the test without it, except under CI, where that fails it."""
    if path is not None:
        return path
    message = f"{name} is not installed ({hint})"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI is set, so a missing {name} is a failure")
    pytest.skip(message)


def require_executable(name: str, hint: str) -> str:
    return require_tool(name, shutil.which(name), hint)


@pytest.fixture
def admin_key(session_factory: sessionmaker[Session]) -> str:
    with unit_of_work(session_factory) as session:
        return create_key(session, role="admin", name="web tests").key


@pytest.fixture
def live_server(settings: Settings, admin_key: str) -> Iterator[LiveServer]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(settings),
        http=HttpToolsProtocol,
        log_level="warning",
        lifespan="on",
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the live server did not start within 30 s")
        time.sleep(0.02)
    try:
        yield LiveServer(base_url=f"http://127.0.0.1:{port}", api_key=admin_key)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
