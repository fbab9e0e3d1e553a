from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from cdp import models
from cdp.app import create_app
from cdp.config import Settings
from cdp.db import unit_of_work
from cdp.services import keys
from ingest import ensure_source
from tests.ingest.conftest import FIXTURES, counts


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


def _write_key(
    session_factory: sessionmaker[Session], source: str, adapter: str, channel: str
) -> str:
    with unit_of_work(session_factory) as session:
        ensure_source(session, name=source, channel=channel, adapter=adapter, config={})
        return keys.create_key(session, role="write", name="push", source_name=source).key


def _messages() -> list[dict[str, object]]:
    lines = (FIXTURES / "web.segment" / "events.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def test_segment_batch_is_accepted_with_counts_when_write_key_is_basic_user(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    key = _write_key(session_factory, "web", "web.segment", "web")
    batch = [*_messages(), {"type": "track", "messageId": "bad", "userId": "u", "event": "E",
                            "timestamp": "yesterday"}]  # fmt: skip

    response = client.post("/v1/batch", json={"batch": batch}, auth=(key, ""))
    again = client.post("/v1/batch", json={"batch": batch}, auth=(key, ""))

    assert response.status_code == 200
    assert response.json()["accepted"] == 7
    assert response.json()["rejected"] == 1
    assert "timestamp" in response.json()["errors"][0]
    assert (again.json()["accepted"], again.json()["duplicates"]) == (7, 7)
    assert counts(session_factory)["records"] == 7
    assert counts(session_factory)["quarantine"] == 1  # the resent bad message is kept once


def test_single_track_call_takes_its_type_from_the_path(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    key = _write_key(session_factory, "web", "web.segment", "web")
    message = {"messageId": "t-1", "anonymousId": "a-1", "event": "Clicked",
               "timestamp": "2026-01-05T10:00:00Z", "properties": {"x": 1}}  # fmt: skip

    response = client.post("/v1/track", json=message, auth=(key, ""))

    assert response.json() == {
        "success": True, "accepted": 1, "rejected": 0, "duplicates": 0, "suppressed": 0,
        "errors": [],
    }  # fmt: skip
    with session_factory() as session:
        event = session.scalar(select(models.Event))
    assert event is not None
    assert (event.type, event.name, event.channel) == ("track", "Clicked", "web")


@pytest.mark.parametrize(
    ("auth", "status"),
    [(None, 401), (("cdp_nope_nope", ""), 401)],
    ids=["missing", "unknown"],
)
def test_push_is_refused_without_a_valid_write_key(
    client: TestClient, auth: tuple[str, str] | None, status: int
) -> None:
    response = client.post("/v1/track", json={}, auth=auth)

    assert response.status_code == status
    assert response.json()["success"] is False


def test_write_key_of_another_source_kind_is_forbidden(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    key = _write_key(session_factory, "mail", "email.sendgrid", "email")

    response = client.post("/v1/track", json={"messageId": "x"}, auth=(key, ""))

    assert response.status_code == 403
    assert "'email.sendgrid'" in response.json()["error"]


def test_sendgrid_webhook_stores_events_and_consent_changes(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    key = _write_key(session_factory, "mail", "email.sendgrid", "email")
    events = json.loads((FIXTURES / "email.sendgrid" / "events.json").read_text())

    response = client.post("/webhooks/sendgrid", json=events, auth=(key, ""))

    assert response.json()["accepted"] == 11
    with session_factory() as session:
        consents = session.execute(
            select(models.Consent.purpose, models.Consent.status).order_by(models.Consent.id)
        ).all()
    assert [tuple(c) for c in consents] == [
        ("email_marketing", "revoked"),
        ("email_marketing", "revoked"),
        ("email_marketing", "granted"),
        ("email_marketing", "revoked"),
    ]
    assert counts(session_factory)["events"] == 11


def test_malformed_body_is_a_400_naming_the_problem(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    key = _write_key(session_factory, "web", "web.segment", "web")

    response = client.post("/v1/batch", content=b"{nope", auth=(key, ""))

    assert response.status_code == 400
    assert "not JSON" in response.json()["error"]


def test_analytics_js_short_path_with_write_key_in_body_is_accepted(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    key = _write_key(session_factory, "web", "web.segment", "web")
    message = {"writeKey": key, "messageId": "p-1", "anonymousId": "a-1",
               "timestamp": "2026-01-05T10:00:00Z", "properties": {"path": "/"}}  # fmt: skip

    response = client.post("/v1/p", json=message)

    assert response.json()["accepted"] == 1
    with session_factory() as session:
        record = session.scalar(select(models.SourceRecord))
    assert record is not None
    assert record.kind == "event"
    assert "writeKey" not in record.payload


def test_oversized_message_is_rejected_and_kept_in_quarantine(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    key = _write_key(session_factory, "web", "web.segment", "web")
    big = {"type": "track", "messageId": "big", "userId": "u", "event": "E",
           "timestamp": "2026-01-05T10:00:00Z", "properties": {"x": "x" * 1_100_000}}  # fmt: skip

    response = client.post("/v1/batch", json={"batch": [big]}, auth=(key, ""))

    assert response.status_code == 400
    assert response.json()["rejected"] == 1
    assert "oversized" in response.json()["errors"][0]
    assert counts(session_factory)["quarantine"] == 1
