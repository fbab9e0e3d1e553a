"""Live changes on PostgreSQL travel many to a notification: every change arrives, in order,
in payloads under PostgreSQL's limit, sent only when the transaction commits."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from cdp.activation.live import CHANNEL, MAX_PAYLOAD, LiveChange, payloads, publish
from cdp.db import unit_of_work


def _changes(count: int) -> list[LiveChange]:
    return [
        LiveChange("segment.entered", f"p_{n:020d}", "2026-12-07T10:00:00+00:00", "买家 VIP")
        for n in range(count)
    ]


def test_payloads_are_json_arrays_under_the_limit_holding_every_change_in_order() -> None:
    changes = _changes(1_000)

    found = payloads(changes)

    assert 1 < len(found) < 100
    assert all(len(p.encode()) <= MAX_PAYLOAD for p in found)
    assert [c for p in found for c in LiveChange.from_payload(p)] == changes
    assert LiveChange.from_payload(changes[0].to_json()) == changes[:1]  # one change alone
    assert payloads([]) == []


def test_a_committed_transaction_notifies_every_change_and_a_rolled_back_one_none(
    db_url: str, session_factory: sessionmaker[Session]
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("NOTIFY is PostgreSQL's (SQLite hands changes to this process's hubs)")
    url = make_url(db_url).set(drivername="postgresql")
    listener = psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)
    listener.execute(f"LISTEN {CHANNEL}")
    changes = _changes(500)

    with unit_of_work(session_factory) as session:
        publish(session, changes)
    with session_factory() as session:
        publish(session, _changes(3))
        session.rollback()
    received = [
        change
        for notice in listener.notifies(timeout=5, stop_after=len(payloads(changes)))
        for change in LiveChange.from_payload(notice.payload)
    ]
    extra = list(listener.notifies(timeout=0.5))
    listener.close()

    assert received == changes
    assert extra == []
