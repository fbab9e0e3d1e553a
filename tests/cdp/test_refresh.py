"""The refresh pipeline gets exactly the profiles a change touched, from every caller."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cdp import models, refresh
from cdp.cli import cli
from cdp.commands._identity_hook import identity_resolver
from cdp.db import unit_of_work
from tests.identity.factories import make_record, person


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[list[str] | None]:
    seen: list[list[str] | None] = []

    def step(session: Session, ids: Sequence[str] | None) -> None:
        seen.append(None if ids is None else list(ids))

    monkeypatch.setattr(refresh, "steps", lambda: [("recording", step)])
    return seen


def _invoke(db_url: str, *args: str) -> str:
    result = CliRunner().invoke(
        cli, ["identity", *args], env={"CDP_DATABASE_URL": db_url}, catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_an_empty_set_of_profiles_runs_nothing(
    session_factory: sessionmaker[Session], calls: list[list[str] | None]
) -> None:
    with unit_of_work(session_factory) as session:
        report = refresh.refresh_profiles(session, [])
    assert report.profiles == 0
    assert calls == []


def test_resolving_a_batch_refreshes_its_profiles_and_both_sides_of_a_merge(
    db_url: str, session_factory: sessionmaker[Session], calls: list[list[str] | None]
) -> None:
    with unit_of_work(session_factory) as session:
        a = make_record(session, external_id="a", identifiers={"customer_id": "c1"})
        b = make_record(session, external_id="b", identifiers={"email": "x@example.com"})
        first = [a.id, b.id]
    identity_resolver(session_factory)(first)
    with unit_of_work(session_factory) as session:
        before = set(
            session.scalars(
                select(models.SourceRecord.profile_id).where(models.SourceRecord.id.in_(first))
            )
        )
    assert len(before) == 2
    assert calls == [sorted(before)]

    with unit_of_work(session_factory) as session:  # one record carries both identifiers
        c = make_record(
            session,
            external_id="c",
            identifiers={"customer_id": "c1", "email": "x@example.com"},
            attributes=person("Ann", "Lee"),
        )
        bridge = c.id
    identity_resolver(session_factory)([bridge])
    assert calls[-1] is not None
    assert set(calls[-1]) == before


def test_merge_and_split_from_the_command_line_refresh_both_sides(
    db_url: str, session_factory: sessionmaker[Session], calls: list[list[str] | None]
) -> None:
    with unit_of_work(session_factory) as session:
        a = make_record(session, external_id="a", identifiers={"customer_id": "c1"})
        b = make_record(session, external_id="b", identifiers={"customer_id": "c2"})
        ids = (a.id, b.id)
    _invoke(db_url, "resolve")
    assert calls == [None]  # a resolution run refreshes everything it may have changed
    with unit_of_work(session_factory) as session:
        pa, pb = (
            session.scalar(
                select(models.SourceRecord.profile_id).where(models.SourceRecord.id == i)
            )
            for i in ids
        )
    assert pa
    assert pb
    _invoke(db_url, "merge", pa, pb, "--actor", "test", "--force")
    assert calls[-1] == sorted([pa, pb])
    _invoke(db_url, "split", pa, str(ids[1]), "--actor", "test")
    assert calls[-1] is not None
    assert pa in calls[-1]
    assert len(calls[-1]) == 2
