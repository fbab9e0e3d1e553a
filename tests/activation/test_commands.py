"""`cdp worker --once` and `cdp deliveries` (health, list, replay) through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session, sessionmaker

from cdp.cli import cli
from cdp.db import unit_of_work
from tests.activation.conftest import SECRET, emit_changes, make_profile, signed_up
from tests.activation.receivers import WebhookReceiver


def _cdp(db_url: str, toml: Path, *args: str) -> str:
    env = {"CDP_DATABASE_URL": db_url, "CDP_SOURCES_FILE": str(toml), "CLI_HOOK_SECRET": SECRET}
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def toml(tmp_path: Path, receiver: WebhookReceiver) -> Path:
    path = tmp_path / "cdp.toml"
    path.write_text(
        f'[destinations.hook]\nkind = "webhook"\nurl = "{receiver.url}"\n'  # type: ignore[attr-defined]
        'secret_env = "CLI_HOOK_SECRET"\nevents = ["Signed Up"]\nmax_attempts = 1\n'
    )
    return path


def test_the_worker_sends_and_deliveries_show_health_when_run_from_the_cli(
    db_url: str, toml: Path, session_factory: sessionmaker[Session], receiver: WebhookReceiver
) -> None:
    _cdp(db_url, toml, "worker", "--once")  # registers the declared destination
    with unit_of_work(session_factory) as session:
        make_profile(session)
    emit_changes(session_factory, signed_up(), signed_up())
    receiver.script = [500]

    sent = _cdp(db_url, toml, "worker", "--once")
    [health] = json.loads(_cdp(db_url, toml, "deliveries", "--json"))
    dead = _cdp(db_url, toml, "deliveries", "list", "--status", "dead")
    replayed = _cdp(db_url, toml, "deliveries", "replay", "--destination", "hook")
    _cdp(db_url, toml, "worker", "--once")
    table = _cdp(db_url, toml, "deliveries")

    assert "dispatched 2 changes; sent: 1 dead, 1 delivered" in sent
    assert (health["name"], health["delivered"], health["dead"]) == ("hook", 1, 1)
    assert "HTTP 500" in dead
    assert "replaying 1 deliveries" in replayed
    assert len(receiver.received) == 2
    assert table.splitlines()[1].split()[:4] == ["hook", "webhook", "2", "0"]


def test_the_worker_names_the_setting_when_cdp_toml_declares_a_bad_destination(
    db_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "cdp.toml"
    path.write_text('[destinations.x]\nkind = "webhook"\nurl = "ftp://x"\nsecret_env = "NOPE"\n')

    result = CliRunner().invoke(
        cli, ["worker", "--once"], env={"CDP_DATABASE_URL": db_url, "CDP_SOURCES_FILE": str(path)}
    )

    assert result.exit_code != 0
    problems = result.exception.problems  # type: ignore[union-attr]
    assert any("secret_env = 'NOPE', but that variable is not set" in p for p in problems)
    assert any("'ftp://x' is not an http(s) URL" in p for p in problems)


def test_prune_deletes_old_delivered_rows_and_keeps_dead_ones_when_run(
    db_url: str, toml: Path, session_factory: sessionmaker[Session], receiver: WebhookReceiver
) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import func, select, update

    from cdp import models

    _cdp(db_url, toml, "worker", "--once")
    with unit_of_work(session_factory) as session:
        make_profile(session)
    emit_changes(session_factory, signed_up(), signed_up())
    receiver.script = [500]
    _cdp(db_url, toml, "worker", "--once")  # one delivered, one dead
    old = datetime(2020, 1, 1, tzinfo=UTC)
    with unit_of_work(session_factory) as session:
        session.execute(update(models.Delivery).values(created_at=old))
        session.execute(update(models.OutboxEntry).values(created_at=old))

    said = _cdp(db_url, toml, "deliveries", "prune", "--older-than-days", "30")

    with session_factory() as session:
        left = list(session.scalars(select(models.Delivery.status)))
        entries = session.scalar(select(func.count()).select_from(models.OutboxEntry))
    assert "deleted 1 deliveries and 2 outbox entries" in said
    assert left == ["dead"]
    assert entries == 0
