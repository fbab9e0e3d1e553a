"""Automated marketing flows run by the worker, against a real webhook receiver."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from cdp.activation import Change, Worker
from cdp.activation.flow_spec import ActivationSettings, parse_flow
from cdp.activation.flows import FlowRunner, flow_stats, sync_flows
from cdp.db import unit_of_work
from cdp.errors import ConfigError
from tests.activation.conftest import emit_changes, make_destination, make_profile
from tests.activation.receivers import WebhookReceiver

MakeWorker = Callable[..., Worker]
WELCOME = {
    "trigger": {"event": "Signed Up"},
    "goal": "Order Completed",
    "steps": [
        {"send": "hook", "message": "welcome"},
        {"wait": "1 hour"},
        {"send": "hook", "message": "recommendations", "include": ["traits", "recommendations"]},
    ],
}
BROWSE = {
    "trigger": {"event": "Product Viewed"},
    "reenter": True,
    "steps": [
        {"wait": "4 hours"},
        {"unless_event": "Order Completed"},
        {"send": "hook", "message": "browse_abandonment", "include": ["trigger"]},
    ],
}


def _setup(factory: sessionmaker[Session], url: str, flows: dict[str, Any], **dest: Any) -> None:
    with unit_of_work(factory) as session:
        make_destination(session, url, events=[], **dest)
        sync_flows(session, {name: parse_flow(name, table) for name, table in flows.items()})


def _event(name: str, profile_id: str = "p1", **properties: Any) -> Change:
    return Change("event", profile_id, {"event": {"name": name, "properties": properties}})


def _runs(factory: sessionmaker[Session]) -> list[models.FlowRun]:
    with factory() as session:
        return list(session.scalars(select(models.FlowRun).order_by(models.FlowRun.id)))


def _time_passes(factory: sessionmaker[Session], hours: float) -> None:
    """Move every wait and every run's entry back by `hours` (instead of sleeping)."""
    with unit_of_work(factory) as session:
        for run in session.scalars(select(models.FlowRun)):
            run.entered_at -= timedelta(hours=hours)
            if run.wait_until is not None:
                run.wait_until -= timedelta(hours=hours)


def _messages(receiver: WebhookReceiver) -> list[tuple[str, str]]:
    return [(b["profile"]["id"], b["data"]["message"]) for b in receiver.received.values()]


def test_the_welcome_flow_sends_welcome_then_waits_then_recommendations_across_a_restart(
    session_factory: sessionmaker[Session], receiver: WebhookReceiver, make_worker: MakeWorker
) -> None:
    _setup(session_factory, receiver.url, {"welcome": WELCOME})  # type: ignore[attr-defined]
    with unit_of_work(session_factory) as session:
        make_profile(session, "p1")
        session.add(models.ProfileTraits(profile_id="p1", as_of=datetime.now(UTC),
                                         favourite_product="Trail shoes"))  # fmt: skip
    emit_changes(session_factory, _event("Signed Up"))

    make_worker(session_factory).tick()
    [waiting] = _runs(session_factory)
    _time_passes(session_factory, 1.01)
    make_worker(session_factory).tick()  # a new worker: the wait was a row, not a timer
    [done] = _runs(session_factory)

    assert (waiting.status, waiting.step) == ("waiting", 2)
    assert waiting.wait_until is not None
    assert _messages(receiver) == [("p1", "welcome"), ("p1", "recommendations")]
    last = list(receiver.received.values())[-1]["data"]
    assert last["flow"] == "welcome"
    assert last["traits"]["favourite_product"] == "Trail shoes"
    assert last["recommendations"] == {"personalised": False, "items": []}  # no catalogue yet
    assert (done.status, done.exit_reason) == ("done", None)
    assert [entry["did"] for entry in done.log] == [
        "entered", "sent 'welcome' to 'hook'", "waits 1 hour",
        "sent 'recommendations' to 'hook'", "done",
    ]  # fmt: skip


