"""Push endpoints: a Segment-compatible tracking API and the SendGrid Event Webhook.

- `POST /v1/identify|track|page|screen|alias|group` (one message) and `POST /v1/batch`
  (`{"batch": [...]}`), authenticated like Segment's HTTP API: the source's write key as the
  HTTP Basic user name, empty password. Segment and RudderStack SDKs send here unchanged.
- `POST /webhooks/sendgrid`: the JSON array SendGrid posts; the write key as Basic user (put
  it in the webhook URL: `https://<key>:@host/webhooks/sendgrid`) or as a Bearer token.

Each write key belongs to one source (`cdp keys create --role write --source NAME`); the
source's adapter reads the messages. The answer counts what was accepted (stored, or a
resent duplicate) and rejected (quarantined, with reasons in `errors`): a bad message is
rejected alone and the others of its batch are stored. The answer comes once the records are
stored (committed; the requests that arrive during a write are written together, each
answered once its group commits: `cdp.web.push_groups`): the process's background resolver
(`cdp.web.resolver`), woken by the push, then resolves their identities and computes what
follows from them (traits, segments, outbox entries for destinations and flows, feedback
analysis) in batches.

A body may be sent with `Content-Encoding: gzip` (RudderStack's SDK does by default); it may
inflate to `MAX_BODY_BYTES` at most (413 beyond). Every error answer is
`{"success": false, "code": ..., "message": ...}`: the Segment and RudderStack SDKs read
`code` and `message`, and give up on a 4xx (they retry a 5xx and 429).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import zlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from cdp.services import keys as key_service
from cdp.web.push_groups import PushGroups, WrongSource
from ingest import AdapterConfigError, PushResult, loads

__all__ = ["MAX_BODY_BYTES", "PushError", "push_routes", "write_grant", "write_key_of"]

log = logging.getLogger("cdp.push")
MAX_BODY_BYTES = 4 * 1024 * 1024
SEGMENT_CALLS = ("identify", "track", "page", "screen", "alias", "group")
# analytics.js posts to one-letter paths and puts the write key in the body.
_SHORT_CALLS = {
    "i": "identify",
    "t": "track",
    "p": "page",
    "s": "screen",
    "a": "alias",
    "g": "group",
    "b": "batch",  # analytics.js with `deliveryStrategy: {strategy: "batching"}`
}


_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    413: "payload_too_large",
    415: "unsupported_encoding",
    500: "server_error",
}


class PushError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or _CODES.get(status, "error")


def write_key_of(request: Request, body: Any = None) -> str:
    """The write key: the Basic user, a Bearer token, or `writeKey` in `body`; else PushError."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic":
        try:
            user = base64.b64decode(value.strip()).decode().partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            raise PushError(401, "malformed Basic credentials") from None
        if user:
            return user
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if isinstance(body, dict) and isinstance(body.get("writeKey"), str) and body["writeKey"]:
        return str(body["writeKey"])
    raise PushError(401, "missing write key: send it as the HTTP Basic user name")


async def _grant(request: Request, body: Any) -> key_service.Grant:
    return await write_grant(request, write_key_of(request, body))


async def write_grant(request: Request, write_key: str) -> key_service.Grant:
    """The write key's grant (`KeyCache`: a key in use is checked against the database at
    most every few seconds, and a revoked one is refused within that time); else PushError."""
    state = request.app.state
    cache: key_service.KeyCache = state.key_cache
    try:
        grant = await cache.authenticate(state.sessionmaker, write_key)
    except key_service.InvalidKeyError as exc:
        raise PushError(401, f"invalid write key: {exc}") from None
    if grant.role != "write" or grant.source_id is None:
        raise PushError(403, f"a {grant.role!r} key cannot push; use a write key of the source")
    return grant


async def _body(request: Request) -> Any:
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise PushError(413, f"request body of {len(body)} bytes exceeds {MAX_BODY_BYTES}")
    body = _decoded(body, request.headers.get("Content-Encoding", ""))
    # Bytes that are not UTF-8 stay (as surrogates), so only the messages holding them are
    # rejected, each with the reason (`ingest.checks`).
    text = body.decode("utf-8", "surrogateescape")
    try:
        return loads(text)
    except json.JSONDecodeError as exc:
        raise PushError(400, f"body is not JSON: {exc}", "invalid_json") from None


