from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from cdp.cli import cli
from cdp.db import unit_of_work
from cdp.errors import CdpError, NotFoundError
from cdp.services import keys


def test_created_key_authenticates_and_only_its_hash_is_stored(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        created = keys.create_key(session, role="app", name="shop app")

    with unit_of_work(session_factory) as session:
        row = keys.authenticate(session, created.key)
        assert row.role == "app"
        assert created.key not in row.key_hash
        assert created.key.split("_")[2] not in (row.key_hash + row.prefix + row.name)


@pytest.mark.parametrize(
    "bad",
    ["", "cdp_only-two", "cdp_nope_nope", "xyz_a_b"],
    ids=["empty", "short", "unknown", "scheme"],
)
def test_bad_key_is_refused_when_authenticating(
    session_factory: sessionmaker[Session], bad: str
) -> None:
    with unit_of_work(session_factory) as session, pytest.raises(keys.InvalidKeyError):
        keys.authenticate(session, bad)


def test_revoked_key_is_refused_when_authenticating(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        created = keys.create_key(session, role="admin", name="ops")
        keys.revoke_key(session, str(created.id))

    with (
        unit_of_work(session_factory) as session,
        pytest.raises(keys.InvalidKeyError, match="revoked"),
    ):
        keys.authenticate(session, created.key)


def test_write_key_needs_an_existing_source(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        with pytest.raises(CdpError, match="--source"):
            keys.create_key(session, role="write", name="w")
        with pytest.raises(NotFoundError, match="'nowhere'"):
            keys.create_key(session, role="write", name="w", source_name="nowhere")
        session.add(models.Source(name="web", channel="web", adapter="web.segment"))
        session.flush()
        created = keys.create_key(session, role="write", name="w", source_name="web")

    assert created.source == "web"


def test_keys_command_prints_key_last_and_lists_without_secrets(db_url: str) -> None:
    runner = CliRunner()
    env = {"CDP_DATABASE_URL": db_url}

    created = runner.invoke(cli, ["keys", "create", "--role", "analyst"], env=env)
    listed = runner.invoke(cli, ["keys"], env=env)
    revoked = runner.invoke(cli, ["keys", "revoke", "1"], env=env)

    assert created.exit_code == 0, created.output
    key = created.stdout.strip().splitlines()[-1]
    assert key.startswith("cdp_")
    assert "analyst" in listed.stdout
    assert key.split("_")[2] not in listed.stdout
    assert "revoked key #1" in revoked.stdout
