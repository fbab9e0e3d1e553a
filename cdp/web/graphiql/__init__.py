"""GraphiQL for analysts, served entirely from this package: no CDN, works with no internet.

`static/` holds GraphiQL 3.8.3 (its UMD bundle and CSS), the explorer plugin and React 18,
vendored from npm by `scripts/vendor-graphiql` (versions, tarball checksums and licences in
`static/LICENSES.txt`). `page.html` loads only those, from this server, and opens with the
analyst examples of `examples.py` as tabs.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.staticfiles import StaticFiles

from cdp.web.graphiql.examples import EXAMPLES, Example

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "EXAMPLES",
    "STATIC_DIR",
    "STATIC_ROUTE_NAME",
    "Example",
    "graphiql_off",
    "graphiql_page",
    "page_for",
    "render_graphiql_page",
    "static_files",
]

STATIC_DIR = Path(__file__).resolve().parent / "static"
# Only this server may supply scripts, styles, fonts and answers: the browser itself then
# enforces "works offline" (and a page that tried to reach out would show it in the console).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_PAGE_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}
STATIC_ROUTE_NAME = "graphiql-static"
_PAGE = Path(__file__).resolve().parent / "page.html"


@cache
def _template() -> str:
    return _PAGE.read_text(encoding="utf-8")


def render_graphiql_page(*, endpoint: str, static: str) -> str:
    """The GraphiQL page for a GraphQL `endpoint`, loading its assets from the `static` prefix.

    Both are paths on this server, so the browser never leaves it.
    """
    config = {
        "endpoint": endpoint,
        "examples": [
            {"title": e.title, "query": e.query, "variables": e.variables} for e in EXAMPLES
        ],
    }
    # `</` inside the JSON would end the <script> element that carries it.
    payload = json.dumps(config).replace("</", "<\\/")
    return _template().replace("{static}", static).replace("{config}", payload)


def page_for(request: Request, *, endpoint_route: str = "graphql") -> HTMLResponse:
    """The GraphiQL page as a response, with a policy that keeps the browser on this server."""
    static = request.url_for(STATIC_ROUTE_NAME, path="").path.rstrip("/")
    endpoint = request.url_for(endpoint_route).path
    return HTMLResponse(
        render_graphiql_page(endpoint=endpoint, static=static), headers=_PAGE_HEADERS
    )


async def graphiql_page(request: Request) -> Response:
    """`GET /graphiql`: the same page `/graphql` shows to browsers (404 when turned off)."""
    if not request.app.state.settings.graphiql:
        return graphiql_off()
    return page_for(request)


def graphiql_off() -> Response:
    """The answer to a browser when GraphiQL is off (the default with `CDP_ENV=prod`)."""
    return PlainTextResponse(
        "GraphiQL is turned off on this server (the default with CDP_ENV=prod); "
        "set CDP_GRAPHIQL=true to serve it. GraphQL itself answers POST /graphql with a key.",
        status_code=404,
    )


def static_files() -> StaticFiles:
    return StaticFiles(directory=STATIC_DIR)
