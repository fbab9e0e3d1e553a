"""Segment entries and exits made by a refresh reach the outbox (for the destinations that want
them) and the webhook; a refresh that rolls back writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from cdp import models, refresh
from cdp.activation import Worker
from cdp.db import unit_of_work
from cdp.segments import SegmentSpec, create_segment
from tests.activation.conftest import make_destination, make_profile
from tests.activation.receivers import WebhookReceiver

VIEWERS = {
    "conditions": [
        {"event": {"name": "Product Viewed", "count": {"op": "gte", "value": 1},
                   "window": {"lastDays": 30}}}
    ]
}  # fmt: skip


def _viewed(session: Session, profile_id: str, when: datetime) -> None:
    session.add(
        models.Event(record_id=1, source_id=1, profile_id=profile_id, channel="web",
                     type="track", name="Product Viewed", occurred_at=when, properties={})
    )  # fmt: skip


def _outbox(factory: sessionmaker[Session]) -> list[tuple[str, str | None, str]]:
    with factory() as session:
        rows = session.scalars(select(models.OutboxEntry).order_by(models.OutboxEntry.id))
        return [(r.topic, r.profile_id, r.payload["segment"]) for r in rows]


def test_entries_and_exits_reach_the_webhook_when_a_refresh_changes_membership(
    session_factory: sessionmaker[Session],
    receiver: WebhookReceiver,
    make_worker: Callable[..., Worker],
) -> None:
    with unit_of_work(session_factory) as session:
        make_destination(session, receiver.url, events=[], segments=["viewers"])  # type: ignore[attr-defined]
        create_segment(session, SegmentSpec(name="viewers", definition=VIEWERS), actor="test")
        make_segment_ignored = SegmentSpec(name="others", definition=VIEWERS)
        create_segment(session, make_segment_ignored, actor="test")
        make_profile(session, "p1")
        _viewed(session, "p1", datetime.now(UTC))
    with unit_of_work(session_factory) as session:
        refresh.refresh_profiles(session, ["p1"])
    with unit_of_work(session_factory) as session:
        session.execute(
            update(models.Event).values(occurred_at=datetime.now(UTC) - timedelta(days=60))
        )
        refresh.refresh_profiles(session, ["p1"])

    make_worker(session_factory).tick()

    assert _outbox(session_factory) == [
        ("segment.entered", "p1", "viewers"),
        ("segment.exited", "p1", "viewers"),
    ]
    assert [(b["type"], b["data"]["segment"]) for b in receiver.received.values()] == [
        ("segment.entered", "viewers"),
        ("segment.exited", "viewers"),
    ]


def test_nothing_is_captured_when_the_refresh_rolls_back(
    session_factory: sessionmaker[Session], receiver: WebhookReceiver
) -> None:
    with unit_of_work(session_factory) as session:
        make_destination(session, receiver.url, events=[], segments=["*"])  # type: ignore[attr-defined]
        create_segment(session, SegmentSpec(name="viewers", definition=VIEWERS), actor="test")
        make_profile(session, "p1")
        _viewed(session, "p1", datetime.now(UTC))

    with pytest.raises(RuntimeError), unit_of_work(session_factory) as session:
        refresh.refresh_profiles(session, ["p1"])
        raise RuntimeError("the change failed")

    assert _outbox(session_factory) == []


def test_a_listed_trait_change_reaches_the_outbox_when_a_refresh_recomputes_it(
    session_factory: sessionmaker[Session], receiver: WebhookReceiver
) -> None:
    with unit_of_work(session_factory) as session:
        make_destination(session, receiver.url, events=[], traits=["order_count"])  # type: ignore[attr-defined]
        make_profile(session, "p1")
        stale = models.ProfileTraits(profile_id="p1", as_of=datetime.now(UTC), order_count=5)
        session.add(stale)
    with unit_of_work(session_factory) as session:
        refresh.refresh_profiles(session, ["p1"])
        refresh.refresh_profiles(session, ["p1"])  # unchanged the second time: nothing more

    with session_factory() as session:
        entries = session.scalars(select(models.OutboxEntry)).all()
        assert [(e.topic, e.payload) for e in entries] == [
            ("trait.changed", {"trait": "order_count", "old": 5, "new": 0}),
        ]
