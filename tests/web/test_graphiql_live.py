"""GraphiQL's live subscription in Chromium: a push to the tracking API reaches the page.

The LiveProfile example runs in GraphiQL as an analyst would run it (the key in the Headers
editor, a profile id in Variables, the run button), over GraphiQL's own WebSocket client
(graphql-transport-ws, as vendored). Then a tracking call is pushed for that person over
HTTP; the server stores it, its background resolver resolves it and refreshes the profile,
and the change must appear in GraphiQL's result pane.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from cdp.web.graphiql import EXAMPLES
from tests.ingest.test_push import _write_key
from tests.web.conftest import LiveServer, require_executable
from tests.web.devtools import launch
from tests.web.test_graphiql import QUERY_EDITOR, RESULT, TOOL_EDITOR, _type

LIVE = next(e for e in EXAMPLES if e.title == "LiveProfile")


def _profile_of(session_factory: sessionmaker[Session], user_id: str) -> str | None:
    with session_factory() as session:
        return session.scalar(
            select(models.Identifier.profile_id).where(
                models.Identifier.kind == "user_id", models.Identifier.value == user_id
            )
        )


def _push(base_url: str, key: str, message: dict[str, object]) -> None:
    answer = httpx.post(f"{base_url}/v1/batch", json={"batch": [message]}, auth=(key, ""))
    assert answer.json()["accepted"] == 1, answer.text


async def test_live_profile_example_shows_a_pushed_event_in_graphiql(
    live_server: LiveServer, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    chromium = require_executable("chromium", "apt-get install chromium, as .ci/run does")
    key = _write_key(session_factory, "web", "web.segment", "web")
    base = live_server.base_url
    _push(base, key, {"type": "identify", "userId": "u-live", "messageId": "m-1",
                      "traits": {"email": "live@example.com"}})  # fmt: skip
    deadline = time.monotonic() + 60
    while (profile_id := _profile_of(session_factory, "u-live")) is None:
        assert time.monotonic() < deadline, "the pushed identify was never resolved"
        await asyncio.sleep(0.2)

    async with launch(chromium, tmp_path / "profile") as browser:
        page = await browser.new_page()
        await page.send("Page.navigate", url=live_server.graphql_url)
        await page.wait_for("!!document.querySelector('.graphiql-execute-button')")
        await page.wait_until(
            lambda: ("Fetch", live_server.graphql_url) in page.responses, timeout=60
        )
        await page.evaluate("document.querySelector('button[data-name=\"headers\"]').click()")
        await page.wait_for(f"!!{TOOL_EDITOR}")
        await _type(page, TOOL_EDITOR, json.dumps(live_server.auth_headers))
        await page.evaluate("document.querySelector('button[data-name=\"variables\"]').click()")
        await asyncio.sleep(0.3)
        await _type(page, TOOL_EDITOR, json.dumps({"id": profile_id}))
        await _type(page, QUERY_EDITOR, LIVE.query)
        await page.evaluate("document.querySelector('.graphiql-execute-button').click()")
        # the subscription is open when the server has its socket: push until it shows
        shown = ""
        deadline = time.monotonic() + 90
        n = 0
        while '"profileChanges"' not in shown:
            assert time.monotonic() < deadline, (shown, page.frames, page.exceptions)
            n += 1
            track = {"type": "track", "userId": "u-live", "messageId": f"t-{n}",
                     "event": "Product Viewed", "properties": {"sku": "SH-1"}}  # fmt: skip
            _push(base, key, track)
            await asyncio.sleep(2.0)
            shown = str(await page.evaluate(f"{RESULT}.getValue()") or "")
        await page.screenshot(tmp_path / "live.png")

    change = json.loads(shown)["data"]["profileChanges"]
    assert change["profile"]["id"] == profile_id
    assert change["profile"]["email"] == "live@example.com"
    assert page.exceptions == []
    assert f"ws://{base.removeprefix('http://')}/graphql" in page.requests  # GraphiQL's client
