"""The real Segment and RudderStack Python SDKs, unchanged and with their defaults (RudderStack
gzips by default; Segment's is tried with and without `gzip=True`), send to a live server.

Both SDKs post `/v1/batch` with the write key as the Basic user, read `code` and `message`
from an error answer, give up on a 4xx and retry a 5xx: a server that answered gzip with a
400 lacking `code` made RudderStack's `flush()` retry for ever. Each flush here runs on a
thread that must finish within a bound, so a regression fails instead of hanging.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from rudderstack.analytics.client import Client as RudderClient
from segment.analytics.client import Client as SegmentClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from tests.ingest.test_push import _write_key
from tests.web.conftest import LiveServer, admin_key, live_server  # noqa: F401 (fixtures)

_FLUSH_BOUND_SECONDS = 60


def _flushed(client: Any) -> None:
    done = threading.Thread(target=client.flush, daemon=True)
    done.start()
    done.join(_FLUSH_BOUND_SECONDS)
    assert not done.is_alive(), "flush() did not return: the SDK is retrying"


def _send(client: Any, run: str) -> None:
    client.identify(f"user-{run}", {"email": f"{run}@example.com", "firstName": "Ada"})
    client.track(f"user-{run}", "Signed Up", {"plan": "pro"})
    client.track(f"user-{run}", "Bad\u0000Name", {"x": 1})  # rejected alone, not retried
    client.page(f"user-{run}", "Docs", "Home", {"url": "https://example.com/"})


def _rudder(key: str, url: str, errors: list[Any]) -> Any:
    return RudderClient(key, host=url, on_error=lambda e, batch: errors.append(e))


def _segment(gzip: bool) -> Callable[[str, str, list[Any]], Any]:
    def make(key: str, url: str, errors: list[Any]) -> Any:
        return SegmentClient(key, host=url, gzip=gzip, on_error=lambda e, b: errors.append(e))

    return make


@pytest.mark.parametrize(
    "make",
    [_rudder, _segment(gzip=True), _segment(gzip=False)],
    ids=["rudderstack-defaults", "segment-gzip", "segment-defaults"],
)
def test_sdk_messages_are_stored_and_a_bad_one_rejected_alone(
    live_server: LiveServer,  # noqa: F811
    session_factory: sessionmaker[Session],
    make: Callable[[str, str, list[Any]], Any],
) -> None:
    key = _write_key(session_factory, "web", "web.segment", "web")
    errors: list[Any] = []
    client = make(key, live_server.base_url, errors)

    _send(client, "r1")
    _flushed(client)
    client.shutdown()

    assert errors == []  # the batch was accepted: the bad message is in the answer's errors
    with session_factory() as session:
        kinds = sorted(session.scalars(select(models.SourceRecord.kind)))
        quarantined = list(session.scalars(select(models.Quarantine.reason)))
        user = session.scalar(
            select(models.Identifier.value).where(models.Identifier.kind == "email")
        )
    assert kinds == ["event", "event", "profile"]
    assert len(quarantined) == 1
    assert "NUL" in quarantined[0]
    assert user == "r1@example.com"


def test_rudderstack_gives_up_on_a_refused_key_instead_of_retrying(
    live_server: LiveServer,  # noqa: F811
    session_factory: sessionmaker[Session],
) -> None:
    errors: list[Any] = []
    client = _rudder("cdp_not_a_key", live_server.base_url, errors)

    client.track("u", "E", {})
    _flushed(client)
    client.shutdown()

    assert len(errors) == 1
    assert getattr(errors[0], "status", None) == 401
    assert getattr(errors[0], "code", None) == "unauthorized"
