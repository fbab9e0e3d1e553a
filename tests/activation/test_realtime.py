"""End to end through the real interfaces: a push to the tracking API of a live server, the
worker embedded in it, a webhook receiver on 127.0.0.1 (both databases)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from cdp.app import create_app
from cdp.config import Settings
from cdp.db import unit_of_work
from cdp.services import keys
from ingest import ensure_source
from tests.activation.conftest import SECRET
from tests.activation.receivers import WebhookReceiver, serve


@pytest.fixture
def server_url(
    settings: Settings, receiver: WebhookReceiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    monkeypatch.setenv("CDP_TEST_HOOK_SECRET", SECRET)
    toml = tmp_path / "cdp.toml"
    toml.write_text(
        "[destinations.hook]\n"
        'kind = "webhook"\n'
        f'url = "{receiver.url}"\n'  # type: ignore[attr-defined]
        'secret_env = "CDP_TEST_HOOK_SECRET"\n'
        'events = ["Signed Up"]\n'
    )
    app = create_app(settings.replace(sources_file=toml, embedded_worker=True))
    with serve(app, lifespan="on") as url:
        yield url


def test_a_pushed_event_reaches_the_webhook_when_the_worker_runs_in_the_server(
    server_url: str, session_factory: sessionmaker[Session], receiver: WebhookReceiver
) -> None:
    with unit_of_work(session_factory) as session:
        ensure_source(session, name="web", channel="web", adapter="web.segment", config={})
        key = keys.create_key(session, role="write", name="push", source_name="web").key
    now = datetime.now(UTC).isoformat()
    batch = [
        {"type": "identify", "messageId": "m1", "userId": "u-1", "timestamp": now,
         "traits": {"email": "grace@example.com", "firstName": "Grace"}},
        {"type": "track", "messageId": "m2", "userId": "u-1", "event": "Signed Up",
         "timestamp": now, "properties": {"plan": "pro"}},
        {"type": "track", "messageId": "m3", "userId": "u-1", "event": "Ignored",
         "timestamp": now},
        {"type": "track", "messageId": "m4", "userId": "u-1", "event": "Signed Up",
         "timestamp": "2020-01-01T00:00:00Z"},
    ]  # fmt: skip

    response = httpx.post(f"{server_url}/v1/batch", json={"batch": batch}, auth=(key, ""))
    receiver.wait_for(1)
    time.sleep(0.5)  # anything else (the ignored event, the old one) would have come by now

    assert response.json()["accepted"] == 4
    [body] = receiver.received.values()
    assert body["data"]["event"]["name"] == "Signed Up"
    assert body["data"]["event"]["properties"] == {"plan": "pro"}
    assert body["profile"]["email"] == "grace@example.com"
