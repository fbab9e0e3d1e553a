"""The browser SDKs, unchanged, on a page of another origin, send to this server in Chromium.

Segment's analytics.js (`@segment/analytics-next`) and RudderStack's JavaScript SDK
(`@rudderstack/analytics-js`), as npm ships them (package-lock.json; scripts/test installs
them), are loaded by a page served from a second local server (another origin, as a shop's
site is), pointed at this server only by its URL: each loads its settings from here
(`cdp/web/browser_sdks.py`), then sends identify, track and page across origins. The records
must be stored and resolved, the SDKs must see every delivery succeed (no CORS failure, no
retry), and no request may leave 127.0.0.1 (no CDN, no metrics to the vendor).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from tests.ingest.test_push import _write_key
from tests.web.conftest import LiveServer, require_executable, require_tool
from tests.web.devtools import launch

NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"
SEGMENT_JS = "@segment/analytics-next/dist/umd/index.js"
RUDDERSTACK_JS = "@rudderstack/analytics-js/dist/npm/modern/bundled/umd/index.js"

# Each page sends identify, track and page, then sets `window.outcome` to what the SDK saw.
SEGMENT_PAGE = """<script src="/node_modules/{script}"></script><script>
(async () => {{
  try {{
    const [analytics] = await AnalyticsNext.AnalyticsBrowser.load(
      {{ writeKey: {key}, cdnURL: {server} }}, {options});
    const sent = [
      await analytics.identify("u-1", {{ email: "ada@example.com", firstName: "Ada" }}),
      await analytics.track("Product Viewed", {{ category: "shoes", sku: "SH-1" }}),
      await analytics.page("Shoes"),
    ];
    const errors = sent.flatMap(ctx => ctx.logs().filter(l => l.level === "error"));
    window.outcome = {{ errors: errors.map(l => l.message), sent: sent.length }};
  }} catch (e) {{ window.outcome = {{ errors: [String(e)], sent: 0 }}; }}
}})();
</script>"""
SEGMENT_BATCHING = {
    "integrations": {
        "Segment.io": {"deliveryStrategy": {"strategy": "batching", "config": {"size": 3}}}
    }
}
RUDDERSTACK_PAGE = """<script src="/node_modules/{script}"></script><script>
const errors = [];
const ra = new rudderanalytics.RudderAnalytics();
ra.load({key}, {server}, {{
  configUrl: {server},
  onError: (e) => errors.push(String(e && e.message || e)),
  onLoaded: () => {{
    ra.identify("u-1", {{ email: "ada@example.com", firstName: "Ada" }});
    ra.track("Product Viewed", {{ category: "shoes", sku: "SH-1" }});
    ra.page("Shoes");
    window.outcome = {{ errors, sent: 3 }};
  }},
}});
</script>"""


class _Site(SimpleHTTPRequestHandler):
    """The shop's site: its page at `/`, the SDK bundles under `/node_modules/`."""

    page = ""

    def do_GET(self) -> None:
        if self.path.split("?")[0] in ("/", "/index.html"):
            body = f"<!doctype html><html><head><title>shop</title></head><body>{self.page}"
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        super().do_GET()

    def translate_path(self, path: str) -> str:
        relative = path.split("?")[0].removeprefix("/node_modules/")
        return str(NODE_MODULES / relative)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def site() -> Iterator[tuple[type[_Site], str]]:
    handler = type("Site", (_Site,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield handler, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def _require(script: str) -> None:
    path = NODE_MODULES / script
    require_tool(script, str(path) if path.exists() else None, "scripts/test runs npm ci")


def _page(sdk: str, key: str, server: str) -> str:
    if sdk == "rudderstack":
        return RUDDERSTACK_PAGE.format(
            script=RUDDERSTACK_JS, key=json.dumps(key), server=json.dumps(server)
        )
    options = SEGMENT_BATCHING if sdk == "segment-batching" else {}
    return SEGMENT_PAGE.format(
        script=SEGMENT_JS,
        key=json.dumps(key),
        server=json.dumps(server),
        options=json.dumps(options),
    )


def _stored(session_factory: sessionmaker[Session]) -> tuple[list[str], list[str]]:
    with session_factory() as session:
        kinds = sorted(session.scalars(select(models.SourceRecord.kind)))
        emails = set(
            session.scalars(
                select(models.Identifier.value).where(models.Identifier.kind == "email")
            )
        )
    return kinds, sorted(emails)


@pytest.mark.parametrize("sdk", ["segment", "segment-batching", "rudderstack"])
async def test_browser_sdk_on_another_origin_sends_here_unchanged(
    live_server: LiveServer,
    session_factory: sessionmaker[Session],
    site: tuple[type[_Site], str],
    tmp_path: Path,
    sdk: str,
) -> None:
    chromium = require_executable("chromium", "apt-get install chromium, as .ci/run does")
    _require(RUDDERSTACK_JS if sdk == "rudderstack" else SEGMENT_JS)
    key = _write_key(session_factory, "web", "web.segment", "web")
    handler, page_url = site
    handler.page = _page(sdk, key, live_server.base_url)

    async with launch(chromium, tmp_path / "profile") as browser:
        page = await browser.new_page()
        await page.send("Page.navigate", url=page_url)
        outcome = await page.wait_for("window.outcome", timeout=60)
        deadline = time.monotonic() + 60
        while _stored(session_factory) != (["event", "event", "profile"], ["ada@example.com"]):
            assert time.monotonic() < deadline, (_stored(session_factory), page.log_errors)
            await asyncio.sleep(0.2)
        await asyncio.sleep(1.0)  # a retry, had the SDK seen a failure, would come now

    assert outcome == {"errors": [], "sent": 3}
    assert page.exceptions == []
    assert [e for e in page.log_errors if not e.url.endswith("/favicon.ico")] == []
    posts = [u for u in page.requests if u.startswith(f"{live_server.base_url}/v1/")]
    assert posts, page.requests
    assert all(u.startswith(("http://127.0.0.1:", "data:", "blob:")) for u in page.requests)
    assert _stored(session_factory) == (["event", "event", "profile"], ["ada@example.com"])
    with session_factory() as session:
        payloads = list(session.scalars(select(models.SourceRecord.payload)))
    assert all("writeKey" not in payload for payload in payloads)  # the key is not data


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_sdk_settings_refuse_an_unknown_key_and_only_the_tracking_api_is_cross_origin(
    live_server: LiveServer, session_factory: sessionmaker[Session]
) -> None:
    key = _write_key(session_factory, "web", "web.segment", "web")
    origin = {"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"}
    base = live_server.base_url

    known = httpx.get(f"{base}/v1/projects/{key}/settings", timeout=10)
    unknown = httpx.get(f"{base}/v1/projects/cdp_nothere_x/settings", timeout=10)
    email_key = _write_key(session_factory, "esp", "email.sendgrid", "email")
    not_segment = httpx.get(f"{base}/v1/projects/{email_key}/settings", timeout=10)
    rudder = httpx.get(f"{base}/sourceConfig/", params={"writeKey": key}, timeout=10)
    preflight = httpx.options(f"{base}/v1/t", headers=origin, timeout=10)
    graphql = httpx.options(f"{base}/graphql", headers=origin, timeout=10)
    webhook = httpx.options(f"{base}/webhooks/sendgrid", headers=origin, timeout=10)

    segment_io = known.json()["integrations"]["Segment.io"]
    assert segment_io["apiHost"] == f"{base.removeprefix('http://')}/v1"
    assert segment_io["protocol"] == "http"
    assert known.json()["metrics"]["sampleRate"] == 0
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "not_found"
    assert "invalid write key" in unknown.json()["message"]
    assert not_segment.status_code == 404
    assert "'email.sendgrid'" in not_segment.json()["message"]
    assert rudder.json()["source"]["writeKey"] == key
    assert rudder.json()["source"]["enabled"] is True
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-origin" not in graphql.headers
    assert "access-control-allow-origin" not in webhook.headers
