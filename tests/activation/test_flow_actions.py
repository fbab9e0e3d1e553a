"""Flow steps that change data: `add_points` (a fact of the loyalty ledger, once per profile,
flow and step) and `set_trait` (read in GraphQL as `customTraits`). Both databases."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

import identity
from cdp import models, refresh
from cdp.activation import Change, Worker
from cdp.activation.actions import custom_traits
from cdp.activation.flow_spec import parse_flow
from cdp.activation.flows import sync_flows
from cdp.app import create_app
from cdp.config import Settings
from cdp.db import unit_of_work
from cdp.errors import ConfigError
from cdp.services.keys import create_key
from tests.activation.conftest import emit_changes, make_profile

MakeWorker = Callable[..., Worker]
BONUS = {
    "trigger": {"event": "Signed Up"},
    "reenter": True,
    "steps": [
        {"add_points": 50, "reason": "welcome bonus"},
        {"set_trait": "welcome_bonus", "value": "given"},
    ],
}


def _setup(factory: sessionmaker[Session], *profiles: str) -> None:
    with unit_of_work(factory) as session:
        for profile_id in profiles:
            make_profile(session, profile_id, email=f"{profile_id}@example.com")
        sync_flows(session, {"bonus": parse_flow("bonus", BONUS)})
        refresh.refresh_profiles(session, list(profiles))


def _signed_up(profile_id: str = "p1") -> Change:
    return Change("event", profile_id, {"event": {"name": "Signed Up", "properties": {}}})


def _points(factory: sessionmaker[Session], profile_id: str = "p1") -> tuple[int, list[str]]:
    with factory() as session:
        traits = session.get(models.ProfileTraits, profile_id)
        ledger = session.scalars(
            select(models.LoyaltyEntry.kind).where(models.LoyaltyEntry.profile_id == profile_id)
        )
        return (traits.loyalty_points if traits else 0), sorted(ledger)


def _logs(factory: sessionmaker[Session]) -> list[list[str]]:
    with factory() as session:
        runs = session.scalars(select(models.FlowRun).order_by(models.FlowRun.id))
        return [[entry["did"] for entry in run.log] for run in runs]


def test_points_are_awarded_once_per_profile_and_step_even_when_the_flow_is_entered_again(
    session_factory: sessionmaker[Session], make_worker: MakeWorker
) -> None:
    _setup(session_factory, "p1")
    emit_changes(session_factory, _signed_up())
    make_worker(session_factory).tick()
    emit_changes(session_factory, _signed_up())  # enters again (reenter = true)
    make_worker(session_factory).tick()

    assert _points(session_factory) == (50, ["award"])
    first, second = _logs(session_factory)
    assert first == [
        "entered", "added 50 loyalty points", "set trait 'welcome_bonus' to 'given'", "done"
    ]  # fmt: skip
    assert second[1] == "skipped 50 points: awarded by this step before"
    with session_factory() as session:
        assert custom_traits(session, ["p1"]) == {"p1": {"welcome_bonus": "given"}}


def test_set_traits_and_points_are_read_in_graphql(
    settings: Settings, session_factory: sessionmaker[Session], make_worker: MakeWorker
) -> None:
    _setup(session_factory, "p1")
    with unit_of_work(session_factory) as session:
        key = create_key(session, role="analyst", name="a").key
    emit_changes(session_factory, _signed_up())
    make_worker(session_factory).tick()
    query = '{ profile(id: "p1") { customTraits traits { loyaltyPoints } } }'

    with TestClient(create_app(settings.replace(embedded_worker=False))) as client:
        body = client.post(
            "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {key}"}
        ).json()

    assert body["data"]["profile"] == {
        "customTraits": {"welcome_bonus": "given"}, "traits": {"loyaltyPoints": 50}
    }  # fmt: skip


def test_a_step_taken_again_after_a_restart_and_every_refresh_leave_the_points_counted_once(
    session_factory: sessionmaker[Session], make_worker: MakeWorker
) -> None:
    _setup(session_factory, "p1")
    emit_changes(session_factory, _signed_up())
    make_worker(session_factory).tick()
    with unit_of_work(session_factory) as session:  # as if the run's progress were lost
        session.execute(update(models.FlowRun).values(status="waiting", step=0))

    make_worker(session_factory).tick()  # a new worker takes the step again
    with unit_of_work(session_factory) as session:
        refresh.refresh_profiles(session, ["p1"])
        refresh.refresh_profiles(session, None)  # a full rebuild derives the ledger again

    assert _points(session_factory) == (50, ["award"])


def test_awarded_points_follow_a_merge_to_the_survivor(
    session_factory: sessionmaker[Session], make_worker: MakeWorker
) -> None:
    _setup(session_factory, "p1", "p2")
    emit_changes(session_factory, _signed_up("p1"), _signed_up("p2"))
    make_worker(session_factory).tick()

    with unit_of_work(session_factory) as session:
        identity.merge_profiles(session, "p1", "p2", actor="test", force=True)
        refresh.refresh_profiles(session, ["p1", "p2"])

    assert _points(session_factory, "p1") == (100, ["award", "award"])  # two facts, two lines
    with session_factory() as session:
        assert custom_traits(session, ["p1"]) == {"p1": {"welcome_bonus": "given"}}


@pytest.mark.parametrize(
    ("step", "problem"),
    [
        ({"add_points": 0}, "add_points = 0; expected whole points above 0"),
        ({"add_points": 2.5}, "add_points = 2.5"),
        ({"add_points": 5, "reason": ""}, "reason = ''"),
        ({"add_points": 5, "points": 5}, "unknown setting 'points' of a add_points step"),
        ({"set_trait": "Welcome Sent", "value": True}, "set_trait = 'Welcome Sent'"),
        ({"set_trait": "welcome_sent"}, "set_trait needs a value"),
        ({"set_trait": "tags", "value": ["a"]}, "value = ['a']; expected text, a number"),
    ],
)
def test_a_bad_action_step_is_refused_naming_the_setting_and_its_value(
    step: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ConfigError) as error:
        parse_flow("f", {"trigger": {"event": "E"}, "steps": [step]})

    assert any(problem in p and "[flows.f] steps[0]" in p for p in error.value.problems), (
        error.value.problems
    )