def test_browse_abandonment_messages_only_those_who_did_not_buy_when_the_wait_ends(
    session_factory: sessionmaker[Session], receiver: WebhookReceiver, make_worker: MakeWorker
) -> None:
    _setup(session_factory, receiver.url, {"browse": BROWSE})  # type: ignore[attr-defined]
    with unit_of_work(session_factory) as session:
        make_profile(session, "buyer", email="buyer@example.com")
        make_profile(session, "browser", email="browser@example.com")
    emit_changes(
        session_factory,
        _event("Product Viewed", "buyer", sku="SKU-1"),
        _event("Product Viewed", "browser", sku="SKU-2"),
    )
    worker = make_worker(session_factory)
    worker.tick()
    with unit_of_work(session_factory) as session:
        session.add(models.Event(record_id=9, source_id=1, profile_id="buyer", channel="web",
                                 type="track", name="Order Completed",
                                 occurred_at=datetime.now(UTC)))  # fmt: skip
    _time_passes(session_factory, 3.9)
    early = worker.tick()
    _time_passes(session_factory, 0.2)
    worker.tick()

    runs = {run.profile_id: run for run in _runs(session_factory)}
    assert early.flow_runs == 0  # nothing is due before the 4 hours are over
    assert (runs["buyer"].status, runs["buyer"].exit_reason) == (
        "exited", "did 'Order Completed' since entering",
    )  # fmt: skip
    assert runs["browser"].status == "done"
    assert _messages(receiver) == [("browser", "browse_abandonment")]
    [body] = receiver.received.values()
    assert body["data"]["trigger"]["event"]["properties"] == {"sku": "SKU-2"}


def test_a_profile_enters_once_unless_the_flow_allows_reentry(
    session_factory: sessionmaker[Session], receiver: WebhookReceiver, make_worker: MakeWorker
) -> None:
    _setup(session_factory, receiver.url, {"welcome": WELCOME})  # type: ignore[attr-defined]
    with unit_of_work(session_factory) as session:
        make_profile(session, "p1")
    emit_changes(session_factory, _event("Signed Up"))
    worker = make_worker(session_factory)
    worker.tick()
    emit_changes(session_factory, _event("Signed Up"))
    worker.tick()

    assert len(_runs(session_factory)) == 1


def test_the_frequency_cap_and_consent_skip_sends_when_they_forbid_them(
    session_factory: sessionmaker[Session], receiver: WebhookReceiver, make_worker: MakeWorker
) -> None:
    steps = [{"send": "hook", "message": "one"}, {"send": "hook", "message": "two"}]
    twice = {"trigger": {"event": "Signed Up"}, "steps": steps}
    _setup(session_factory, receiver.url, {"twice": twice}, purpose="email_marketing")  # type: ignore[attr-defined]
    with unit_of_work(session_factory) as session:
        make_profile(session, "yes", email="yes@example.com", consent="granted")
        make_profile(session, "no", email="no@example.com")
    emit_changes(session_factory, _event("Signed Up", "yes"), _event("Signed Up", "no"))

    runner = FlowRunner(ActivationSettings(max_messages_per_day=1))
    make_worker(session_factory, flows=runner).tick()

    logs = {run.profile_id: [e["did"] for e in run.log] for run in _runs(session_factory)}
    assert _messages(receiver) == [("yes", "one")]
    assert logs["yes"][2] == "skipped 'two': frequency cap of 1 a day reached"
    assert logs["no"][1] == "skipped 'one': no consent for 'email_marketing'"


