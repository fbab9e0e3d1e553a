"""Segment entries and exits made by a refresh reach the outbox (for the destinations that want
them) and the webhook; a refresh that rolls back writes nothing."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from cdp import models, refresh
from cdp.activation import Worker
from cdp.activation.actions import custom_traits
from cdp.activation.capture import segment_refresh
from cdp.activation.flow_spec import parse_flow
from cdp.activation.flows import sync_flows
from cdp.app import create_app
from cdp.cli import cli
from cdp.config import Settings
from cdp.db import unit_of_work
from cdp.segments import SegmentSpec, create_segment, refresh_all
from cdp.services.keys import create_key
from tests.activation.conftest import make_destination, make_profile
from tests.activation.receivers import WebhookReceiver

VIEWERS = {
    "conditions": [
        {"event": {"name": "Product Viewed", "count": {"op": "gte", "value": 1},
                   "window": {"lastDays": 30}}}
    ]
}  # fmt: skip


def _viewed(session: Session, profile_id: str, when: datetime, record_id: int = 1) -> None:
    session.add(
        models.Event(record_id=record_id, source_id=1, profile_id=profile_id, channel="web",
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


def test_a_time_window_refresh_from_the_cli_and_graphql_writes_entries_and_exits(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(session_factory) as session:
        make_destination(session, "http://127.0.0.1:9/hook", events=[], segments=["viewers"])
        spec = SegmentSpec(name="viewers", definition=VIEWERS)
        segment = create_segment(session, spec, actor="t")
        make_profile(session, "p1")
        make_profile(session, "p2", email="p2@example.com")
        _viewed(session, "p1", datetime.now(UTC))
        segment_id = segment.id
        key = create_key(session, role="analyst", name="a").key
    with unit_of_work(session_factory) as session:
        refresh.refresh_profiles(session, ["p1"])  # p1 enters through a profile refresh
    with unit_of_work(session_factory) as session:  # time passes: p1's view leaves the window
        session.execute(
            update(models.Event).values(occurred_at=datetime.now(UTC) - timedelta(days=60))
        )
        _viewed(session, "p2", datetime.now(UTC), record_id=2)  # stored, p2 not refreshed

    env = {"CDP_DATABASE_URL": settings.database_url, "CDP_SOURCES_FILE": str(tmp_toml())}
    result = CliRunner().invoke(cli, ["segments", "refresh", "viewers"], env=env)
    assert result.exit_code == 0, result.output
    with unit_of_work(session_factory) as session:  # and p2's view leaves it too
        session.execute(
            update(models.Event).values(occurred_at=datetime.now(UTC) - timedelta(days=60))
        )
    with TestClient(create_app(settings.replace(embedded_worker=False))) as client:
        body = client.post(
            "/graphql",
            json={"query": f'mutation {{ refreshSegment(id: "{segment_id}") {{ __typename }} }}'},
            headers={"Authorization": f"Bearer {key}"},
        ).json()

    assert body["data"]["refreshSegment"]["__typename"] == "Segment"
    assert _outbox(session_factory) == [
        ("segment.entered", "p1", "viewers"),  # refresh_profiles
        ("segment.entered", "p2", "viewers"),  # cdp segments refresh
        ("segment.exited", "p1", "viewers"),
        ("segment.exited", "p2", "viewers"),  # refreshSegment
    ]


def test_a_segment_a_flow_starts_on_is_captured_without_a_destination_listing_it(
    session_factory: sessionmaker[Session], make_worker: Callable[..., Worker]
) -> None:
    flow = {"trigger": {"segment": "viewers"}, "steps": [{"set_trait": "viewer", "value": True}]}
    with unit_of_work(session_factory) as session:
        create_segment(session, SegmentSpec(name="viewers", definition=VIEWERS), actor="test")
        sync_flows(session, {"on_view": parse_flow("on_view", flow)})
        make_profile(session, "p1")
        _viewed(session, "p1", datetime.now(UTC))
    with unit_of_work(session_factory) as session, segment_refresh(session) as at:
        refresh_all(session, now=at)

    make_worker(session_factory).tick()

    assert _outbox(session_factory) == [("segment.entered", "p1", "viewers")]
    with session_factory() as session:
        assert custom_traits(session, ["p1"]) == {"p1": {"viewer": True}}


def tmp_toml() -> Path:
    """An empty cdp.toml (the CLI reads one)."""
    path = Path(tempfile.mkdtemp()) / "cdp.toml"
    path.write_text("")
    return path
