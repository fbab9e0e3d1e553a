"""A local fake of the Mailchimp Marketing API 3.0 (list members, tags, events) that checks
what the real API checks, and answers errors in its problem-detail shape
(https://mailchimp.com/developer/marketing/docs/errors/):

- HTTP Basic authentication with the API key as the password (any user name): else 401;
- the list exists: else 404 "Resource Not Found";
- the path's subscriber hash is the MD5 of the lower-cased `email_address`: else 400;
- `email_address` looks like an address; `status_if_new` (and `status`) is one of
  subscribed, unsubscribed, cleaned, pending, transactional; `merge_fields` are known tags;
- tags: a non-empty list of `{"name", "status": "active"|"inactive"}`; the member exists (404);
- events: `name` 2-30 characters of letters, digits, `_` and `-`; `properties` values are
  strings; the member exists (404).
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

STATUSES = {"subscribed", "unsubscribed", "cleaned", "pending", "transactional"}
MERGE_FIELDS = {"FNAME", "LNAME", "ADDRESS", "PHONE", "BIRTHDAY"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_EVENT = re.compile(r"^[A-Za-z0-9_-]{2,30}$")


def _problem(status: int, title: str, detail: str) -> JSONResponse:
    body = {"type": "https://mailchimp.com/developer/marketing/docs/errors/",
            "title": title, "status": status, "detail": detail, "instance": ""}  # fmt: skip
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


@dataclass
class FakeMailchimp:
    api_key: str
    list_id: str
    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    tags: dict[str, dict[str, str]] = field(default_factory=dict)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)

    def _check(self, request: Request) -> JSONResponse | None:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        password = ""
        if scheme.lower() == "basic":
            password = base64.b64decode(value).decode().partition(":")[2]
        if password != self.api_key:
            return _problem(401, "API Key Invalid", "Your API key may be invalid.")
        if request.path_params["list_id"] != self.list_id:
            return _problem(404, "Resource Not Found", "The requested resource could not be found.")
        return None

    async def put_member(self, request: Request) -> Response:
        refused = self._check(request)
        if refused:
            return refused
        self.calls.append(f"PUT {request.url.path}")
        body = orjson.loads(await request.body())
        email = body.get("email_address", "")
        if not isinstance(email, str) or not _EMAIL.match(email):
            return _problem(400, "Invalid Resource", f"{email!r} looks fake or invalid")
        if hashlib.md5(email.lower().encode()).hexdigest() != request.path_params["hash"]:
            return _problem(400, "Invalid Resource", "The subscriber hash does not match")
        status = body.get("status_if_new", body.get("status"))
        if status not in STATUSES:
            return _problem(400, "Invalid Resource", f"status {status!r} is not allowed")
        unknown = set(body.get("merge_fields", {})) - MERGE_FIELDS
        if unknown:
            return _problem(400, "Invalid Resource", f"Your merge fields were invalid: {unknown}")
        member = self.members.setdefault(request.path_params["hash"], {"status": status})
        member.update(email_address=email, merge_fields=body.get("merge_fields", {}))
        return JSONResponse({"id": request.path_params["hash"], **member})

    async def post_tags(self, request: Request) -> Response:
        refused = self._check(request)
        if refused:
            return refused
        self.calls.append(f"POST {request.url.path}")
        if request.path_params["hash"] not in self.members:
            return _problem(404, "Resource Not Found", "The requested resource could not be found.")
        tags = orjson.loads(await request.body()).get("tags")
        if (
            not isinstance(tags, list)
            or not tags
            or not all(
                isinstance(t, dict) and t.get("name") and t.get("status") in ("active", "inactive")
                for t in tags
            )
        ):
            return _problem(400, "Invalid Resource", "tags must be [{name, status}]")
        for tag in tags:
            self.tags.setdefault(request.path_params["hash"], {})[tag["name"]] = tag["status"]
        return Response(status_code=204)

    async def post_event(self, request: Request) -> Response:
        refused = self._check(request)
        if refused:
            return refused
        self.calls.append(f"POST {request.url.path}")
        if request.path_params["hash"] not in self.members:
            return _problem(404, "Resource Not Found", "The requested resource could not be found.")
        body = orjson.loads(await request.body())
        if not isinstance(body.get("name"), str) or not _EVENT.match(body["name"]):
            return _problem(400, "Invalid Resource", f"event name {body.get('name')!r}")
        properties = body.get("properties", {})
        if not all(isinstance(v, str) for v in properties.values()):
            return _problem(400, "Invalid Resource", "event properties must be strings")
        self.events.append((request.path_params["hash"], body))
        return Response(status_code=204)

    def app(self) -> Starlette:
        member = "/3.0/lists/{list_id}/members/{hash}"
        return Starlette(
            routes=[
                Route(member, self.put_member, methods=["PUT"]),
                Route(f"{member}/tags", self.post_tags, methods=["POST"]),
                Route(f"{member}/events", self.post_event, methods=["POST"]),
            ]
        )
