"""Local fakes of the remote APIs the pull adapters call: they page, throttle, fail and hang.

Each fake is an `httpx.MockTransport` handler that records every request (so a test can
check what was asked) and can be told to fail its first N answers. `serve_in_thread` runs any
handler behind a real HTTP server on 127.0.0.1 for tests that need real sockets (timeouts).
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

Handler = Callable[[httpx.Request], httpx.Response]


class FakeApi:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.script: list[httpx.Response] = []  # answers to give before the real ones

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.script:
            return self.script.pop(0)
        return self.answer(request)

    def answer(self, request: httpx.Request) -> httpx.Response:
        raise NotImplementedError


def _page_info(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


class FakeShopify(FakeApi):
    """Orders sorted by updated_at, filtered by updated_at_min, paged by Link page_info."""

    def __init__(self, orders: list[dict[str, Any]], token: str = "shpat_secret") -> None:
        super().__init__()
        self.orders = orders
        self.token = token

    def answer(self, request: httpx.Request) -> httpx.Response:
        if request.headers.get("X-Shopify-Access-Token") != self.token:
            return httpx.Response(401, json={"errors": "Invalid API key or access token"})
        params = request.url.params
        if "page_info" in params:
            state = json.loads(base64.urlsafe_b64decode(params["page_info"]))
            offset, since = state["offset"], state.get("since")
        else:
            offset, since = 0, params.get("updated_at_min")
        limit = int(params.get("limit", 250))
        rows = sorted(self.orders, key=lambda o: datetime.fromisoformat(o["updated_at"]))
        if since:
            rows = [
                o
                for o in rows
                if datetime.fromisoformat(o["updated_at"]) >= datetime.fromisoformat(since)
            ]
        page = rows[offset : offset + limit]
        headers = {}
        if offset + limit < len(rows):
            info = base64.urlsafe_b64encode(
                json.dumps({"offset": offset + limit, "since": since}).encode()
            ).decode()
            next_url = request.url.copy_with(params={"limit": limit, "page_info": info})
            headers["Link"] = f'<{next_url}>; rel="next"'
        return httpx.Response(200, json={"orders": page}, headers=headers)


class FakeMetaLeads(FakeApi):
    def __init__(self, leads: list[dict[str, Any]], page_size: int = 1) -> None:
        super().__init__()
        self.leads = leads
        self.page_size = page_size

    def answer(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        offset = int(params.get("after", 0))
        rows = sorted(self.leads, key=lambda lead: lead["created_time"], reverse=True)
        if "filtering" in params:
            after = json.loads(params["filtering"])[0]["value"]
            rows = [
                r for r in rows if datetime.fromisoformat(r["created_time"]).timestamp() > after
            ]
        page = rows[offset : offset + self.page_size]
        body: dict[str, Any] = {
            "data": page,
            "paging": {"cursors": {"before": str(offset), "after": str(offset + len(page))}},
        }
        if offset + self.page_size < len(rows):
            body["paging"]["next"] = str(
                request.url.copy_with(params={"after": offset + self.page_size})
            )
        return httpx.Response(200, json=body)


class FakeXMentions(FakeApi):
    def __init__(
        self, tweets: list[dict[str, Any]], users: list[dict[str, Any]], page_size: int = 1
    ) -> None:
        super().__init__()
        self.tweets = tweets
        self.users = {u["id"]: u for u in users}
        self.page_size = page_size

    def answer(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        offset = int(params.get("pagination_token", 0))
        rows = sorted(self.tweets, key=lambda t: t["created_at"], reverse=True)
        if "start_time" in params:
            rows = [t for t in rows if t["created_at"] >= params["start_time"]]
        page = rows[offset : offset + self.page_size]
        meta: dict[str, Any] = {"result_count": len(page)}
        if offset + self.page_size < len(rows):
            meta["next_token"] = str(offset + self.page_size)
        users = [self.users[t["author_id"]] for t in page if t["author_id"] in self.users]
        return httpx.Response(200, json={"data": page, "includes": {"users": users}, "meta": meta})


@contextmanager
def serve_in_thread(handler: Handler, *, delay: float = 0.0) -> Iterator[str]:
    """Serve `handler` over real HTTP on 127.0.0.1; each answer waits `delay` seconds first."""

    class _Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            time.sleep(delay)
            request = httpx.Request(
                "GET", f"http://{self.headers['Host']}{self.path}", headers=dict(self.headers)
            )
            response = handler(request)
            body = response.read()
            try:
                self.send_response(response.status_code)
                for key, value in response.headers.items():
                    if key.lower() not in ("content-length", "transfer-encoding"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client timed out and hung up, which is what the test wanted

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
