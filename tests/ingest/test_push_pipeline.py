"""A push is answered once its records are stored; the server's background resolver then
resolves them in batches (`cdp.web.resolver`, `cdp.pending`). Both databases; tests wait for
the pipeline through `BackgroundResolver.wait_idle`, never by sleeping."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

import cdp.pending
from cdp import models
from cdp.app import create_app
from cdp.config import Settings
from cdp.db import unit_of_work
from cdp.pending import LOCK_KEY
from cdp.web.resolver import BackgroundResolver
from ingest.adapters import SegmentAdapter
from ingest.runner import run_ingest
from tests.activation.conftest import make_destination
from tests.ingest.test_push import _write_key


def _messages(people: int, *, prefix: str = "m") -> list[dict[str, object]]:
    now = datetime.now(UTC).isoformat()
    found: list[dict[str, object]] = []
    for i in range(people):
        found.append({"type": "identify", "messageId": f"{prefix}-id-{i}", "userId": f"u-{i}",
                      "timestamp": now, "traits": {"email": f"person{i}@example.com"}})  # fmt: skip
        found.append({"type": "track", "messageId": f"{prefix}-tr-{i}", "userId": f"u-{i}",
                      "event": "Signed Up", "timestamp": now})  # fmt: skip
    return found


def _pending(session_factory: sessionmaker[Session]) -> int:
    with session_factory() as session:
        sr = models.SourceRecord
        return int(session.scalar(select(func.count()).where(sr.resolved_at.is_(None))) or 0)


def _captured(session_factory: sessionmaker[Session]) -> list[int]:
    """The record ids of the `event` outbox entries (one per captured event)."""
    with session_factory() as session:
        payloads = session.scalars(
            select(models.OutboxEntry.payload).where(models.OutboxEntry.topic == "event")
        )
        return sorted(p["record_id"] for p in payloads)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


def test_pushed_records_are_resolved_and_their_events_captured_in_the_background(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    key = _write_key(session_factory, "web", "web.segment", "web")
    with unit_of_work(session_factory) as session:
        make_destination(session, "http://127.0.0.1:9/hook")

    response = client.post("/v1/batch", json={"batch": _messages(3)}, auth=(key, ""))
    assert client.app.state.resolver.wait_idle()  # type: ignore[attr-defined]

    assert response.json()["accepted"] == 6
    assert _pending(session_factory) == 0
    with session_factory() as session:
        profiles = session.scalar(select(func.count()).select_from(models.Profile))
        traits = session.scalar(select(func.count()).select_from(models.ProfileTraits))
    assert (profiles, traits) == (3, 3)
    assert len(_captured(session_factory)) == 3  # each Signed Up once, for the destination


@pytest.mark.postgresql
def test_a_push_is_answered_while_another_process_holds_resolution(
    backend: str, client: TestClient, session_factory: sessionmaker[Session], db_url: str
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite has one writer: a push waits for the database's write lock")
    key = _write_key(session_factory, "web", "web.segment", "web")
    other = create_engine(db_url)
    try:
        with other.connect() as holder:
            holder.execute(text(f"SELECT pg_advisory_lock({LOCK_KEY})"))
            response = client.post("/v1/batch", json={"batch": _messages(2)}, auth=(key, ""))
            stored_then = _pending(session_factory)
            holder.execute(text(f"SELECT pg_advisory_unlock({LOCK_KEY})"))
    finally:
        other.dispose()
    assert client.app.state.resolver.wait_idle()  # type: ignore[attr-defined]

    assert response.json()["accepted"] == 4
    assert stored_then == 4  # answered with the records stored, none resolved yet
    assert _pending(session_factory) == 0


def _stored_unresolved(session_factory: sessionmaker[Session], path: Path, people: int) -> None:
    with path.open("w") as out:
        for message in _messages(people):
            out.write(json.dumps(message) + "\n")
    run_ingest(session_factory, SegmentAdapter(files=[path]), source="web")  # no resolution


def test_two_resolvers_never_resolve_a_record_twice(
    settings: Settings, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    _stored_unresolved(session_factory, tmp_path / "web.jsonl", 60)
    with unit_of_work(session_factory) as session:
        make_destination(session, "http://127.0.0.1:9/hook")
    resolvers = [BackgroundResolver(settings, batch=7) for _ in range(2)]
    for resolver in resolvers:
        resolver.start()
    try:
        assert all(resolver.wait_idle() for resolver in resolvers)
    finally:
        for resolver in resolvers:
            resolver.stop()

    assert _pending(session_factory) == 0
    captured = _captured(session_factory)
    assert len(captured) == len(set(captured)) == 60  # no event captured twice
    assert sum(r.resolved for r in resolvers) == 120
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(models.Profile)) == 60


def test_a_record_that_fails_alone_is_set_aside_and_the_others_resolved(
    settings: Settings,
    session_factory: sessionmaker[Session],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _stored_unresolved(session_factory, tmp_path / "web.jsonl", 10)
    with session_factory() as session:
        poison = sorted(session.scalars(select(models.SourceRecord.id)))[5]
    real = cdp.pending.identity.resolve_records

    def failing(session: Session, ids: list[int], **kwargs: object) -> object:
        if poison in ids:
            raise RuntimeError(f"cannot resolve record {poison}")
        return real(session, ids, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cdp.pending.identity, "resolve_records", failing)
    monkeypatch.setattr("cdp.web.resolver.FAILED_PAUSE", 0.0)
    resolver = BackgroundResolver(settings, batch=8)
    resolver.start()
    try:
        assert resolver.wait_idle()
    finally:
        resolver.stop()

    assert resolver.skip == {poison}
    with session_factory() as session:
        left = list(
            session.scalars(
                select(models.SourceRecord.id).where(models.SourceRecord.resolved_at.is_(None))
            )
        )
    assert left == [poison]  # still stored, pending for the next start
