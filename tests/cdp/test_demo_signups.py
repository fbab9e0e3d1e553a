"""The demo's sign-ups: pushed through the tracking API of a live server with the demo's own
activation (a webhook destination and the welcome flow), they enter the welcome flow, get the
first message and wait for the next one (both databases)."""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from cdp.app import create_app
from cdp.commands._demo_signups import KEY_FILE, SIGNUPS, push_signups, web_write_key
from cdp.commands.demo import DEMO_ACTIVATION
from cdp.config import Settings
from cdp.db import unit_of_work
from ingest import ensure_source
from tests.activation.conftest import SECRET
from tests.activation.receivers import WebhookReceiver, serve

RUNS = 'query { flowRuns(flow: "welcome", first: 50) { profileId status step log } }'


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    found = WebhookReceiver(SECRET)
    with serve(found.app()) as url:
        found.url = f"{url}/hook"  # type: ignore[attr-defined]
        yield found


@pytest.fixture
def demo_server(
    settings: Settings, receiver: WebhookReceiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    monkeypatch.setenv("CDP_DEMO_TEST_SECRET", SECRET)
    toml = tmp_path / "activation.toml"
    url = receiver.url  # type: ignore[attr-defined]
    toml.write_text(DEMO_ACTIVATION.format(url=url, secret_env="CDP_DEMO_TEST_SECRET"))
    app = create_app(settings.replace(sources_file=toml, embedded_worker=True, open_mode=True))
    with serve(app, lifespan="on") as base_url:
        yield base_url


def _settled(runs: list[dict[str, Any]]) -> bool:
    """Every run is in the holdout or has taken its first steps (sent, then waits)."""
    return all(run["status"] != "waiting" or run["step"] > 0 for run in runs)


def _runs(base_url: str, expected: int, timeout: float = 60) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        response = httpx.post(f"{base_url}/graphql", json={"query": RUNS}, timeout=30)
        runs: list[dict[str, Any]] = response.json()["data"]["flowRuns"]
        if (len(runs) >= expected and _settled(runs)) or time.monotonic() > deadline:
            return runs
        time.sleep(0.1)


def test_todays_signups_enter_the_welcome_flow_once(
    demo_server: str,
    session_factory: sessionmaker[Session],
    receiver: WebhookReceiver,
    tmp_path: Path,
) -> None:
    with unit_of_work(session_factory) as session:
        ensure_source(session, name="web", channel="web", adapter="web.segment", config={})
    key = web_write_key(session_factory, tmp_path)

    first = push_signups(demo_server, key)
    runs = _runs(demo_server, len(SIGNUPS))
    again = push_signups(demo_server, key)  # the same day: the same message ids

    assert first["accepted"] == 2 * len(SIGNUPS)
    assert again["accepted"] == 2 * len(SIGNUPS)
    assert len(runs) == len(SIGNUPS)  # one person each, entered once
    assert len({run["profileId"] for run in runs}) == len(SIGNUPS)
    waiting = [run for run in runs if run["status"] == "waiting"]
    assert {run["status"] for run in runs} <= {"waiting", "holdout"}
    assert waiting  # a 10% holdout cannot take all five (deterministic by profile id)
    for run in waiting:  # welcomed, then waiting a day for the recommendations
        assert run["step"] == 2
        assert [entry["did"] for entry in run["log"]][1:] == [
            "sent 'welcome' to 'demo_webhook'",
            "waits 1 day",
        ]
    receiver.wait_for(len(waiting))
    welcomed = {body["profile"]["email"] for body in receiver.received.values()}
    assert all(email.endswith("@example.com") for email in welcomed)
    assert _runs(demo_server, len(SIGNUPS) + 1, timeout=1) == runs  # nobody entered twice


def test_the_write_key_is_kept_beside_the_world_and_reused(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    with unit_of_work(session_factory) as session:
        ensure_source(session, name="web", channel="web", adapter="web.segment", config={})

    key = web_write_key(session_factory, tmp_path)
    again = web_write_key(session_factory, tmp_path)
    (tmp_path / KEY_FILE).write_text("cdp_0000_revoked-or-from-another-database\n")
    replaced = web_write_key(session_factory, tmp_path)

    assert again == key
    assert replaced != key
    assert (tmp_path / KEY_FILE).read_text().strip() == replaced
    assert stat.S_IMODE(os.stat(tmp_path / KEY_FILE).st_mode) == 0o600
