"""`cdp campaigns` on both backends: the table and the JSON lines."""

from __future__ import annotations

import json

from click.testing import CliRunner
from sqlalchemy.orm import Session, sessionmaker

from cdp.cli import cli
from cdp.db import unit_of_work
from ingest.adapters.sendgrid import SendGridAdapter
from tests.campaigns import world


def test_campaigns_prints_a_row_per_campaign_and_json_on_request(
    db_url: str, session_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(session_factory) as session:
        world.build(session)
    env = {"CDP_DATABASE_URL": db_url}

    table = CliRunner().invoke(cli, ["campaigns"], env=env)
    lines = CliRunner().invoke(
        cli, ["campaigns", "--json", "--attribution", "first-click"], env=env
    )

    assert table.exit_code == 0, table.output
    rows = table.stdout.splitlines()
    assert rows[0].split()[:4] == ["campaign", "sent", "deliv.", "open"]
    assert rows[1].split()[:5] == ["c2", "2", "2", "0.0%", "50.0%"]
    assert rows[1].split()[7:11] == ["1", "100.0%", "45.00", "USD"]
    assert rows[-1].startswith("2 campaigns; last-click attribution within 7 days")
    assert lines.exit_code == 0, lines.output
    c1 = json.loads(lines.stdout.splitlines()[1])
    assert c1["campaign"] == "c1"
    assert c1["conversions"]["revenue_minor"] == {"USD": 4500}
    assert c1["retention"]["rate"] == 1.0


def test_bad_window_is_refused_with_the_value(db_url: str) -> None:
    result = CliRunner().invoke(
        cli, ["campaigns", "--window-days", "0"], env={"CDP_DATABASE_URL": db_url}
    )

    assert result.exit_code == 2
    assert "0 is not in the range 1<=x<=365" in result.output


def test_sendgrid_event_without_campaign_id_belongs_to_its_first_category() -> None:
    adapter = SendGridAdapter()
    base = {"email": "a@example.com", "timestamp": 1767600000, "event": "open", "sg_event_id": "e"}

    listed = adapter.to_observation({**base, "category": ["spring-sale", "marketing"]})
    single = adapter.to_observation({**base, "category": "digest"})
    explicit = adapter.to_observation({**base, "category": "digest", "campaign_id": "c-7"})
    none = adapter.to_observation(base)

    campaigns = [o.facts[0].campaign_id for o in (listed, single, explicit, none)]  # type: ignore[union-attr]
    assert campaigns == ["spring-sale", "digest", "c-7", None]
