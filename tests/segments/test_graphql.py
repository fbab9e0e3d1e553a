"""Segments through GraphQL (the real ASGI app) on both databases."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from cdp.db import unit_of_work
from tests.schema.conftest import Gql
from tests.segments.test_cli import people
from tests.segments.world import Feedback, Order, Person, store

CREATE = """
mutation Create($input: SegmentInput!) {
  createSegment(input: $input) {
    __typename
    ... on Segment { id name size definition refreshedAt }
    ... on InvalidDefinition { message problems { path message } }
    ... on Forbidden { message }
  }
}
"""
TYPED = {
    "conditions": [
        {"attribute": {"name": "address.country", "op": "EQ", "value": "FR"}},
        {
            "event": {
                "name": "Product Viewed",
                "properties": [{"name": "category", "op": "EQ", "value": "shoes"}],
                "count": {"op": "GTE", "value": 3},
                "window": {"lastDays": 30},
            }
        },
    ]
}


def setup(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        store(session, people())


def test_create_from_the_typed_input_and_read_members(
    gql: Gql, session_factory: sessionmaker[Session]
) -> None:
    setup(session_factory)
    created = gql(CREATE, {"input": {"name": "Shoe lovers", "definition": TYPED}})
    segment = created["data"]["createSegment"]
    assert segment["__typename"] == "Segment", created
    assert segment["size"] == 2
    assert segment["definition"]["conditions"][1]["event"]["count"] == {"op": "gte", "value": 3}

    read = gql(
        """query($id: ID!) { segment(id: $id) {
             members(first: 1) {
               nodes { profile { id email } enteredAt }
               pageInfo { endCursor hasNextPage }
             }
             sizeHistory { size entered exited scope }
             breakdown(by: "valueTier") { value count } } }""",
        {"id": segment["id"]},
    )["data"]["segment"]
    assert [n["profile"]["id"] for n in read["members"]["nodes"]] == ["ann"]
    assert read["members"]["pageInfo"]["hasNextPage"] is True
    assert read["sizeHistory"] == [{"size": 2, "entered": 2, "exited": 0, "scope": "all"}]
    assert read["breakdown"] == [{"value": "high", "count": 2}]
    after = read["members"]["pageInfo"]["endCursor"]
    nxt = gql(
        """query($id: ID!, $a: String) {
             segment(id: $id) { members(first: 5, after: $a) { nodes { profile { id } } } } }""",
        {"id": segment["id"], "a": after},
    )["data"]["segment"]["members"]["nodes"]
    assert [n["profile"]["id"] for n in nxt] == ["bob"]

    mine = gql('{ profile(id: "ann") { segments { segment { name } enteredAt exitedAt } } }')
    assert mine["data"]["profile"]["segments"][0]["segment"]["name"] == "Shoe lovers"
    assert mine["data"]["profile"]["segments"][0]["exitedAt"] is None

    masked = gql(
        "query($id: ID!) { segment(id: $id) { members { nodes { profile { email } } } } }",
        {"id": segment["id"]},
        role="analyst",
    )["data"]["segment"]["members"]["nodes"]
    assert masked[0]["profile"]["email"] != "ann@example.com"


def test_every_problem_comes_back_with_its_path(
    gql: Gql, session_factory: sessionmaker[Session]
) -> None:
    bad = {
        "conditions": [
            {
                "and": [
                    {"event": {"window": {"lastDays": 0}}},
                    {"trait": {"name": "shoeSize", "op": "EQ", "value": 1}},
                ]
            },
            {"order": {"metric": "SPEND", "op": "GT", "value": 10}},
        ]
    }
    result = gql(CREATE, {"input": {"name": "Bad", "definition": bad}})["data"]["createSegment"]
    assert result["__typename"] == "InvalidDefinition"
    assert [p["path"] for p in result["problems"]] == [
        "conditions[0].and[0].event.window.lastDays",
        "conditions[0].and[1].trait.name",
        "conditions[1].order.currency",
    ]
    two = gql(
        CREATE,
        {
            "input": {
                "name": "Two",
                "definition": {
                    "conditions": [
                        {"identifier": {"kind": "email"}, "not": {"identifier": {"kind": "email"}}}
                    ]
                },
            }
        },
    )
    assert "errors" in two  # @oneOf: exactly one field per node


def test_preview_json_breakdown_refresh_export_delete(
    gql: Gql, session_factory: sessionmaker[Session]
) -> None:
    setup(session_factory)
    as_json: dict[str, Any] = {
        "conditions": [{"attribute": {"name": "address.country", "op": "eq", "value": "FR"}}]
    }
    preview = gql(
        """query($d: JSON) { segmentPreview(definitionJson: $d, sample: 2) {
             ... on SegmentPreview { count sample { id } } } }""",
        {"d": as_json},
    )["data"]["segmentPreview"]
    assert preview == {"count": 3, "sample": [{"id": "ann"}, {"id": "bob"}]}
    sid = gql(CREATE, {"input": {"name": "French", "definitionJson": as_json}})["data"][
        "createSegment"
    ]["id"]
    groups = gql('{ segmentBreakdown(by: "address.country") { value count } }')["data"][
        "segmentBreakdown"
    ]
    assert groups == [{"value": "FR", "count": 3}, {"value": "DE", "count": 1}]

    denied = gql(
        'mutation($id: ID!) { exportSegment(id: $id, purpose: "email_marketing") { __typename } }',
        {"id": sid},
        role="analyst",
    )
    assert denied["data"]["exportSegment"]["__typename"] == "Forbidden"
    exported = gql(
        """mutation($id: ID!) { exportSegment(id: $id, purpose: "email_marketing") {
             ... on SegmentExport { csv exported leftOut } } }""",
        {"id": sid},
        role="app",
    )["data"]["exportSegment"]
    assert (exported["exported"], exported["leftOut"]) == (2, 1)
    assert [r["profile_id"] for r in csv.DictReader(exported["csv"].splitlines())] == ["ann", "cy"]

    changed = gql(
        """mutation($id: ID!) { updateSegment(id: $id, input: {definitionJson: {conditions: [
             {attribute: {name: "address.country", op: "eq", value: "DE"}}]}}) {
             ... on Segment { size } } }""",
        {"id": sid},
        role="analyst",
    )
    assert changed["data"]["updateSegment"] == {"size": 1}
    history = gql(
        '{ profile(id: "ann") { segments(includePast: true) { segment { name } exitedAt } } }'
    )
    [past] = history["data"]["profile"]["segments"]
    assert past["exitedAt"] is not None
    refreshed = gql(
        "mutation($id: ID!) { refreshSegment(id: $id) { ... on Segment { size refreshedAt } } }",
        {"id": sid},
    )
    assert refreshed["data"]["refreshSegment"]["size"] == 1
    deleted = gql(
        "mutation($id: ID!) { deleteSegment(id: $id) { __typename ... on Segment { name } } }",
        {"id": sid},
    )
    assert deleted["data"]["deleteSegment"] == {"__typename": "Segment", "name": "French"}
    names = [s["name"] for s in gql("{ segments { name builtIn } }")["data"]["segments"]]
    assert "French" not in names
    assert len(names) == 14
    gone = gql('mutation { deleteSegment(id: "999") { __typename } }')
    assert gone["data"]["deleteSegment"]["__typename"] == "NotFound"


def test_the_graphiql_segment_examples_run_on_data(
    gql: Gql, session_factory: sessionmaker[Session]
) -> None:
    from cdp.web.graphiql.examples import EXAMPLES

    setup(session_factory)
    examples = {e.title: e for e in EXAMPLES}
    rfm = gql(examples["RfmSegments"].query, role="analyst")
    assert "errors" not in rfm, rfm
    assert len(rfm["data"]["segments"]) == 14
    tiers = gql(examples["ValueTiers"].query, {"tiers": ["HIGH"]}, role="analyst")
    assert "errors" not in tiers, tiers
    assert tiers["data"]["byTier"] == [{"value": "high", "count": 3}, {"value": "low", "count": 1}]
    custom = gql(examples["CustomSegment"].query, role="analyst")
    assert "errors" not in custom, custom
    assert custom["data"]["segmentPreview"]["count"] == 0  # nobody in the US here


def test_typed_windows_and_amounts_are_stored_as_json(
    gql: Gql, session_factory: sessionmaker[Session]
) -> None:
    setup(session_factory)
    typed = {
        "conditions": [
            {
                "event": {
                    "name": "Product Viewed",
                    "window": {"since": "2020-01-01T00:00:00Z", "until": "2100-01-01T00:00:00Z"},
                    "count": {"op": "GTE", "value": 4},
                }
            },
            {"not": {"order": {"metric": "SPEND", "op": "GT", "value": 12.5, "currency": "EUR"}}},
        ]
    }
    created = gql(CREATE, {"input": {"name": "Windowed", "definition": typed}})
    segment = created["data"]["createSegment"]
    assert segment["__typename"] == "Segment", created
    assert segment["size"] == 2  # bob (4 views) and di (5)
    event, negated = segment["definition"]["conditions"]
    window = {k: datetime.fromisoformat(v) for k, v in event["event"]["window"].items()}
    assert window == {
        "since": datetime(2020, 1, 1, tzinfo=UTC),
        "until": datetime(2100, 1, 1, tzinfo=UTC),
    }
    assert negated == {
        "not": {"order": {"metric": "spend", "op": "gt", "value": 12.5, "currency": "EUR"}}
    }


def test_detractors_with_two_orders_in_90_days(
    gql: Gql, session_factory: sessionmaker[Session]
) -> None:
    now = datetime.now(UTC)

    def person(pid: str, nps: int | None, orders: int) -> Person:
        p = Person(pid, "active", pid.title(), f"{pid}@example.com", 1, None, {})
        placed = [now - timedelta(days=10 * (i + 1)) for i in range(orders)]
        p.orders = [Order("completed", "EUR", 5_000, 0, at, []) for at in placed]
        if nps is not None:
            p.feedback = [Feedback("survey", None, "email", [], now - timedelta(days=3), nps)]
        return p

    with unit_of_work(session_factory) as session:
        answers = [("ann", 3, 2), ("bob", 6, 3), ("cy", 7, 2), ("di", 0, 1), ("ed", None, 4),
                   ("flo", 10, 5)]  # fmt: skip
        store(session, [person(*answer) for answer in answers])
    typed = {
        "conditions": [
            {"feedback": {"kind": "survey", "nps": "detractor", "window": {"lastDays": 90}}},
            {"order": {"metric": "COUNT", "op": "GTE", "value": 2, "window": {"lastDays": 90}}},
        ]
    }
    created = gql(CREATE, {"input": {"name": "Unhappy regulars", "definition": typed}})
    bad = gql(
        CREATE,
        {
            "input": {
                "name": "Bad",
                "definitionJson": {"conditions": [{"feedback": {"nps": "fan"}}]},
            }
        },
    )["data"]["createSegment"]

    segment = created["data"]["createSegment"]
    assert segment["__typename"] == "Segment", created
    assert segment["size"] == 2  # ann and bob: detractors (0-6) with 2+ orders in 90 days
    assert segment["definition"]["conditions"][0]["feedback"]["nps"] == "detractor"
    assert bad["problems"] == [
        {
            "path": "conditions[0].feedback.nps",
            "message": "expected detractor, passive, promoter, got 'fan'",
        }
    ]
