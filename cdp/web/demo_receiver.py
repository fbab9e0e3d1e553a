"""The demo's webhook receiver: what a marketing tool on the other end of a webhook
destination does. It checks each delivery's signature (`cdp.activation.signing.verify`),
drops a second copy of the same webhook-id, logs one line per delivery and lists the latest
at `GET /` (http://127.0.0.1:8001/ by default, beside the demo's server)."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections import deque
from typing import Any

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cdp.activation.signing import SignatureError, verify

__all__ = ["DemoReceiver"]

log = logging.getLogger("cdp.demo.receiver")


class DemoReceiver:
    def __init__(self, secret: str, *, keep: int = 200) -> None:
        self.secret = secret
        self.latest: deque[dict[str, Any]] = deque(maxlen=keep)
        self.seen: set[str] = set()
        self.lock = threading.Lock()
        self.server: uvicorn.Server | None = None

    async def receive(self, request: Request) -> Response:
        body = await request.body()
        try:
            message_id = verify(self.secret, request.headers, body)
        except SignatureError as exc:
            return JSONResponse({"error": str(exc)}, status_code=401)
        delivery = orjson.loads(body)
        with self.lock:
            if message_id in self.seen:
                return Response(status_code=204)
            self.seen.add(message_id)
            self.latest.appendleft(delivery)
        data, profile = delivery.get("data", {}), delivery.get("profile") or {}
        what = data.get("message") or data.get("segment") or data.get("event", {}).get("name")
        log.info("webhook %s %s for %s", delivery.get("type"), what, profile.get("email"))
        return Response(status_code=204)

    async def listing(self, request: Request) -> Response:
        with self.lock:
            return JSONResponse(list(self.latest))

    def start(self, host: str, port: int) -> str:
        """Serve in a daemon thread; returns the webhook URL."""
        app = Starlette(
            routes=[
                Route("/webhook", self.receive, methods=["POST"]),
                Route("/", self.listing, methods=["GET"]),
            ]
        )
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
        self.server = uvicorn.Server(config)
        thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [sock]}, daemon=True, name="demo-receiver"
        )
        thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        return f"http://{host}:{port}/webhook"
