"""The overview page in headless Chromium: it loads offline, renders every panel with no console
error, and every number it shows is what the same GraphQL query returns."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from cdp.db import unit_of_work
from cdp.refresh import refresh_profiles
from cdp.web.overview import STATIC_DIR
from tests.campaigns.world import T, order
from tests.campaigns.world import build as build_email_world
from tests.schema.factories import make_profile, make_source
from tests.web.conftest import LiveServer, require_executable
from tests.web.devtools import launch

FEEDBACK = [
    ("email", "SURVEY", "a@example.com", "Delivery was fast and the quality is great", 10),
    ("web", "COMPLAINT", "b@example.com", "The parcel arrived late and the box was broken", 2),
    ("store", "SURVEY", "c@example.com", "客服态度很好，物流也很快", 9),  # noqa: RUF001
    ("social", "COMPLAINT", "d@example.com", "价格太贵了，质量也一般", 3),  # noqa: RUF001
    ("web", "QUESTION", "a@example.com", "Do you ship to Norway?", None),
]


def _post(server: LiveServer, query: str, variables: dict[str, Any] | None = None) -> Any:
    answer = httpx.post(
        server.graphql_url,
        json={"query": query, "variables": variables or {}},
        headers=server.auth_headers,
        timeout=30,
    ).json()
    assert "errors" not in answer, answer
    return answer["data"]


def _submit_feedback(server: LiveServer) -> None:
    mutation = """mutation($input: SubmitFeedbackInput!) {
      submitFeedback(input: $input) { ... on FeedbackSubmitted { feedback { id } } } }"""
    for n, (channel, kind, email, text, nps) in enumerate(FEEDBACK):
        data: dict[str, Any] = {
            "channel": channel.upper(),
            "kind": kind,
            "identifiers": [{"kind": "EMAIL", "value": email}],
            "externalId": f"overview-{n}",
            "text": text,
        }
        if nps is not None:
            data["nps"] = nps
        _post(server, mutation, {"input": data})


def _numbers(value: Any) -> list[float]:
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, int | float):
        return [float(value)]
    if isinstance(value, dict):
        return [n for v in value.values() for n in _numbers(v)]
    if isinstance(value, list):
        return [n for v in value for n in _numbers(v)]
    return []


async def test_overview_shows_what_graphql_returns_in_chromium(
    live_server: LiveServer, tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    chromium = require_executable("chromium", "apt-get install chromium, as .ci/run does")
    _submit_feedback(live_server)
    with unit_of_work(session_factory) as session:
        build_email_world(session)  # two campaigns with opens, clicks and orders
        shop = make_source(session, channel="store")
        for n in range(1, 9):  # enough customers for RFM quintiles
            buyer = make_profile(session, given_name=f"Buyer{n}")
            for k in range(n % 4 + 1):
                order(session, shop, buyer, T - timedelta(days=9 * n + 40 * k), 1500 * n)
    with unit_of_work(session_factory) as session:
        refresh_profiles(session, None)  # traits, RFM and segments, as after a batch
    created = _post(
        live_server,
        """mutation($input: SegmentInput!) { createSegment(input: $input) { __typename } }""",
        {
            "input": {
                "name": "Repeat buyers",
                "definitionJson": {
                    "conditions": [{"trait": {"name": "orderCount", "op": "gte", "value": 2}}]
                },
            }
        },
    )
    assert created["createSegment"]["__typename"] == "Segment", created
    base = live_server.base_url

    async with launch(chromium, tmp_path / "profile") as browser:
        page = await browser.new_page()
        await page.send("Page.navigate", url=f"{base}/overview")
        await page.wait_for("!!document.getElementById('api-key')")
        await page.evaluate(
            f"document.getElementById('api-key').value = {json.dumps(live_server.api_key)};"
            "document.getElementById('load').click()"
        )
        await page.wait_for("window.cdpOverview && window.cdpOverview.done", timeout=60)
        state = await page.evaluate("JSON.stringify(window.cdpOverview)")
        shown = await page.evaluate(
            "JSON.stringify(Object.fromEntries([...document.querySelectorAll('section.panel')]"
            ".map(s => [s.id.replace('panel-', ''), [...s.querySelectorAll('[data-value]')]"
            ".map(e => Number(e.dataset.value))])))"
        )
        charts = await page.evaluate("document.querySelectorAll('section.panel canvas').length")
        await page.screenshot(tmp_path / "overview.png")

    overview = json.loads(state)
    numbers = json.loads(shown)
    assert overview["errors"] == {}
    assert set(numbers) == set(overview["queries"])
    assert charts >= 3
    for panel, query in overview["queries"].items():
        answer = _post(live_server, query)  # the same query, from outside the browser
        assert answer == overview["results"][panel], panel
        assert numbers[panel], f"panel {panel} shows no number: {answer}"
        missing = Counter(numbers[panel]) - Counter(_numbers(answer))
        assert not missing, f"panel {panel} shows numbers the query did not return: {missing}"
    totals = overview["results"]["totals"]["overview"]["totals"]
    assert totals["profiles"] == 4 + 4 + 8  # wrote in; got the campaigns; bought
    funnels = {c["id"]: c for c in overview["results"]["campaigns"]["campaigns"]}
    assert set(funnels) == {"c1", "c2"}
    assert funnels["c1"]["email"]["uniqueClicks"] >= 1
    codes = overview["results"]["rfm"]["codes"]
    assert sum(g["count"] for g in codes if g["value"]) == 3 + 8  # Ann, Ben, Dan; buyers
    assert any(s["sizeHistory"] for s in overview["results"]["segments"]["segments"])
    assert overview["results"]["nps"]["feedbackAnalytics"]["summary"]["total"] == len(FEEDBACK)
    assert page.exceptions == []
    assert [
        e for e in page.log_errors if not (e.source == "network" and e.url.startswith(base))
    ] == []
    assert [u for u in page.requests if not u.startswith((f"{base}/", "data:", "about:"))] == []


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_overview_page_loads_only_local_assets(live_server: LiveServer) -> None:
    page = httpx.get(f"{live_server.base_url}/overview", timeout=10)
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert page.status_code == 200
    assert "content-security-policy" in page.headers
    assert {a for a in assets if not a.startswith(("data:", "/graphiql"))} == {
        "/overview/static/overview.css",
        "/overview/static/chart.umd.js",
        "/overview/static/overview.js",
    }
    for url in assets:
        if url.startswith("/overview"):
            assert httpx.get(f"{live_server.base_url}{url}", timeout=10).status_code == 200


def test_vendored_chart_library_matches_its_recorded_checksum() -> None:
    for line in (STATIC_DIR / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        assert hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest() == digest, name
