"""GraphiQL works offline: headless Chromium loads the page, runs a query, sees the answer.

The page is driven through the DevTools protocol (`tests/web/devtools.py`): type a query into
GraphiQL's editor, put the API key in its Headers editor, press the run button, read the
result pane. Every request the page made is recorded, and none may leave 127.0.0.1. Needs
Debian's `chromium` (`.ci/run` installs it); without it the test skips, and fails under CI.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from cdp.db import unit_of_work
from cdp.web.graphiql import CONTENT_SECURITY_POLICY, EXAMPLES, STATIC_DIR
from tests.web.conftest import LiveServer, require_executable
from tests.web.devtools import DevToolsError, Page, launch

QUERY = "{ stats { profiles sourceRecords } }"
_EDITOR = "document.querySelector({selector}).CodeMirror"
QUERY_EDITOR = _EDITOR.format(selector="'.graphiql-query-editor .CodeMirror'")
TOOL_EDITOR = _EDITOR.format(
    selector="'.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror'"
)
RESULT = _EDITOR.format(selector="'.result-window .CodeMirror'")


def _add_profiles(session_factory: sessionmaker[Session], *, active: int, merged: int) -> None:
    with unit_of_work(session_factory) as session:
        survivors = [models.Profile(id=f"p-active-{n}") for n in range(active)]
        session.add_all(survivors)
        session.flush()
        session.add_all(
            models.Profile(
                id=f"p-merged-{n}",
                status=models.ProfileStatus.MERGED.value,
                merged_into_id=survivors[0].id,
            )
            for n in range(merged)
        )


async def _type(page: Page, editor: str, text: str) -> None:
    """Set an editor's text, and again until GraphiQL's own state updates leave it in place."""
    for _ in range(20):
        await page.evaluate(f"{editor}.setValue({json.dumps(text)})")
        await asyncio.sleep(0.3)
        if await page.evaluate(f"{editor}.getValue()") == text:
            return
    raise DevToolsError(f"the editor {editor!r} would not keep {text!r}")


async def _run_query_through_the_ui(
    page: Page, graphql_url: str, query: str, headers: dict[str, str]
) -> str:
    await page.wait_for("!!document.querySelector('.graphiql-execute-button')")
    await page.wait_for(f"!!{QUERY_EDITOR}")
    # GraphiQL introspects on load and re-renders with the schema; type after that.
    await page.wait_until(lambda: ("Fetch", graphql_url) in page.responses, timeout=60)
    await page.evaluate("document.querySelector('button[data-name=\"headers\"]').click()")
    await page.wait_for(f"!!{TOOL_EDITOR}")
    await _type(page, TOOL_EDITOR, json.dumps(headers))
    await _type(page, QUERY_EDITOR, query)
    await page.evaluate("document.querySelector('.graphiql-execute-button').click()")
    try:
        return str(
            await page.wait_for(
                f"{RESULT}.getValue().includes('\"stats\"') && {RESULT}.getValue()", timeout=60
            )
        )
    except DevToolsError as error:
        shown = await page.evaluate(f"{RESULT}.getValue()")
        typed = await page.evaluate(f"{QUERY_EDITOR}.getValue()")
        raise DevToolsError(f"{error}; result pane: {shown!r}; query editor: {typed!r}") from None


def _left_the_machine(url: str, base_url: str) -> bool:
    return not (url.startswith((f"{base_url}/", "data:", "blob:", "about:")) or url == base_url)


async def test_graphiql_runs_query_offline_when_opened_in_chromium(
    live_server: LiveServer, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    chromium = require_executable("chromium", "apt-get install chromium, as .ci/run does")
    _add_profiles(session_factory, active=3, merged=2)

    async with launch(chromium, tmp_path / "profile") as browser:
        page = await browser.new_page()
        await page.send("Page.navigate", url=live_server.graphql_url)
        try:
            shown = await _run_query_through_the_ui(
                page, live_server.graphql_url, QUERY, live_server.auth_headers
            )
            tabs = await page.evaluate("document.querySelectorAll('.graphiql-tab').length")
        finally:
            await page.screenshot(tmp_path / "graphiql.png")

    assert json.loads(shown) == {"data": {"stats": {"profiles": 3, "sourceRecords": 0}}}
    assert tabs == len(EXAMPLES)
    base = live_server.base_url
    assert page.exceptions == []
    # An HTTP error status from this server (say 401 before the key is typed) is not a fault
    # of the page; anything else logged as an error (a blocked or failed load, a policy
    # violation, a script error) is.
    assert [
        e for e in page.log_errors if not (e.source == "network" and e.url.startswith(base))
    ] == []
    local = [url for url in page.requests if url.startswith(live_server.base_url)]
    assert any(url.endswith("/graphiql.min.js") for url in local), page.requests
    assert f"{live_server.graphql_url}" in local
    assert [url for url in page.requests if _left_the_machine(url, live_server.base_url)] == []


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_graphiql_page_loads_only_local_assets_when_served(live_server: LiveServer) -> None:
    page = httpx.get(f"{live_server.base_url}/graphiql", timeout=10)
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)

    assert page.status_code == 200
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert assets, page.text
    assert all(url.startswith(("/graphiql/static/", "data:", "/overview")) for url in assets)
    for url in assets:
        if url.startswith("/"):
            assert httpx.get(f"{live_server.base_url}{url}", timeout=10).status_code == 200, url


def test_vendored_assets_match_their_recorded_checksums() -> None:
    lines = (STATIC_DIR / "SHA256SUMS").read_text().splitlines()
    recorded = dict(reversed(line.split(maxsplit=1)) for line in lines)

    assert len(recorded) == 6
    for name, digest in recorded.items():
        assert hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest() == digest, name
