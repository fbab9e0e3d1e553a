"""Campaign figures through the real ASGI app (both backends)."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from cdp.db import unit_of_work
from tests.campaigns import world
from tests.schema.conftest import Gql

CAMPAIGNS = """query($a: Attribution) { campaigns(attribution: $a) {
  id firstSentAt
  email { sent delivered uniqueOpens opens openRate clickThroughRate clickToOpenRate }
  conversions { orders clickers conversionRate revenue { amount currency } }
  retention { recipients retained rate comparison comparisonRate lift }
} }"""
ONE = """query($id: ID!) { campaign(id: $id) { id days { day email { opens } } } }"""


def test_campaigns_answer_figures_for_each_role(
    gql: Gql, session_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(session_factory) as session:
        world.build(session)

    body = gql(CAMPAIGNS, role="analyst")
    first = gql(CAMPAIGNS, {"a": {"rule": "FIRST_CLICK", "windowDays": 7}}, role="app")

    assert "errors" not in body, body
    c2, c1 = body["data"]["campaigns"]
    assert (c2["id"], c1["id"]) == ("c2", "c1")
    assert c1["email"] == {
        "sent": 3,
        "delivered": 2,
        "uniqueOpens": 2,
        "opens": 3,
        "openRate": 1.0,
        "clickThroughRate": 0.5,
        "clickToOpenRate": 0.5,
    }
    assert c2["conversions"]["revenue"] == [{"amount": "45.00", "currency": "USD"}]
    assert c1["retention"]["rate"] == 1.0
    assert c1["retention"]["comparisonRate"] == 0.0
    assert first["data"]["campaigns"][1]["conversions"]["orders"] == 1


def test_one_campaign_by_id_with_its_days_and_null_when_unknown(
    gql: Gql, session_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(session_factory) as session:
        world.build(session)

    found = gql(ONE, {"id": "c1"})
    missing = gql(ONE, {"id": "nope"})

    assert [d["day"] for d in found["data"]["campaign"]["days"]] == ["2026-03-02", "2026-03-03"]
    assert missing["data"]["campaign"] is None


def test_a_bad_window_is_an_error_naming_it(gql: Gql) -> None:
    body = gql(CAMPAIGNS, {"a": {"windowDays": 0}})

    assert body["data"] is None
    assert "window_days" in body["errors"][0]["message"]
    assert "0 is out of range" in body["errors"][0]["message"]
