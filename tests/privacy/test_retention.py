"""`cdp retention apply`: old raw events, payloads and quarantined records go, per channel;
what a golden record needs stays; `--dry-run` changes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

import identity
from cdp import models
from cdp.cli import cli
from cdp.config import Settings
from cdp.db import unit_of_work
from tests.identity.factories import make_record

OLD = datetime.now(UTC) - timedelta(days=100)
NEW = datetime.now(UTC) - timedelta(days=1)


def _world(session_factory: sessionmaker[Session]) -> dict[str, int]:
    with unit_of_work(session_factory) as session:
        person = make_record(session, source="web", channel="web", external_id="who",
                             identifiers={"email": "ret@example.com"},
                             attributes={"given_name": "Reta"}, occurred_at=OLD)  # fmt: skip
        old_events = [
            make_record(session, source="web", channel="web", external_id=f"old{i}", kind="event",
                        identifiers={"email": "ret@example.com"}, occurred_at=OLD, with_event=True)
            for i in range(3)
        ]  # fmt: skip
        lonely = make_record(session, source="web", channel="web", external_id="lonely",
                             kind="event", identifiers={"anonymous_id": "anon-lonely"},
                             occurred_at=OLD, with_event=True)  # fmt: skip
        mail = make_record(session, source="mail", channel="email", external_id="mail-old",
                           kind="event", identifiers={"email": "ret@example.com"},
                           occurred_at=OLD, with_event=True)  # fmt: skip
        fresh = make_record(session, source="web", channel="web", external_id="new", kind="event",
                            identifiers={"email": "ret@example.com"}, occurred_at=NEW)  # fmt: skip
        ids = {"person": person.id, "lonely": lonely.id, "mail": mail.id, "fresh": fresh.id}
        ids.update({f"old{i}": r.id for i, r in enumerate(old_events)})
        for name, at in (("old", OLD), ("new", NEW)):
            session.add(models.Quarantine(source_name="web", adapter="web.segment",
                                          position=f"{name}:1", raw="{}", reason="bad",
                                          created_at=at))  # fmt: skip
        session.query(models.SourceRecord).update({"received_at": OLD})
    with unit_of_work(session_factory) as session:
        identity.resolve_records(session, sorted(ids.values()))
    return ids


def _run(settings: Settings, *args: str) -> dict[str, object]:
    env = {"CDP_DATABASE_URL": settings.database_url,
           "CDP_RETENTION": "events=30,email.events=365,payloads=60,quarantine=10"}  # fmt: skip
    result = CliRunner().invoke(cli, ["retention", "apply", "--json", *args], env=env)
    assert result.exit_code == 0, result.output
    report: dict[str, object] = json.loads(result.stdout)
    return report


def test_retention_removes_old_rows_per_channel_and_keeps_what_profiles_need(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    ids = _world(session_factory)

    dry = _run(settings, "--dry-run")
    with session_factory() as session:
        count_after_dry = session.scalar(select(func.count()).select_from(models.SourceRecord))
    done = _run(settings)

    assert dry["removed"] == done["removed"]
    assert count_after_dry == len(ids)
    assert done["removed"] == {"email.events": 0, "events": 3, "payloads": 4, "quarantine": 1}
    assert done["kept_for_golden_record"] == 1  # the lonely visitor's only record
    with session_factory() as session:
        left = set(session.scalars(select(models.SourceRecord.id)))
        rows = session.execute(select(models.SourceRecord.id, models.SourceRecord.payload))
        payloads = {int(row[0]): row[1] for row in rows}
        quarantined = list(session.scalars(select(models.Quarantine.position)))
        events = session.scalar(select(func.count()).select_from(models.Event))
        entry = session.scalars(
            select(models.AuditLog).where(models.AuditLog.action == "retention.apply")
        ).one()
    assert left == {ids["person"], ids["lonely"], ids["mail"], ids["fresh"]}
    assert payloads[ids["person"]] == {}  # blanked, the record (and its attributes) stays
    assert payloads[ids["fresh"]] == {}  # received 100 days ago too
    assert quarantined == ["new:1"]
    assert events == 2  # the lonely visitor's and the email event
    assert entry.details["removed"]["events"] == 3
