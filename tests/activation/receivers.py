"""Real HTTP receivers on 127.0.0.1 for the activation tests and benchmark: a webhook receiver
that verifies signatures and dedupes by webhook-id, and a fake Mailchimp Marketing API that
checks what the real one checks (tests/activation/fake_mailchimp.py)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cdp.activation.signing import SignatureError, verify


@contextmanager
def serve(app: Any, *, lifespan: str = "off") -> Iterator[str]:
    """Run `app` with uvicorn in a thread on a free port; yields its base URL (`lifespan="on"`
    for the platform's own app: its startup starts the resolver and the worker)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan=lifespan, access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the receiver did not start within 30 s")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


@dataclass
class WebhookReceiver:
    """Verifies each request's signature, answers `script` statuses first (then 200), and
    keeps the first copy of each webhook-id; `duplicates` counts the rest."""

    secret: str
    script: list[int] = field(default_factory=list)
    received: dict[str, dict[str, Any]] = field(default_factory=dict)
    arrival: dict[str, float] = field(default_factory=dict)
    duplicates: int = 0
    refused: list[str] = field(default_factory=list)
    requests: int = 0
    headers: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: seconds each request waits before it is answered (a slow tool)
    delay: float = 0.0

    async def endpoint(self, request: Request) -> Response:
        body = await request.body()
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            self.requests += 1
            self.headers.append(dict(request.headers))
            if self.script:
                return Response(status_code=self.script.pop(0), headers={"Retry-After": "0"})
            try:
                message_id = verify(self.secret, request.headers, body)
            except SignatureError as exc:
                self.refused.append(str(exc))
                return JSONResponse({"error": str(exc)}, status_code=401)
            if message_id in self.received:
                self.duplicates += 1
            else:
                self.received[message_id] = orjson.loads(body)
                self.arrival[message_id] = time.time()
        return Response(status_code=204)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/hook", self.endpoint, methods=["POST"])])

    def wait_for(self, count: int, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"received {len(self.received)} of {count} in {timeout}s")
            time.sleep(0.02)