def test_the_holdout_receives_nothing_and_the_lift_is_measured_when_goals_are_met(
    session_factory: sessionmaker[Session], receiver: WebhookReceiver, make_worker: MakeWorker
) -> None:
    flow = {**WELCOME, "holdout": 0.5, "steps": [{"send": "hook", "message": "welcome"}]}
    _setup(session_factory, receiver.url, {"welcome": flow})  # type: ignore[attr-defined]
    ids = [f"p{n}" for n in range(40)]
    with unit_of_work(session_factory) as session:
        for pid in ids:
            make_profile(session, pid, email=f"{pid}@example.com")
    emit_changes(session_factory, *[_event("Signed Up", pid) for pid in ids])
    make_worker(session_factory).tick()
    runs = _runs(session_factory)
    held = {r.profile_id for r in runs if r.status == "holdout"}
    treated = {r.profile_id for r in runs if r.status == "done"}
    buyers = sorted(treated)[: len(treated) // 2] + sorted(held)[:1]
    with unit_of_work(session_factory) as session:
        for n, pid in enumerate(buyers):
            later = datetime.now(UTC) + timedelta(hours=1)
            session.add(models.Event(record_id=100 + n, source_id=1, profile_id=pid,
                                     channel="store", type="order", name="Order Completed",
                                     occurred_at=later))  # fmt: skip
        [stats] = flow_stats(session)

    assert 0 < len(held) < 40
    assert {pid for pid, _ in _messages(receiver)} == treated
    assert (stats.treated, stats.holdout) == (len(treated), len(held))
    assert stats.treated_converted == len(treated) // 2
    assert stats.holdout_converted == 1
    assert stats.lift == pytest.approx((len(treated) // 2) / len(treated) - 1 / len(held))


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        ({"trigger": {"click": "x"}, "steps": [{"wait": "1 hour"}]}, "trigger must be"),
        ({"trigger": {"event": "x"}, "steps": [{"wait": "soon"}]}, "'soon' is not a duration"),
        ({"trigger": {"event": "x"}, "steps": [{"jump": 1}]}, "unknown step 'jump'"),
        ({"trigger": {"event": "x"}, "steps": [], "holdout": 1.5}, "holdout = 1.5"),
    ],
    ids=["trigger", "wait", "step", "holdout"],
)
def test_a_bad_flow_is_refused_naming_the_problem_when_parsed(
    table: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ConfigError) as error:
        parse_flow("f", table)

    assert any(problem in p for p in error.value.problems)


def test_wait_rows_are_due_by_time_not_by_process_when_a_new_worker_starts(
    session_factory: sessionmaker[Session], receiver: WebhookReceiver, make_worker: MakeWorker
) -> None:
    _setup(session_factory, receiver.url, {"browse": BROWSE})  # type: ignore[attr-defined]
    with unit_of_work(session_factory) as session:
        make_profile(session, "p1")
    emit_changes(session_factory, _event("Product Viewed"))
    make_worker(session_factory).tick()
    with unit_of_work(session_factory) as session:
        session.execute(update(models.FlowRun).values(wait_until=datetime(2000, 1, 1, tzinfo=UTC)))

    make_worker(session_factory).tick()

    assert _messages(receiver) == [("p1", "browse_abandonment")]


def test_flows_and_runs_are_visible_in_graphql_when_an_analyst_asks(
    settings: Any,
    session_factory: sessionmaker[Session],
    receiver: WebhookReceiver,
    make_worker: MakeWorker,
) -> None:
    from starlette.testclient import TestClient

    from cdp.app import create_app
    from cdp.services.keys import create_key

    _setup(session_factory, receiver.url, {"welcome": WELCOME})  # type: ignore[attr-defined]
    with unit_of_work(session_factory) as session:
        make_profile(session, "p1")
        key = create_key(session, role="analyst", name="a").key
    emit_changes(session_factory, _event("Signed Up"))
    make_worker(session_factory).tick()
    query = """{ flows { name waiting done holdout conversion { goal lift } }
                 flowRuns(profileId: "p1") { flow status step exitReason log } }"""

    with TestClient(create_app(settings.replace(embedded_worker=False))) as client:
        body = client.post(
            "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {key}"}
        ).json()

    assert body["data"]["flows"] == [
        {"name": "welcome", "waiting": 1, "done": 0, "holdout": 0,
         "conversion": {"goal": "Order Completed", "lift": None}},
    ]  # fmt: skip
    [run] = body["data"]["flowRuns"]
    assert (run["flow"], run["status"], run["step"]) == ("welcome", "waiting", 2)
    assert run["log"][1]["did"] == "sent 'welcome' to 'hook'"


