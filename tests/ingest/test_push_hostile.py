"""Push endpoints under hostile or careless clients: a bad message is rejected alone, a body
never makes a 500, gzip is decoded within a limit, errors have the shape SDKs read, and
`timestamp` is optional with clock skew taken out (SQLite and PostgreSQL)."""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from cdp import models
from cdp.app import create_app
from cdp.config import Settings
from cdp.web.push import MAX_BODY_BYTES
from tests.ingest.conftest import counts
from tests.ingest.test_push import _write_key


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def key(session_factory: sessionmaker[Session]) -> str:
    return _write_key(session_factory, "web", "web.segment", "web")


def _track(message_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "track",
        "messageId": message_id,
        "userId": "u-1",
        "event": "Clicked",
        "timestamp": "2026-01-05T10:00:00Z",
        **extra,
    }


def _assert_sdk_error_shape(body: dict[str, Any]) -> None:
    assert body["success"] is False
    assert isinstance(body["code"], str)
    assert body["code"]
    assert isinstance(body["message"], str)
    assert body["message"]


def test_a_nul_in_one_message_rejects_it_alone_and_stores_the_rest(
    client: TestClient, key: str, session_factory: sessionmaker[Session]
) -> None:
    batch = [_track("a"), _track("nul", properties={"x": "a\u0000b"}), _track("b")]

    response = client.post("/v1/batch", json={"batch": batch}, auth=(key, ""))

    assert response.status_code == 200
    assert (response.json()["accepted"], response.json()["rejected"]) == (2, 1)
    (error,) = response.json()["errors"]
    assert error.startswith("push /v1/batch#1")
    assert "NUL" in error
    assert counts(session_factory)["records"] == 2
    assert counts(session_factory)["quarantine"] == 1


def test_deep_json_is_a_400_before_anything_and_a_deep_message_is_rejected_alone(
    client: TestClient, key: str, session_factory: sessionmaker[Session]
) -> None:
    body = b'{"batch":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    whole = client.post("/v1/batch", content=body)  # no key: still no 500
    nested: Any = 1
    for _ in range(200):
        nested = {"x": nested}
    one = client.post(
        "/v1/batch",
        json={"batch": [_track("deep", properties=nested), _track("ok")]},
        auth=(key, ""),
    )

    assert whole.status_code == 400
    _assert_sdk_error_shape(whole.json())
    assert "nested deeper" in whole.json()["message"]
    assert one.status_code == 200
    assert (one.json()["accepted"], one.json()["rejected"]) == (1, 1)
    assert "nested deeper than" in one.json()["errors"][0]


def test_gzip_bodies_are_decoded(
    client: TestClient, key: str, session_factory: sessionmaker[Session]
) -> None:
    body = gzip.compress(json.dumps({"batch": [_track("g1"), _track("g2")]}).encode())

    response = client.post(
        "/v1/batch", content=body, headers={"Content-Encoding": "gzip"}, auth=(key, "")
    )

    assert response.status_code == 200
    assert response.json()["accepted"] == 2
    assert counts(session_factory)["records"] == 2


def test_a_zip_bomb_is_a_413_and_a_broken_gzip_a_400(client: TestClient, key: str) -> None:
    inflates = b'{"batch": [' + b" " * (MAX_BODY_BYTES + 10) + b"]}"
    bomb = gzip.compress(inflates, compresslevel=9)
    assert len(bomb) < MAX_BODY_BYTES // 100

    too_big = client.post(
        "/v1/batch", content=bomb, headers={"Content-Encoding": "gzip"}, auth=(key, "")
    )
    broken = client.post(
        "/v1/batch", content=b"\x1f\x8bnot gzip", headers={"Content-Encoding": "gzip"}
    )
    deflated = client.post(
        "/v1/batch",
        content=zlib.compress(json.dumps({"batch": [_track("d")]}).encode()),
        headers={"Content-Encoding": "deflate"},
        auth=(key, ""),
    )

    assert too_big.status_code == 413
    _assert_sdk_error_shape(too_big.json())
    assert too_big.json()["code"] == "payload_too_large"
    assert broken.status_code == 400
    _assert_sdk_error_shape(broken.json())
    assert deflated.json()["accepted"] == 1


