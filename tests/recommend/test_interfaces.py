"""Recommendations through GraphQL and `cdp recommend compute` (both backends)."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy.orm import Session, sessionmaker

from cdp.cli import cli
from cdp.db import unit_of_work
from tests.recommend import shop
from tests.schema.conftest import Gql

QUERY = """query($id: ID!, $n: Int!) { profile(id: $id) {
  recommendedProducts(first: $n) { productId name category basis becauseProductId reason }
} }"""


def test_compute_command_then_profile_recommended_products(
    db_url: str, gql: Gql, session_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(session_factory) as session:
        zoe = shop.build(session).id

    before = gql(QUERY, {"id": zoe, "n": 2}, role="app")
    result = CliRunner().invoke(cli, ["recommend", "compute"], env={"CDP_DATABASE_URL": db_url})
    after = gql(QUERY, {"id": zoe, "n": 2}, role="analyst")

    assert before["data"]["profile"]["recommendedProducts"] == []  # nothing computed yet
    assert result.exit_code == 0, result.output
    # t-s, t-m, s-m among campers; t-c from Zoe's order; m-c from her view; both ways
    assert result.stdout.startswith("recommendations: 5 products, 10 similar pairs in ")
    assert after["data"]["profile"]["recommendedProducts"][0] == {
        "productId": "s",
        "name": "Stove",
        "category": "camping",
        "basis": "BOUGHT",
        "becauseProductId": "t",
        "reason": "because you bought Tent",
    }


def test_first_out_of_range_is_an_error_naming_it(
    gql: Gql, session_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(session_factory) as session:
        zoe = shop.build(session).id

    body = gql(QUERY, {"id": zoe, "n": 0})

    assert "first" in body["errors"][0]["message"]
    assert "0 is outside 1..50" in body["errors"][0]["message"]
