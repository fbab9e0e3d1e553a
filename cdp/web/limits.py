"""What the web layer refuses or hides before the app sees a request.

- `BodyLimit` wraps an ASGI app and answers `413` to a body larger than its limit before the
  app reads, parses or authenticates anything: at once when `Content-Length` says so, and as
  soon as a streamed (chunked) body passes the limit otherwise. The app then gets the body
  (at most the limit, held in memory) as one message, as if the client had sent it so.
- `QueryStringFilter` keeps query strings out of the access log: a GET request to `/graphql`
  carries its document and variables there (an email in a `profileByIdentifier` query, say).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BodyLimit", "QueryStringFilter", "install_log_filters"]


class _TooLargeError(Exception):
    pass


class BodyLimit:
    """Answers 413 to a request body over `max_bytes` (see the module docstring)."""

    def __init__(self, app: ASGIApp, max_bytes: int, *, setting: str) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.setting = setting

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(send, declared)
            return
        try:
            body = await self._read(receive)
        except _TooLargeError:
            await self._refuse(send, None)
            return
        if body is None:  # the client left: nobody to answer
            return
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _read(self, receive: Receive) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                raise _TooLargeError
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _refuse(self, send: Send, declared: int | None) -> None:
        size = f"{declared:,} bytes" if declared is not None else "more than that"
        message = (
            f"the request body is larger than the limit of {self.max_bytes:,} bytes ({size}); "
            f"send less, or raise {self.setting}"
        )
        body = orjson.dumps({"errors": [{"message": message, "extensions": {"code": "TOO_LARGE"}}]})
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class QueryStringFilter(logging.Filter):
    """Drops the query string from uvicorn's access log lines.

    uvicorn logs `'%s - "%s %s HTTP/%s" %d'` with the path and query string as the third
    argument; only that argument is changed.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args: Any = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            path, mark, _ = args[2].partition("?")
            if mark:
                record.args = (*args[:2], f"{path}?[query not logged]", *args[3:])
        return True


_ACCESS_LOGGER = "uvicorn.access"


def install_log_filters() -> None:
    """Adds `QueryStringFilter` to the access log once (filters survive uvicorn's dictConfig)."""
    logger = logging.getLogger(_ACCESS_LOGGER)
    if not any(isinstance(f, QueryStringFilter) for f in logger.filters):
        logger.addFilter(QueryStringFilter())
