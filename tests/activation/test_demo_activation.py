"""The demo declares a webhook destination on its own receiver and the two basic flows."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from cdp.activation import load_destinations
from cdp.activation._sender import Outgoing
from cdp.activation.flow_spec import load_flows
from cdp.activation.webhook import WebhookSender
from cdp.commands.demo import DEMO_SECRET_ENV, _activation
from cdp.config import Settings


def test_the_demo_declares_both_flows_and_receives_signed_deliveries_when_it_serves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(DEMO_SECRET_ENV, raising=False)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1] - 1

    settings = _activation(
        Settings(sources_file=tmp_path / "absent.toml"), tmp_path, "127.0.0.1", port
    )
    flows, activation = load_flows(settings.sources_file)
    destinations = load_destinations(settings.sources_file, os.environ)
    hook = destinations["demo_webhook"]
    sender = WebhookSender(hook.config["url"], os.environ[DEMO_SECRET_ENV], httpx.Client())
    item = Outgoing(1, "dlv_demo", "flow.message", {"message": "welcome"}, None,
                    datetime.now(UTC), 1)  # fmt: skip
    outcomes = sender.send([item, item])
    sender.close()
    listed = httpx.get(f"http://127.0.0.1:{port + 1}/").json()

    assert sorted(flows) == ["browse_abandonment", "welcome"]
    assert activation.max_messages_per_day == 3
    assert [o.status for o in outcomes] == ["delivered", "delivered"]
    assert [d["id"] for d in listed] == ["dlv_demo"]  # the second copy was dropped by its id
