"""`cdp segments` end to end on both databases: create, preview, refresh, breakdown, export."""

from __future__ import annotations

import csv
import json
from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from cdp.cli import cli
from cdp.db import unit_of_work
from cdp.types import utcnow
from tests.segments.world import Consent, Event, Person, store

NOW = utcnow()


def run(db_url: str, *args: str, ok: bool = True) -> str:
    result = CliRunner().invoke(cli, ["segments", *args], env={"CDP_DATABASE_URL": db_url})
    if ok:
        assert result.exit_code == 0, result.output
        return result.output
    assert result.exit_code != 0, result.output
    return f"{result.output}{result.exception}"


def people() -> list[Person]:
    def viewer(pid: str, country: str, views: int, grant: str | None) -> Person:
        p = Person(
            pid,
            "active",
            pid.title(),
            f"{pid}@example.com",
            1,
            None,
            {"address": {"country": country}},
        )
        p.events = [
            Event(
                "track", "Product Viewed", "web", NOW - timedelta(days=i + 1), {"category": "shoes"}
            )
            for i in range(views)
        ]
        if grant is not None:
            p.consents = [Consent("email_marketing", "email", grant, NOW - timedelta(days=1))]
        p.traits = {"value_tier": "high" if views >= 3 else "low"}
        return p

    return [
        viewer("ann", "FR", 3, "granted"),
        viewer("bob", "FR", 4, "revoked"),
        viewer("cy", "FR", 1, "granted"),
        viewer("di", "DE", 5, None),
    ]


SHOES = {
    "conditions": [
        {"attribute": {"name": "address.country", "op": "eq", "value": "FR"}},
        {
            "event": {
                "name": "Product Viewed",
                "properties": [{"name": "category", "op": "eq", "value": "shoes"}],
                "count": {"op": "gte", "value": 3},
                "window": {"lastDays": 30},
            }
        },
    ]
}


def test_segments_from_the_command_line(
    db_url: str, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    with unit_of_work(session_factory) as session:
        store(session, people())
    definition = tmp_path / "shoes.json"
    definition.write_text(json.dumps(SHOES))

    assert run(db_url, "preview", "--definition", str(definition)).splitlines()[0] == "2 profiles"
    said = run(db_url, "create", "--name", "Shoe lovers", "--definition", str(definition))
    assert said.startswith("created segment #")
    assert said.endswith(" Shoe lovers: 2 members\n")
    sid = said.split("#")[1].split()[0]
    listed = run(db_url, "list")
    assert f"#{sid} Shoe lovers: 2 members" in listed
    assert "RFM: Champions (built in): 0 members, refreshed never" in listed
    assert run(db_url, "breakdown", "Shoe lovers", "--by", "valueTier") == "high\t2\n"
    assert run(db_url, "breakdown", "--by", "address.country") == "FR\t3\nDE\t1\n"

    out = tmp_path / "shoes.csv"
    said = run(db_url, "export", sid, "--purpose", "email_marketing", "-o", str(out))
    assert (
        "exported 1 members of Shoe lovers for email_marketing; left out 1 without consent" in said
    )
    rows = list(csv.DictReader(out.read_text().splitlines()))
    assert [(r["profile_id"], r["email"]) for r in rows] == [("ann", "ann@example.com")]

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"conditions": [{"event": {"window": {"lastDays": 0}}}, {"x": 1}]}))
    said = run(db_url, "create", "--name", "Bad", "--definition", str(bad), ok=False)
    assert "conditions[0].event.window.lastDays: expected a whole number of days" in said
    assert "conditions[1]: unknown condition 'x'" in said

    with unit_of_work(session_factory) as session:  # a view ages out of the window
        e = models.Event
        session.execute(
            update(e)
            .where(e.profile_id == "ann", e.occurred_at > NOW - timedelta(days=2))
            .values(occurred_at=NOW - timedelta(days=45))
        )
    refreshed = run(db_url, "refresh")
    assert f"#{sid} Shoe lovers: 1 members (+0 -1)" in refreshed
    assert "refreshed 15 segments" in refreshed
    shown = run(db_url, "show", "Shoe lovers")
    assert "all: 1 (+0 -1)" in shown
    assert "all: 2 (+2 -0)" in shown
    assert f"deleted segment #{sid} Shoe lovers" in run(db_url, "delete", "Shoe lovers")
    said = run(db_url, "delete", "RFM: Lost", ok=False)
    assert "segment 'RFM: Lost' is built in and cannot be deleted" in said
    with unit_of_work(session_factory) as session:
        actions = list(session.scalars(select(models.AuditLog.action).order_by(models.AuditLog.id)))
    assert actions == ["segment.create", "segment.export", "segment.delete"]