def _decoded(body: bytes, encoding: str) -> bytes:
    """The body inflated (gzip or deflate), never past `MAX_BODY_BYTES` (a zip bomb is 413)."""
    name = encoding.strip().lower()
    if name in ("", "identity"):
        return body
    if name not in ("gzip", "x-gzip", "deflate"):
        raise PushError(415, f"Content-Encoding {encoding!r} is not supported; use gzip")
    inflater = zlib.decompressobj(wbits=47 if name != "deflate" else 15)
    try:
        data = inflater.decompress(body, MAX_BODY_BYTES + 1)
    except zlib.error as exc:
        raise PushError(400, f"body is not valid {name}: {exc}", "invalid_encoding") from None
    if len(data) > MAX_BODY_BYTES or inflater.unconsumed_tail:
        raise PushError(413, f"{name} body inflates beyond {MAX_BODY_BYTES} bytes")
    return data


async def _push(
    request: Request, adapter_name: str, body: Any, messages: Sequence[Any], where: str
) -> PushResult:
    received = datetime.now(UTC)
    grant = await _grant(request, body)
    groups: PushGroups = request.app.state.push_groups
    try:
        result = await groups.push(grant.source_id or 0, adapter_name, messages, where, received)
    except WrongSource as exc:
        raise PushError(
            403, f"this key's source reads with {exc.found!r}; this endpoint takes {adapter_name!r}"
        ) from None
    if result.record_ids:
        request.app.state.resolver.notify()
    return result


def _answer(result: PushResult) -> JSONResponse:
    status = 400 if result.rejected and not result.accepted else 200
    body: dict[str, Any] = {
        "success": status == 200,
        "accepted": result.accepted,
        "rejected": result.rejected,
        "duplicates": result.duplicates,
        "suppressed": result.suppressed,
        "errors": list(result.errors[:20]),
    }
    if status != 200:
        body["code"] = "invalid_messages"
        body["message"] = f"every message was rejected: {result.errors[0]}"
    return JSONResponse(body, status_code=status)


def _error(exc: PushError) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Basic realm="cdp"'} if exc.status == 401 else None
    body = {"success": False, "code": exc.code, "message": str(exc), "error": str(exc)}
    return JSONResponse(body, exc.status, headers=headers)


async def segment_call(request: Request) -> JSONResponse:
    call = _SHORT_CALLS.get(request.path_params["call"], request.path_params["call"])
    try:
        if call not in SEGMENT_CALLS and call != "batch":
            raise PushError(404, f"unknown call {call!r}; use {', '.join(SEGMENT_CALLS)} or batch")
        body = await _body(request)
        messages = _segment_messages(call, body)
        result = await _push(request, "web.segment", body, messages, f"push /v1/{call}")
    except PushError as exc:
        return _error(exc)
    except AdapterConfigError as exc:
        return _error(PushError(500, str(exc)))
    return _answer(result)


def _segment_messages(call: str, body: Any) -> list[Any]:
    if not isinstance(body, dict):
        raise PushError(400, "expected a JSON object")
    if call != "batch":
        message = {key: value for key, value in body.items() if key != "writeKey"}
        return [{**message, "type": call}]
    batch = body.get("batch")
    if not isinstance(batch, list):
        raise PushError(400, "a batch call needs a 'batch' list of messages")
    # A batch's `context` and `sentAt` apply to each message that has none of its own.
    # analytics.js puts the write key in each message of its batch too: it is not data.
    shared = {k: body[k] for k in ("context", "sentAt") if body.get(k)}
    return [
        {**shared, **{k: v for k, v in m.items() if k != "writeKey"}} if isinstance(m, dict) else m
        for m in batch
    ]


async def sendgrid_webhook(request: Request) -> JSONResponse:
    try:
        body = await _body(request)
        if not isinstance(body, list):
            raise PushError(400, "expected the JSON array of events SendGrid posts")
        result = await _push(request, "email.sendgrid", None, body, "push /webhooks/sendgrid")
    except PushError as exc:
        return _error(exc)
    return _answer(result)


def push_routes() -> list[Route]:
    return [
        Route("/v1/{call}", segment_call, methods=["POST"]),
        Route("/webhooks/sendgrid", sendgrid_webhook, methods=["POST"]),
    ]