def test_an_admin_creates_and_switches_off_a_flow_in_graphql_when_the_definition_is_valid(
    settings: Any,
    session_factory: sessionmaker[Session],
    receiver: WebhookReceiver,
    make_worker: MakeWorker,
) -> None:
    from starlette.testclient import TestClient

    from cdp.app import create_app
    from cdp.services.keys import create_key

    _setup(session_factory, receiver.url, {})  # type: ignore[attr-defined]
    with unit_of_work(session_factory) as session:
        make_profile(session, "p1")
        keys = {r: create_key(session, role=r, name=r).key for r in ("admin", "app")}
    create = """mutation($d: JSON!) { createFlow(name: "welcome", definition: $d) {
        __typename ... on Flow { name declaredIn waiting } ... on Problem { message } } }"""
    toggle = """mutation { setFlowEnabled(name: "welcome", enabled: false) {
        ... on Flow { enabled } } }"""

    with TestClient(create_app(settings.replace(embedded_worker=False))) as client:

        def gql(query: str, variables: Any = None, role: str = "admin") -> Any:
            headers = {"Authorization": f"Bearer {keys[role]}"}
            body = {"query": query, "variables": variables or {}}
            return client.post("/graphql", json=body, headers=headers).json()["data"]

        created = gql(create, {"d": WELCOME})["createFlow"]
        again = gql(create, {"d": WELCOME})["createFlow"]
        bad = gql(create.replace('"welcome"', '"bad"'), {"d": {"trigger": {}}})["createFlow"]
        denied = gql(create, {"d": WELCOME}, role="app")["createFlow"]
        emit_changes(session_factory, _event("Signed Up"))
        make_worker(session_factory).tick()
        switched = gql(toggle)["setFlowEnabled"]

    assert created == {"__typename": "Flow", "name": "welcome", "declaredIn": "graphql",
                       "waiting": 0}  # fmt: skip
    assert again["__typename"] == "Conflict"
    assert bad["__typename"] == "InvalidInput"
    assert "trigger must be" in bad["message"]
    assert denied["__typename"] == "Forbidden"
    assert _messages(receiver) == [("p1", "welcome")]
    assert switched == {"enabled": False}


@pytest.mark.parametrize(
    ("old", "new", "enters"),
    [(400, 600, True), (None, 600, True), (600, 700, False), (600, 400, False), (100, 500, False)],
    ids=["crosses", "first-value", "already-above", "falls", "reaches-only"],
)
def test_a_trait_trigger_starts_a_run_only_when_the_value_crosses_the_threshold(
    session_factory: sessionmaker[Session],
    receiver: WebhookReceiver,
    make_worker: MakeWorker,
    old: int | None,
    new: int,
    enters: bool,
) -> None:
    flow = {"trigger": {"trait": "loyalty_points", "above": 500},
            "steps": [{"send": "hook", "message": "gold"}]}  # fmt: skip
    _setup(session_factory, receiver.url, {"gold": flow})  # type: ignore[attr-defined]
    with unit_of_work(session_factory) as session:
        make_profile(session, "p1")
    change = {"trait": "loyalty_points", "old": old, "new": new}
    emit_changes(session_factory, Change("trait.changed", "p1", change))

    make_worker(session_factory).tick()

    assert _messages(receiver) == ([("p1", "gold")] if enters else [])


def test_a_flow_trait_trigger_makes_the_refresh_report_that_traits_changes(
    session_factory: sessionmaker[Session], receiver: WebhookReceiver
) -> None:
    from cdp import refresh

    flow = {"trigger": {"trait": "order_count", "above": 10},
            "steps": [{"send": "hook", "message": "vip"}]}  # fmt: skip
    _setup(session_factory, receiver.url, {"vip": flow})  # type: ignore[attr-defined]
    with unit_of_work(session_factory) as session:
        make_profile(session, "p1")
        session.add(models.ProfileTraits(profile_id="p1", as_of=datetime.now(UTC), order_count=5))
    with unit_of_work(session_factory) as session:
        refresh.refresh_profiles(session, ["p1"])

    with session_factory() as session:
        [entry] = session.scalars(select(models.OutboxEntry)).all()
    assert (entry.topic, entry.payload) == (
        "trait.changed", {"trait": "order_count", "old": 5, "new": 0},
    )  # fmt: skip