@pytest.mark.parametrize(
    ("path", "content", "auth", "status"),
    [
        ("/v1/batch", b"{nope", True, 400),
        ("/v1/batch", b'{"batch": []}', False, 401),
        ("/v1/nosuch", b"{}", True, 404),
        ("/v1/batch", b'{"batch": 1}', True, 400),
        ("/v1/batch", b'{"batch": [{"type": "track"}]}', True, 400),
    ],
    ids=["not-json", "no-key", "unknown-call", "not-a-list", "all-rejected"],
)
def test_every_error_answer_has_the_code_and_message_sdks_read(
    client: TestClient, key: str, path: str, content: bytes, auth: bool, status: int
) -> None:
    response = client.post(path, content=content, auth=(key, "") if auth else None)

    assert response.status_code == status
    _assert_sdk_error_shape(response.json())


def test_identify_without_timestamp_takes_the_receive_time(
    client: TestClient, key: str, session_factory: sessionmaker[Session]
) -> None:
    before = datetime.now(UTC)

    response = client.post(
        "/v1/identify",
        json={"userId": "u-7", "messageId": "no-ts", "traits": {"email": "x@example.com"}},
        auth=(key, ""),
    )

    assert response.status_code == 200, response.json()
    with session_factory() as session:
        record = session.scalar(select(models.SourceRecord))
    assert record is not None
    occurred = record.occurred_at.replace(tzinfo=record.occurred_at.tzinfo or UTC)
    assert before - timedelta(seconds=1) <= occurred <= datetime.now(UTC) + timedelta(seconds=1)
    assert "receivedAt" in record.payload


def test_clock_skew_is_taken_out_with_sent_at(
    client: TestClient, key: str, session_factory: sessionmaker[Session]
) -> None:
    # The client's clock runs a year and ten seconds behind: it says it sent the batch ten
    # seconds after the event, by its own clock.
    client_now = datetime.now(UTC) - timedelta(days=365)
    message = _track("skew", timestamp=(client_now - timedelta(seconds=10)).isoformat())
    body = {"batch": [message], "sentAt": client_now.isoformat()}
    received = datetime.now(UTC)

    response = client.post("/v1/batch", json=body, auth=(key, ""))

    assert response.json()["accepted"] == 1
    with session_factory() as session:
        record = session.scalar(select(models.SourceRecord))
    assert record is not None
    occurred = record.occurred_at.replace(tzinfo=record.occurred_at.tzinfo or UTC)
    assert abs((occurred - (received - timedelta(seconds=10))).total_seconds()) < 3
    assert record.payload["originalTimestamp"] == message["timestamp"]


def test_a_resent_message_is_a_duplicate_though_its_receive_time_differs(
    client: TestClient, key: str, session_factory: sessionmaker[Session]
) -> None:
    body = {"batch": [_track("once", timestamp=None)], "sentAt": datetime.now(UTC).isoformat()}

    first = client.post("/v1/batch", json=body, auth=(key, ""))
    again = client.post("/v1/batch", json=body, auth=(key, ""))

    assert first.json()["accepted"] == 1
    assert (again.json()["accepted"], again.json()["duplicates"]) == (1, 1)
    assert counts(session_factory)["records"] == 1


def test_a_message_the_database_refuses_is_rejected_alone(
    client: TestClient, key: str, session_factory: sessionmaker[Session], backend: str
) -> None:
    # PostgreSQL refuses an event name over 200 characters (SQLite does not check lengths).
    batch = [_track("a"), _track("long", event="E" * 230), _track("b")]

    response = client.post("/v1/batch", json={"batch": batch}, auth=(key, ""))

    assert response.status_code == 200
    if backend == "postgresql":
        assert (response.json()["accepted"], response.json()["rejected"]) == (2, 1)
        assert "database refused" in response.json()["errors"][0]
        assert response.json()["errors"][0].startswith("push /v1/batch#1")
        assert counts(session_factory)["quarantine"] == 1
    else:
        assert response.json()["accepted"] == 3
