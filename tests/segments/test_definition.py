"""Validation reports every problem at once, each with the path of its node."""

from __future__ import annotations

import pytest

from cdp.segments import DefinitionError, parse_definition
from cdp.segments._conditions import EventCondition, OrderCondition, Window


def problems(raw: object) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        parse_definition(raw)
    return caught.value.problems


def test_every_problem_is_reported_with_its_path() -> None:
    found = problems(
        {
            "conditions": [
                {"attribute": {"name": "address.country", "op": "eq", "value": "FR"}},
                {
                    "and": [
                        {"event": {"name": "Product Viewed", "window": {"lastDays": -3}}},
                        {"attribute": {"name": "shoeSize", "op": "eq", "value": 3}},
                    ]
                },
                {"order": {"metric": "spend", "op": "gt", "value": "lots"}},
                {"colour": "red"},
            ]
        }
    )
    assert found == [
        "conditions[1].and[0].event.window.lastDays: expected a whole number of days from 1 to "
        "36500, got -3",
        "conditions[1].and[1].attribute.name: unknown attribute 'shoeSize'; use one of "
        + ", ".join(sorted(__import__("cdp.segments", fromlist=["ATTRIBUTES"]).ATTRIBUTES)),
        "conditions[2].order.currency: a spend condition needs the currency of its amount",
        "conditions[2].order.value: expected an amount from 0 to 10^12, got 'lots'",
        "conditions[3]: unknown condition 'colour'; use one of and, attribute, consent, event, "
        "feedback, identifier, not, or, order, segment, trait",
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ([], 'definition: expected {"conditions": [...]}, got []'),
        ({"conditions": []}, "conditions: expected a non-empty list of conditions, got []"),
        ({"conditions": [{"and": [], "or": []}]}, "conditions[0]: a condition is an object"),
        (
            {"conditions": [{"trait": {"name": "valueTier", "op": "gt", "value": "high"}}]},
            "conditions[0].trait.op: 'gt' does not apply to valueTier; use eq, neq, in, notIn",
        ),
        (
            {
                "conditions": [
                    {"attribute": {"name": "lastSeenAt", "op": "gt", "value": "2026-01-01"}}
                ]
            },
            "conditions[0].attribute.value: expected a time in ISO 8601 with a time zone",
        ),
        (
            {
                "conditions": [
                    {
                        "event": {
                            "window": {
                                "since": "2026-02-01T00:00:00Z",
                                "until": "2026-01-01T00:00:00Z",
                            }
                        }
                    }
                ]
            },
            "conditions[0].event.window: since 2026-02-01T00:00:00+00:00 is not before until",
        ),
        (
            {"conditions": [{"not": {"event": {"count": {"op": "most", "value": 1.5}}}}]},
            "conditions[0].not.event.count.op: unknown operator 'most'",
        ),
        (
            {
                "conditions": [
                    {"order": {"metric": "count", "op": "gte", "value": 1, "currency": "EUR"}}
                ]
            },
            "conditions[0].order.currency: only a spend condition takes a currency",
        ),
        (
            {"conditions": [{"segment": {"id": "twelve"}}]},
            "conditions[0].segment.id: expected a segment id, got 'twelve'",
        ),
        (
            {
                "conditions": [
                    {"event": {"properties": [{"name": "category", "op": "in", "value": "shoes"}]}}
                ]
            },
            "conditions[0].event.properties[0].value: expected a non-empty list of texts",
        ),
    ],
)
def test_a_bad_definition_names_the_node_and_the_value(raw: object, expected: str) -> None:
    assert any(problem.startswith(expected) for problem in problems(raw)), problems(raw)


def test_count_errors_are_all_reported() -> None:
    found = problems({"conditions": [{"event": {"count": {"op": "most", "value": -1}}}]})
    assert [p.split(":")[0] for p in found] == [
        "conditions[0].event.count.op",
        "conditions[0].event.count.value",
    ]


def test_a_valid_definition_becomes_a_typed_tree() -> None:
    definition = parse_definition(
        {
            "conditions": [
                {
                    "event": {
                        "type": "track",
                        "name": "Product Viewed",
                        "properties": [{"name": "category", "op": "eq", "value": "shoes"}],
                        "count": {"op": "gte", "value": 3},
                        "window": {"lastDays": 30},
                    }
                },
                {"order": {"metric": "spend", "op": "gt", "value": 99.5, "currency": "EUR"}},
                {"order": {"metric": "spend", "op": "gt", "value": 1000, "currency": "JPY"}},
            ]
        }
    )
    event, spend, yen = definition.root.items
    assert isinstance(event, EventCondition)
    assert event.window == Window(last_days=30)
    assert (event.count.op, event.count.value) == ("gte", 3)
    assert isinstance(spend, OrderCondition)
    assert spend.value == 9950
    assert isinstance(yen, OrderCondition)
    assert yen.value == 1000
    assert definition.has_relative_window


def test_a_huge_definition_is_refused() -> None:
    leaf = {"identifier": {"kind": "email"}}
    found = problems({"conditions": [leaf] * 201})
    assert found == ["conditions[200]: a definition has at most 200 conditions"]
    deep: object = leaf
    for _ in range(13):
        deep = {"not": deep}
    assert "conditions nest at most 12 deep" in problems({"conditions": [deep]})[0]
