"""Traits through GraphQL: typed fields on Profile, filters and orders in `profiles`."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from cdp.db import unit_of_work
from cdp.value import ValueSettings, compute_traits
from tests.schema.conftest import Gql
from tests.value.factories import AS_OF, day, make_event, make_order, make_profile


@pytest.fixture
def shoppers(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        for i in range(1, 7):
            p = make_profile(session, id=f"s{i}")
            for k in range(i):
                make_order(
                    session,
                    p,
                    at=day(1 + k % 5, 1 + i),
                    total_minor=1_000 * i,
                    items=[("Boot", "footwear", 1)],
                )
        quiet = make_profile(session, id="quiet")
        make_event(session, quiet, type="page", at=day(5, 20))
        compute_traits(session, None, settings=ValueSettings(), as_of=AS_OF)


def test_profile_traits_are_typed_fields(gql: Gql, shoppers: None) -> None:
    body = gql(
        """{ profile(id: "s6") { traits {
            asOf orderCount totalSpend { amountMinor currency } averageOrder { amountMinor }
            favouriteCategory favouriteCategories rfmCode rfmSegment valueTier
            recencyScore frequencyScore monetaryScore lifecycleStage clvMethod horizonDays
            predictedOrders predictedValue { amountMinor } probabilityAlive
        } } }"""
    )
    assert "errors" not in body, body
    traits = body["data"]["profile"]["traits"]
    assert traits["asOf"].startswith("2026-06-01T00:00:00")
    assert traits["orderCount"] == 6
    assert traits["totalSpend"] == {"amountMinor": 36_000, "currency": "USD"}
    assert traits["averageOrder"] == {"amountMinor": 6_000}
    assert traits["favouriteCategory"] == "footwear"
    assert traits["favouriteCategories"] == ["footwear"]
    assert traits["frequencyScore"] == 5
    assert traits["rfmCode"] == f"{traits['recencyScore']}55"
    assert traits["rfmSegment"] in {"CHAMPIONS", "LOYAL_CUSTOMERS", "CANT_LOSE_THEM", "AT_RISK"}
    assert traits["valueTier"] in {"HIGH", "MEDIUM"}
    # six customers, five of them repeat: too few to fit BG/NBD, so the fallback says so
    assert traits["clvMethod"] == "FALLBACK"
    assert traits["probabilityAlive"] is None
    assert traits["horizonDays"] == 365
    assert traits["predictedValue"]["amountMinor"] >= 0


def test_a_prospect_has_traits_without_purchase_figures(gql: Gql, shoppers: None) -> None:
    body = gql('{ profile(id: "quiet") { traits { orderCount lifecycleStage rfmSegment } } }')
    assert body["data"]["profile"]["traits"] == {
        "orderCount": 0,
        "lifecycleStage": "PROSPECT",
        "rfmSegment": None,
    }


def test_profiles_filter_and_sort_on_traits(gql: Gql, shoppers: None) -> None:
    body = gql(
        """{ profiles(filter: {traits: {minOrders: 3, valueTiers: [HIGH, MEDIUM, LOW]}},
                      orderBy: TOTAL_SPEND_DESC, first: 2) {
            totalCount nodes { id traits { totalSpend { amountMinor } } }
            pageInfo { endCursor hasNextPage } } }"""
    )
    assert "errors" not in body, body
    page = body["data"]["profiles"]
    assert page["totalCount"] == 4
    assert [n["id"] for n in page["nodes"]] == ["s6", "s5"]
    cursor = page["pageInfo"]["endCursor"]
    body = gql(
        """query($after: String) { profiles(filter: {traits: {minOrders: 3}},
                      orderBy: TOTAL_SPEND_DESC, first: 5, after: $after) { nodes { id } } }""",
        {"after": cursor},
    )
    assert [n["id"] for n in body["data"]["profiles"]["nodes"]] == ["s4", "s3"]


def test_sorting_by_a_trait_lists_profiles_without_orders_last(gql: Gql, shoppers: None) -> None:
    body = gql("{ profiles(orderBy: LAST_ORDER_DESC, first: 10) { nodes { id } } }")
    ids = [n["id"] for n in body["data"]["profiles"]["nodes"]]
    assert ids[-1] == "quiet"
    assert len(ids) == 7


def test_lifecycle_filter_uses_the_stage(gql: Gql, shoppers: None) -> None:
    body = gql("{ profiles(filter: {traits: {lifecycleStages: [PROSPECT]}}) { nodes { id } } }")
    assert [n["id"] for n in body["data"]["profiles"]["nodes"]] == ["quiet"]


def test_the_value_tiers_graphiql_example_runs_on_computed_traits(gql: Gql, shoppers: None) -> None:
    from cdp.web.graphiql.examples import VALUE_TIERS

    body = gql(VALUE_TIERS, {"tiers": ["HIGH", "MEDIUM", "LOW"]})
    assert "errors" not in body, body
    data = body["data"]
    assert sum(g["count"] for g in data["byStage"]) == 7
    assert {g["value"] for g in data["byTier"]} <= {"high", "medium", "low", None}
    assert data["profiles"]["totalCount"] == 6
    first = data["profiles"]["nodes"][0]["traits"]
    assert first["predictedValue"]["currency"] == "USD"
    assert first["clvMethod"] == "FALLBACK"
