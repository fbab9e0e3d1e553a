"""The overview page for analysts: charts of what the platform holds, served from this package.

It reads everything through the public GraphQL endpoint with the key the user types (no
private endpoint); the chart library (Chart.js, `static/chart.umd.js`) is vendored by
`scripts/vendor-overview` with its checksum in `static/SHA256SUMS`, so the page works with no
internet, under the same Content-Security-Policy as GraphiQL.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

from cdp.web.graphiql import CONTENT_SECURITY_POLICY

__all__ = ["STATIC_DIR", "STATIC_ROUTE_NAME", "overview_page", "static_files"]

STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_ROUTE_NAME = "overview-static"
_PAGE = Path(__file__).resolve().parent / "page.html"
_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


@cache
def _template() -> str:
    return _PAGE.read_text(encoding="utf-8")


async def overview_page(request: Request) -> HTMLResponse:
    """`GET /overview`: the page; its panels query `/graphql` from the browser."""
    static = request.url_for(STATIC_ROUTE_NAME, path="").path.rstrip("/")
    endpoint = request.url_for("graphql").path
    config = json.dumps({"endpoint": endpoint}).replace("</", "<\\/")
    page = (
        _template()
        .replace("{static}", static)
        .replace("{graphiql}", "/graphiql")
        .replace("{config}", config)
    )
    return HTMLResponse(page, headers=_HEADERS)


def static_files() -> StaticFiles:
    return StaticFiles(directory=STATIC_DIR)
