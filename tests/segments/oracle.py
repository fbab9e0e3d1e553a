"""A plain-Python evaluator of segment definitions over an in-memory world: the reference the
compiled SQL is compared with. Written from the documented semantics (docs/segments.md), not
from the compiler: a missing value fails every comparison, `neq`/`notIn`/`isNotSet` are the
negations of `eq`/`in`/`isSet`, counts and sums over no rows are zero."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from cdp.segments._conditions import (
    All,
    AnyOf,
    AttributeCondition,
    Condition,
    ConsentCondition,
    Definition,
    EventCondition,
    FeedbackCondition,
    IdentifierCondition,
    Not,
    OrderCondition,
    SegmentCondition,
    TraitCondition,
    Window,
)
from tests.segments.world import Person

OPS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "neq": operator.ne,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}
NEGATIONS = {"neq": "eq", "notIn": "in", "isNotSet": "isSet"}


def members(
    definition: Definition, people: list[Person], now: datetime, others: Mapping[int, Definition]
) -> set[str]:
    return {p.id for p in people if p.status == "active" and holds(definition.root, p, now, others)}


def holds(node: Condition, p: Person, now: datetime, others: Mapping[int, Definition]) -> bool:
    if isinstance(node, All):
        return all(holds(item, p, now, others) for item in node.items)
    if isinstance(node, AnyOf):
        return any(holds(item, p, now, others) for item in node.items)
    if isinstance(node, Not):
        return not holds(node.item, p, now, others)
    if isinstance(node, SegmentCondition):
        return holds(others[node.segment_id].root, p, now, others)
    if isinstance(node, AttributeCondition):
        return test(_attribute(p, node), node.op, node.value)
    if isinstance(node, TraitCondition):
        value = None if p.traits is None else p.traits.get(node.field.column or "")
        return test(value, node.op, node.value)
    if isinstance(node, IdentifierCondition):
        return node.kind in p.identifiers
    if isinstance(node, ConsentCondition):
        return _consented(p, node)
    if isinstance(node, EventCondition):
        n = sum(1 for e in p.events if _event_matches(e, node, now))
        return OPS[node.count.op](n, node.count.value)
    if isinstance(node, OrderCondition):
        return OPS[node.op](_order_metric(p, node, now), node.value)
    assert isinstance(node, FeedbackCondition)
    n = sum(1 for f in p.feedback if _feedback_matches(f, node, now))
    return OPS[node.count.op](n, node.count.value)


def test(value: Any, op: str, wanted: Any) -> bool:
    if op in NEGATIONS:
        return not test(value, NEGATIONS[op], wanted)
    if value is None:
        return False
    if op == "isSet":
        return True
    if op == "in":
        return value in wanted
    if op == "contains":
        return wanted in value
    if op == "startsWith":
        return str(value).startswith(wanted)
    return OPS[op](value, wanted)


def _attribute(p: Person, node: AttributeCondition) -> Any:
    f = node.field
    if f.json_path:
        value: Any = p.attributes
        for key in f.json_path:
            value = value.get(key) if isinstance(value, dict) else None
        return value if isinstance(value, str) else None
    return {
        "given_name": p.given_name,
        "email": p.email,
        "record_count": p.record_count,
        "last_seen_at": p.last_seen_at,
    }.get(f.column or "")


def _in_window(moment: datetime, window: Window | None, now: datetime) -> bool:
    if window is None:
        return True
    if window.last_days is not None:
        return now - timedelta(days=window.last_days) <= moment <= now
    if window.since is not None and moment < window.since:
        return False
    return not (window.until is not None and moment >= window.until)


def _consented(p: Person, node: ConsentCondition) -> bool:
    decisions = [
        (c.occurred_at, i, c.status)
        for i, c in enumerate(p.consents)
        if c.purpose == node.purpose and (node.channel is None or c.channel == node.channel)
    ]
    return bool(decisions) and max(decisions)[2] == "granted"


def _event_matches(e: Any, node: EventCondition, now: datetime) -> bool:
    if not _in_window(e.occurred_at, node.window, now):
        return False
    for wanted, actual in ((node.type, e.type), (node.name, e.name), (node.channel, e.channel)):
        if wanted is not None and actual != wanted:
            return False
    for prop in node.properties:
        value = e.properties.get(prop.name)
        if not test(value if isinstance(value, str) else None, prop.op, prop.value):
            return False
    return True


def _order_metric(p: Person, node: OrderCondition, now: datetime) -> int:
    total = 0
    for order in p.orders:
        if order.status == "cancelled" or not _in_window(order.placed_at, node.window, now):
            continue
        items = [
            i
            for i in order.items
            if (node.category is None or i.category == node.category)
            and (node.product is None or node.product in (i.product_id, i.sku))
        ]
        filtered = node.category is not None or node.product is not None
        if node.metric == "count":
            total += 1 if (items or not filtered) else 0
        elif order.currency == node.currency:
            if filtered:
                total += sum(i.quantity * i.unit_price_minor for i in items)
            else:
                total += order.total_minor - order.refunded_minor
    return total


def _feedback_matches(f: Any, node: FeedbackCondition, now: datetime) -> bool:
    if not _in_window(f.occurred_at, node.window, now):
        return False
    for wanted, actual in (
        (node.kind, f.kind),
        (node.sentiment, f.sentiment),
        (node.channel, f.channel),
    ):
        if wanted is not None and actual != wanted:
            return False
    if node.nps is not None and not _in_band(f.nps, node.nps):
        return False
    return node.topic is None or node.topic in f.topics


def _in_band(score: int | None, band: str) -> bool:
    """Written out here, independently of `NPS_BANDS`: the survey's 0-10 scale."""
    if score is None:
        return False
    return {"detractor": score <= 6, "passive": 7 <= score <= 8, "promoter": score >= 9}[band]
