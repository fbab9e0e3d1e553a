"""The tracking API for browsers: cross-origin access, and settings the browser SDKs load.

A shop's pages run on their own origin and send to this server from the visitor's browser, so
the tracking API (`/v1/...`) answers CORS: any origin may post (a write key is public by
nature: it sits in every page's source; it can only add records to its source), without
credentials (the SDKs send no cookies), and a preflight is answered for any request headers
(the SDKs ask for `Authorization`, `Content-Type` and RudderStack's `AnonymousId`). Nothing
else of the server (GraphQL, GraphiQL, the SendGrid webhook) is cross-origin.

Segment's analytics.js (`@segment/analytics-next`) loads its settings from a CDN before it
sends anything; `GET /v1/projects/{writeKey}/settings` answers them, so a page loads it
unchanged with this server as its CDN:

    AnalyticsBrowser.load({ writeKey: "<write key>", cdnURL: "https://cdp.example.com" })

The settings point its Segment.io destination at this server (`/v1/t`, `/v1/p`, ..., `/v1/b`
when batching), switch off its metrics (they would go to Segment), and load no device-mode
destination. An unknown key, or a key of a source that does not read Segment messages, is 404
with the reason, as the CDN answers an unknown key.

RudderStack's JavaScript SDK (`@rudderstack/analytics-js`) loads its source's configuration
from its control plane: `GET /sourceConfig?writeKey=...` answers it (the key also comes as the
Basic user), so `rudderanalytics.load("<write key>", "https://cdp.example.com", { configUrl:
"https://cdp.example.com" })` sends here: events to `/v1/track`, `/v1/page`, ... or `/v1/batch`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp

from cdp import models
from cdp.web.push import PushError, write_grant, write_key_of

__all__ = ["cross_origin", "sdk_settings_routes"]

ADAPTER = "web.segment"
_PREFLIGHT_MAX_AGE = 600


def cross_origin(route: Route) -> Route:
    """`route` answering CORS for any origin, without credentials (preflight included)."""
    methods = sorted((route.methods or set()) | {"OPTIONS"})
    app: ASGIApp = CORSMiddleware(
        route.app,
        allow_origins=["*"],
        allow_methods=methods,
        allow_headers=["*"],  # what the SDKs ask for: Authorization, Content-Type, AnonymousId
        max_age=_PREFLIGHT_MAX_AGE,
    )
    return Route(route.path, app, methods=methods, name=route.name)


async def _source_name(request: Request, write_key: str) -> str:
    """The name of the source `write_key` pushes to, if it reads Segment messages; else
    PushError (as a push with that key would be refused)."""
    grant = await write_grant(request, write_key)
    factory: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with factory() as session:
        source = await session.get(models.Source, grant.source_id)
    if source is None or source.adapter != ADAPTER:
        found = source.adapter if source else None
        raise PushError(403, f"this key's source reads with {found!r}, not {ADAPTER!r}")
    return source.name


def _not_found(exc: PushError) -> JSONResponse:
    message = f"no settings for this write key: {exc}"
    return JSONResponse({"success": False, "code": "not_found", "message": message}, 404)


async def segment_settings(request: Request) -> JSONResponse:
    write_key = request.path_params["write_key"]
    try:
        await _source_name(request, write_key)
    except PushError as exc:
        return _not_found(exc)
    return JSONResponse(segment_settings_for(write_key, request.url.scheme, request.url.netloc))


def segment_settings_for(write_key: str, scheme: str, host: str) -> dict[str, Any]:
    """What analytics.js reads from its CDN: its Segment.io destination posting to `host`."""
    return {
        "integrations": {
            "Segment.io": {
                "apiKey": write_key,
                "apiHost": f"{host}/v1",
                "protocol": scheme,
                "unbundledIntegrations": [],
                "addBundledMetadata": False,
            }
        },
        "plan": {"track": {"__default": {"enabled": True, "integrations": {}}}},
        "edgeFunction": {},
        "analyticsNextEnabled": True,
        "middlewareSettings": {},
        "enabledMiddleware": {},
        "metrics": {"sampleRate": 0},
        "legacyVideoPluginsEnabled": False,
        "remotePlugins": [],
    }


async def rudderstack_source_config(request: Request) -> JSONResponse:
    try:
        write_key = write_key_of(request, dict(request.query_params))
        name = await _source_name(request, write_key)
    except PushError as exc:
        return _not_found(exc)
    return JSONResponse(rudderstack_config_for(write_key, name))


def rudderstack_config_for(write_key: str, source_name: str) -> dict[str, Any]:
    """What RudderStack's JavaScript SDK reads from its control plane: a source, enabled,
    with no device-mode destination and its own error and metrics reporting off."""
    return {
        "isHosted": False,
        "source": {
            "id": source_name,
            "name": source_name,
            "writeKey": write_key,
            "workspaceId": "cdp",
            "enabled": True,
            "config": {
                "statsCollection": {
                    "errors": {"enabled": False},
                    "metrics": {"enabled": False},
                }
            },
            "destinations": [],
        },
    }


def sdk_settings_routes() -> list[Route]:
    return [
        cross_origin(Route("/v1/projects/{write_key}/settings", segment_settings, methods=["GET"])),
        cross_origin(Route("/sourceConfig", rudderstack_source_config, methods=["GET"])),
        cross_origin(Route("/sourceConfig/", rudderstack_source_config, methods=["GET"])),
    ]
