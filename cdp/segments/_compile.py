"""A definition as one SQL statement (SQLAlchemy Core): the ids of the active profiles in it.

Every leaf is a predicate on the outer `profiles` row that is never NULL (a missing value makes
a comparison false, not unknown), so `not` is exactly the complement and the members are the
same on SQLite and PostgreSQL. Negative operators are the negation of their positive twin
(`neq` is `not eq`: a profile with no value is "not equal").

Conditions on other tables are semi-joins on the profile id. Counted and summed conditions
(events, orders, feedback) become `id IN (SELECT profile_id ... GROUP BY profile_id HAVING
aggregate OP value)`; when the comparison holds for zero (`count < 3`, `spend <= 100`), the
profiles with no matching rows belong too, so it is `id NOT IN (... HAVING NOT (aggregate OP
value))` instead. A segment condition inlines the other segment's definition.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    and_,
    exists,
    false,
    func,
    not_,
    or_,
    select,
    true,
)

from cdp import models
from cdp.consent import consented_profiles
from cdp.feedback.kinds import NPS_BANDS
from cdp.segments._conditions import (
    All,
    AnyOf,
    AttributeCondition,
    Condition,
    ConsentCondition,
    Count,
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
from cdp.segments._sql import json_text, json_text_in, text_contains, text_starts_with

__all__ = ["CANCELLED", "compare", "members_query", "predicate"]

CANCELLED = "cancelled"
COMPARE: Mapping[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq,
    "neq": operator.ne,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}
_NEGATIVE = {"neq": "eq", "notIn": "in", "isNotSet": "isSet"}
_PROFILE = cast("Table", models.Profile.__table__)
_TRAITS = cast("Table", models.ProfileTraits.__table__)


def compare(op: str, left: Any, right: Any) -> Any:
    """`left OP right` for a count or comparison operator (SQL or Python values)."""
    return COMPARE[op](left, right)


def members_query(
    definition: Definition,
    *,
    now: datetime,
    segments: Mapping[int, Definition],
    profile_ids: Sequence[str] | Select[Any] | None = None,
    rows: tuple[Table, Table] | None = None,
) -> Select[tuple[str]]:
    """The ids of the active profiles the definition selects, as of `now` (for `lastDays`
    windows); `segments` holds the definitions a segment condition may name (transitively);
    `profile_ids` (a list, or a select of ids) limits the test to those profiles. `rows`:
    tables to read the `profiles` and `profile_traits` rows from instead (copies of the
    touched profiles' rows, `_membership`), with the same columns."""
    ids: list[str] | Select[Any] | None = (
        profile_ids if profile_ids is None or isinstance(profile_ids, Select) else list(profile_ids)
    )
    compiler = _Compiler(now, segments, ids, rows)
    profiles = compiler.profiles
    query = select(profiles.c.id).where(
        profiles.c.status == models.ProfileStatus.ACTIVE.value,
        compiler.node(definition.root, frozenset()),
    )
    if ids is not None:
        query = query.where(profiles.c.id.in_(ids))
    return query


def predicate(
    definition: Definition, *, now: datetime, segments: Mapping[int, Definition]
) -> ColumnElement[bool]:
    """The definition as a condition on `profiles` (never NULL)."""
    return _Compiler(now, segments).node(definition.root, frozenset())


class _Compiler:
    """`ids`, when given, is repeated inside every subquery on another table, so that testing a
    few touched profiles reads only their rows (the database would otherwise aggregate every
    profile's events before keeping the few asked about)."""

    def __init__(
        self,
        now: datetime,
        segments: Mapping[int, Definition],
        ids: list[str] | Select[Any] | None = None,
        rows: tuple[Table, Table] | None = None,
    ) -> None:
        self.now = now
        self.segments = segments
        self.ids = ids
        self.profiles, self.traits = rows or (_PROFILE, _TRAITS)

    def among(self, column: Any, query: Select[Any]) -> Select[Any]:
        return query if self.ids is None else query.where(column.in_(self.ids))

    def node(self, node: Condition, seen: frozenset[int]) -> ColumnElement[bool]:
        if isinstance(node, All):
            return and_(true(), *(self.node(item, seen) for item in node.items))
        if isinstance(node, AnyOf):
            return or_(false(), *(self.node(item, seen) for item in node.items))
        if isinstance(node, Not):
            return not_(self.node(node.item, seen))
        if isinstance(node, SegmentCondition):
            return self.segment(node, seen)
        if isinstance(node, AttributeCondition):
            return self.attribute(node)
        if isinstance(node, TraitCondition):
            return self.trait(node)
        if isinstance(node, IdentifierCondition):
            i = models.Identifier
            query = select(i.profile_id).where(i.kind == node.kind, i.profile_id.is_not(None))
            return self.profiles.c.id.in_(self.among(i.profile_id, query))
        if isinstance(node, ConsentCondition):
            granted = consented_profiles(node.purpose, node.channel).subquery("granted")
            query = select(granted.c.profile_id)
            return self.profiles.c.id.in_(self.among(granted.c.profile_id, query))
        if isinstance(node, EventCondition):
            return self.event(node)
        if isinstance(node, OrderCondition):
            return self.order(node)
        return self.feedback(node)

    def segment(self, node: SegmentCondition, seen: frozenset[int]) -> ColumnElement[bool]:
        other = self.segments.get(node.segment_id)
        if other is None or node.segment_id in seen:
            raise ValueError(f"segment {node.segment_id} is unknown or refers to itself")
        return self.node(other.root, seen | {node.segment_id})

    def attribute(self, node: AttributeCondition) -> ColumnElement[bool]:
        f, profiles = node.field, self.profiles
        if f.json_path and node.op in ("eq", "neq", "in", "notIn"):
            values = [node.value] if node.op in ("eq", "neq") else list(node.value)
            found = json_text_in(profiles.c.attributes, f.json_path, values)
            return found if node.op in ("eq", "in") else not_(found)
        value = (
            json_text(profiles.c.attributes, *f.json_path)
            if f.json_path
            else profiles.c[f.column or ""]
        )
        return value_test(value, node.op, node.value)

    def trait(self, node: TraitCondition) -> ColumnElement[bool]:
        traits = self.traits
        column = traits.c[node.field.column or ""]
        op = _NEGATIVE.get(node.op, node.op)
        query = select(traits.c.profile_id).where(value_test(column, op, node.value))
        positive = self.profiles.c.id.in_(self.among(traits.c.profile_id, query))
        return not_(positive) if op != node.op else positive

    def window(self, column: Any, window: Window | None) -> list[ColumnElement[bool]]:
        if window is None:
            return []
        if window.last_days is not None:
            start = self.now - timedelta(days=window.last_days)
            return [column >= start, column <= self.now]
        found: list[ColumnElement[bool]] = []
        if window.since is not None:
            found.append(column >= window.since)
        if window.until is not None:
            found.append(column < window.until)
        return found

    def counted(self, profile_id: Any, *args: Any, **kwargs: Any) -> ColumnElement[bool]:
        return _counted(self.profiles, self.ids, profile_id, *args, **kwargs)

    def event(self, node: EventCondition) -> ColumnElement[bool]:
        e = models.Event
        where = [e.profile_id.is_not(None), *self.window(e.occurred_at, node.window)]
        for column, wanted in ((e.type, node.type), (e.name, node.name), (e.channel, node.channel)):
            if wanted is not None:
                where.append(column == wanted)
        for prop in node.properties:
            props = cast("ColumnElement[Any]", e.properties)
            if prop.op in ("eq", "neq", "in"):
                values = list(prop.value) if prop.op == "in" else [prop.value]
                found = json_text_in(props, (prop.name,), values)
                where.append(not_(found) if prop.op == "neq" else found)
            else:
                where.append(value_test(json_text(props, prop.name), prop.op, prop.value))
        return self.counted(e.profile_id, where, func.count(), node.count)

    def order(self, node: OrderCondition) -> ColumnElement[bool]:
        o, item = models.Order, models.OrderItem
        where = [
            o.profile_id.is_not(None),
            func.coalesce(o.status, "") != CANCELLED,
            *self.window(o.placed_at, node.window),
        ]
        item_where = []
        if node.category is not None:
            item_where.append(item.category == node.category)
        if node.product is not None:
            item_where.append(or_(item.product_id == node.product, item.sku == node.product))
        count = Count(node.op, node.value)
        if node.metric == "count":
            if item_where:
                where.append(exists().where(item.order_id == o.id, *item_where))
            return self.counted(o.profile_id, where, func.count(), count)
        where.append(o.currency == node.currency)
        if not item_where:
            return self.counted(
                o.profile_id, where, func.sum(o.total_minor - o.refunded_minor), count
            )
        spent = func.sum(item.quantity * item.unit_price_minor)
        return self.counted(o.profile_id, where, spent, count, join_items=item_where)

    def feedback(self, node: FeedbackCondition) -> ColumnElement[bool]:
        f = models.Feedback
        where = [f.profile_id.is_not(None), *self.window(f.occurred_at, node.window)]
        for column, wanted in (
            (f.kind, node.kind),
            (f.sentiment_label, node.sentiment),
            (f.channel, node.channel),
        ):
            if wanted is not None:
                where.append(column == wanted)
        if node.nps is not None:
            where.append(f.nps.between(*NPS_BANDS[node.nps]))
        if node.topic is not None:
            t = models.FeedbackTopic
            where.append(exists().where(t.feedback_id == f.id, t.topic == node.topic))
        return self.counted(f.profile_id, where, func.count(), node.count)


def value_test(value: ColumnElement[Any], op: str, wanted: Any) -> ColumnElement[bool]:
    """`value OP wanted`, false (never NULL) when `value` is NULL."""
    if op in _NEGATIVE:
        return not_(value_test(value, _NEGATIVE[op], wanted))
    present: ColumnElement[bool] = value.is_not(None)
    if op == "isSet":
        return present
    if op == "in":
        return and_(present, value.in_(list(wanted)))
    if op == "contains":
        return and_(present, text_contains(value, wanted))
    if op == "startsWith":
        return and_(present, text_starts_with(value, wanted))
    compared: ColumnElement[bool] = compare(op, value, wanted)
    return and_(present, compared)


def _counted(
    profiles: Table,
    ids: list[str] | Select[Any] | None,
    profile_id: Any,
    where: list[ColumnElement[bool]],
    aggregate: Any,
    count: Count,
    *,
    join_items: list[ColumnElement[bool]] | None = None,
) -> ColumnElement[bool]:
    query = select(profile_id).where(*where)
    if ids is not None:
        query = query.where(profile_id.in_(ids))
    if join_items is not None:
        item = models.OrderItem
        query = query.join(item, item.order_id == models.Order.id).where(*join_items)
    holds_for_zero = bool(compare(count.op, 0, count.value))
    any_row = (count.op, count.value) in (("gte", 1), ("gt", 0))
    if any_row and aggregate.name == "count":  # no grouping needed
        return profiles.c.id.in_(query)
    test = compare(count.op, aggregate, count.value)
    grouped = query.group_by(profile_id)
    if holds_for_zero:
        return profiles.c.id.not_in(grouped.having(not_(test)))
    return profiles.c.id.in_(grouped.having(test))
