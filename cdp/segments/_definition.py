"""A segment's definition: a condition tree, read from JSON with every error reported at once.

The JSON form is what is stored (`segments.definition`) and what GraphQL's typed input turns
into: `{"conditions": [NODE, ...]}` (the list is combined with AND), each NODE an object with
exactly one key:

    {"and": [NODE, ...]}   {"or": [NODE, ...]}   {"not": NODE}
    {"attribute": {"name": "address.country", "op": "eq", "value": "FR"}}
    {"identifier": {"kind": "email"}}
    {"consent": {"purpose": "email_marketing", "channel": "email"}}
    {"event": {"type": "track", "name": "Product Viewed", "channel": "web",
               "properties": [{"name": "category", "op": "eq", "value": "shoes"}],
               "count": {"op": "gte", "value": 3}, "window": {"lastDays": 30}}}
    {"order": {"metric": "spend", "op": "gt", "value": 100, "currency": "EUR",
               "category": "shoes", "product": "SKU-1", "window": {"lastDays": 90}}}
    {"feedback": {"kind": "complaint", "sentiment": "negative", "topic": "delivery",
                  "count": {"op": "gte", "value": 1}, "window": {"lastDays": 30}}}
    {"trait": {"name": "valueTier", "op": "eq", "value": "high"}}
    {"segment": {"id": 12}}

`parse_definition` returns the typed tree or raises `DefinitionError` listing every problem
with the path of its node (`conditions[1].and[0].window: ...`). What the fields mean, and the
operators each accepts, is in `_fields` (one table shared by validation and compilation).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from cdp.feedback.kinds import NPS_BANDS
from cdp.segments._conditions import (
    All,
    AnyOf,
    AttributeCondition,
    Condition,
    ConsentCondition,
    Count,
    Definition,
    DefinitionError,
    EventCondition,
    FeedbackCondition,
    IdentifierCondition,
    Not,
    OrderCondition,
    PropertyFilter,
    SegmentCondition,
    TraitCondition,
    Window,
)
from cdp.segments._fields import (
    ATTRIBUTES,
    COUNT_OPS,
    PROPERTY_OPS,
    TRAITS,
    Field,
    check_value,
    minor_units,
)

__all__ = ["parse_definition"]

MAX_DEPTH = 12
MAX_NODES = 200


@dataclass
class _Reader:
    problems: list[str] = field(default_factory=list)
    nodes: int = 0

    def fail(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def node(self, raw: Any, path: str, depth: int) -> Condition | None:
        self.nodes += 1
        if self.nodes == MAX_NODES + 1:
            self.fail(path, f"a definition has at most {MAX_NODES} conditions")
        if depth > MAX_DEPTH:
            self.fail(path, f"conditions nest at most {MAX_DEPTH} deep")
            return None
        if not isinstance(raw, Mapping) or len(raw) != 1:
            kinds = ", ".join(sorted(_KINDS))
            self.fail(
                path, f"a condition is an object with exactly one key of {kinds}; got {_show(raw)}"
            )
            return None
        ((kind, body),) = raw.items()
        if kind not in _KINDS:
            self.fail(path, f"unknown condition {kind!r}; use one of {', '.join(sorted(_KINDS))}")
            return None
        if kind in ("and", "or"):
            items = self.items(body, f"{path}.{kind}", depth)
            return None if items is None else (All(items) if kind == "and" else AnyOf(items))
        if kind == "not":
            inner = self.node(body, f"{path}.not", depth + 1)
            return None if inner is None else Not(inner)
        if not isinstance(body, Mapping):
            self.fail(f"{path}.{kind}", f"expected an object, got {_show(body)}")
            return None
        reader = _LEAVES[kind]
        return reader(self, body, f"{path}.{kind}")

    def items(self, raw: Any, path: str, depth: int) -> tuple[Condition, ...] | None:
        if not isinstance(raw, Sequence) or isinstance(raw, str | bytes) or not raw:
            self.fail(path, f"expected a non-empty list of conditions, got {_show(raw)}")
            return None
        found = [self.node(item, f"{path}[{i}]", depth + 1) for i, item in enumerate(raw)]
        kept = [item for item in found if item is not None]
        return tuple(kept) if len(kept) == len(found) else None

    def keys(
        self, body: Mapping[str, Any], path: str, allowed: set[str], required: set[str]
    ) -> bool:
        ok = True
        for key in body:
            if key not in allowed:
                self.fail(f"{path}.{key}", f"unknown field; use {', '.join(sorted(allowed))}")
                ok = False
        for key in sorted(required - set(body)):
            self.fail(f"{path}.{key}", "is required")
            ok = False
        return ok

    def text(self, body: Mapping[str, Any], key: str, path: str, limit: int = 200) -> str | None:
        value = body.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip() or len(value) > limit:
            self.fail(
                f"{path}.{key}",
                f"expected a non-empty text of at most {limit} characters, got {_show(value)}",
            )
            return None
        return value

    def window(self, body: Mapping[str, Any], path: str) -> Window | None:
        raw = body.get("window")
        if raw is None:
            return None
        path = f"{path}.window"
        if not isinstance(raw, Mapping) or not raw:
            self.fail(path, f"expected {{lastDays: N}} or {{since, until}}, got {_show(raw)}")
            return None
        if not self.keys(raw, path, {"lastDays", "since", "until"}, set()):
            return None
        last = raw.get("lastDays")
        if last is not None:
            if set(raw) != {"lastDays"}:
                self.fail(path, "give lastDays alone, or since and/or until")
                return None
            if not _is_int(last) or not 1 <= last <= 36_500:
                self.fail(
                    f"{path}.lastDays",
                    f"expected a whole number of days from 1 to 36500, got {_show(last)}",
                )
                return None
            return Window(last_days=last)
        since = self.moment(raw.get("since"), f"{path}.since")
        until = self.moment(raw.get("until"), f"{path}.until")
        if since is not None and until is not None and since >= until:
            self.fail(path, f"since {since.isoformat()} is not before until {until.isoformat()}")
            return None
        return Window(since=since, until=until)

    def moment(self, raw: Any, path: str) -> datetime | None:
        if raw is None:
            return None
        moment = _to_datetime(raw)
        if moment is None:
            self.fail(path, f"expected an ISO 8601 time with a time zone, got {_show(raw)}")
        return moment

    def count(self, body: Mapping[str, Any], path: str) -> Count:
        raw = body.get("count")
        if raw is None:
            return Count()
        path = f"{path}.count"
        if not isinstance(raw, Mapping) or not self.keys(
            raw, path, {"op", "value"}, {"op", "value"}
        ):
            if not isinstance(raw, Mapping):
                self.fail(path, f"expected {{op, value}}, got {_show(raw)}")
            return Count()
        op, value = raw["op"], raw["value"]
        if op not in COUNT_OPS:
            self.fail(f"{path}.op", f"unknown operator {_show(op)}; use {', '.join(COUNT_OPS)}")
        if not _is_int(value) or not 0 <= value <= 1_000_000:
            self.fail(
                f"{path}.value", f"expected a whole number from 0 to 1000000, got {_show(value)}"
            )
        return Count(op, value) if op in COUNT_OPS and _is_int(value) else Count()


def _attribute(reader: _Reader, body: Mapping[str, Any], path: str) -> Condition | None:
    return _compare(reader, body, path, ATTRIBUTES, AttributeCondition, "attribute")


def _trait(reader: _Reader, body: Mapping[str, Any], path: str) -> Condition | None:
    return _compare(reader, body, path, TRAITS, TraitCondition, "trait")


def _compare(
    reader: _Reader,
    body: Mapping[str, Any],
    path: str,
    fields: Mapping[str, Field],
    make: type[AttributeCondition] | type[TraitCondition],
    what: str,
) -> Condition | None:
    if not reader.keys(body, path, {"name", "op", "value"}, {"name", "op"}):
        return None
    name, op = body["name"], body["op"]
    known = fields.get(name) if isinstance(name, str) else None
    if known is None:
        reader.fail(
            f"{path}.name", f"unknown {what} {_show(name)}; use one of {', '.join(sorted(fields))}"
        )
        return None
    if op not in known.ops:
        reader.fail(
            f"{path}.op", f"{_show(op)} does not apply to {name}; use {', '.join(known.ops)}"
        )
        return None
    value, problem = check_value(known, op, body.get("value"))
    if problem is not None:
        reader.fail(f"{path}.value", problem)
        return None
    return make(known, op, value)


def _identifier(reader: _Reader, body: Mapping[str, Any], path: str) -> Condition | None:
    if not reader.keys(body, path, {"kind"}, {"kind"}):
        return None
    kind = reader.text(body, "kind", path, 30)
    return None if kind is None else IdentifierCondition(kind)


def _consent(reader: _Reader, body: Mapping[str, Any], path: str) -> Condition | None:
    if not reader.keys(body, path, {"purpose", "channel"}, {"purpose"}):
        return None
    purpose = reader.text(body, "purpose", path, 50)
    channel = reader.text(body, "channel", path, 20)
    if purpose is None or ("channel" in body and channel is None):
        return None
    return ConsentCondition(purpose, channel)


def _event(reader: _Reader, body: Mapping[str, Any], path: str) -> Condition | None:
    allowed = {"type", "name", "channel", "properties", "count", "window"}
    if not reader.keys(body, path, allowed, set()):
        return None
    before = len(reader.problems)
    texts = {key: reader.text(body, key, path) for key in ("type", "name", "channel")}
    properties = _properties(reader, body.get("properties"), f"{path}.properties")
    count, window = reader.count(body, path), reader.window(body, path)
    if len(reader.problems) > before:
        return None
    return EventCondition(texts["type"], texts["name"], texts["channel"], properties, count, window)


def _properties(reader: _Reader, raw: Any, path: str) -> tuple[PropertyFilter, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, Sequence) or isinstance(raw, str | bytes):
        reader.fail(path, f"expected a list of {{name, op, value}}, got {_show(raw)}")
        return ()
    found: list[PropertyFilter] = []
    for i, item in enumerate(raw):
        where = f"{path}[{i}]"
        if not isinstance(item, Mapping):
            reader.fail(where, f"expected {{name, op, value}}, got {_show(item)}")
            continue
        if not reader.keys(item, where, {"name", "op", "value"}, {"name", "op", "value"}):
            continue
        name = reader.text(item, "name", where, 100)
        op, value = item["op"], item["value"]
        if op not in PROPERTY_OPS:
            reader.fail(
                f"{where}.op", f"unknown operator {_show(op)}; use {', '.join(PROPERTY_OPS)}"
            )
            continue
        if op == "in":
            ok = (
                isinstance(value, list)
                and 0 < len(value) <= 1000
                and all(isinstance(v, str) for v in value)
            )
        else:
            ok = isinstance(value, str)
        if not ok:
            wanted = "a non-empty list of texts" if op == "in" else "a text"
            reader.fail(f"{where}.value", f"expected {wanted}, got {_show(value)}")
            continue
        if name is not None:
            found.append(PropertyFilter(name, op, tuple(value) if op == "in" else value))
    return tuple(found)


def _order(reader: _Reader, body: Mapping[str, Any], path: str) -> Condition | None:
    allowed = {"metric", "op", "value", "currency", "product", "category", "window"}
    if not reader.keys(body, path, allowed, {"metric", "op", "value"}):
        return None
    before = len(reader.problems)
    metric, op, value = body["metric"], body["op"], body["value"]
    currency = reader.text(body, "currency", path, 3)
    product, category = reader.text(body, "product", path), reader.text(body, "category", path)
    window = reader.window(body, path)
    if metric not in ("count", "spend"):
        reader.fail(f"{path}.metric", f"unknown metric {_show(metric)}; use count or spend")
    if op not in COUNT_OPS:
        reader.fail(f"{path}.op", f"unknown operator {_show(op)}; use {', '.join(COUNT_OPS)}")
    amount = 0
    if metric == "count":
        if currency is not None:
            reader.fail(f"{path}.currency", "only a spend condition takes a currency")
        if not _is_int(value) or not 0 <= value <= 1_000_000:
            reader.fail(f"{path}.value", f"expected a whole number of orders, got {_show(value)}")
        else:
            amount = value
    elif metric == "spend":
        if currency is None:
            if "currency" not in body:
                reader.fail(
                    f"{path}.currency", "a spend condition needs the currency of its amount"
                )
        elif len(currency) != 3 or not currency.isalpha() or not currency.isupper():
            reader.fail(
                f"{path}.currency", f"expected an ISO 4217 code such as EUR, got {_show(currency)}"
            )
        number = _to_decimal(value)
        if number is None or not 0 <= number <= Decimal(10) ** 12:
            reader.fail(f"{path}.value", f"expected an amount from 0 to 10^12, got {_show(value)}")
        elif currency is not None:
            amount = minor_units(number, currency)
    if len(reader.problems) > before:
        return None
    return OrderCondition(metric, op, amount, currency, product, category, window)


def _feedback(reader: _Reader, body: Mapping[str, Any], path: str) -> Condition | None:
    allowed = {"kind", "sentiment", "topic", "channel", "count", "window", "nps"}
    if not reader.keys(body, path, allowed, set()):
        return None
    before = len(reader.problems)
    texts = {
        key: reader.text(body, key, path, 50)
        for key in ("kind", "sentiment", "topic", "channel", "nps")
    }
    sentiment = texts["sentiment"]
    if sentiment is not None and sentiment not in ("positive", "neutral", "negative"):
        reader.fail(
            f"{path}.sentiment", f"expected positive, neutral or negative, got {_show(sentiment)}"
        )
    nps = texts["nps"]
    if nps is not None and nps not in NPS_BANDS:
        reader.fail(f"{path}.nps", f"expected {', '.join(NPS_BANDS)}, got {_show(nps)}")
    count, window = reader.count(body, path), reader.window(body, path)
    if len(reader.problems) > before:
        return None
    return FeedbackCondition(
        texts["kind"], sentiment, texts["topic"], texts["channel"], count, window, nps
    )


def _segment(reader: _Reader, body: Mapping[str, Any], path: str) -> Condition | None:
    if not reader.keys(body, path, {"id"}, {"id"}):
        return None
    raw = body["id"]
    value = int(raw) if isinstance(raw, str) and raw.isdigit() and len(raw) < 19 else raw
    if not _is_int(value) or value < 1:
        reader.fail(f"{path}.id", f"expected a segment id, got {_show(raw)}")
        return None
    return SegmentCondition(value)


_LEAVES = {
    "attribute": _attribute,
    "trait": _trait,
    "identifier": _identifier,
    "consent": _consent,
    "event": _event,
    "order": _order,
    "feedback": _feedback,
    "segment": _segment,
}
_KINDS = frozenset({"and", "or", "not", *_LEAVES})


def parse_definition(raw: Any) -> Definition:
    """The typed tree of a JSON definition; `DefinitionError` lists every problem."""
    reader = _Reader()
    if not isinstance(raw, Mapping) or set(raw) != {"conditions"}:
        raise DefinitionError([f'definition: expected {{"conditions": [...]}}, got {_show(raw)}'])
    items = reader.items(raw["conditions"], "conditions", 0)
    if reader.problems or items is None:
        raise DefinitionError(reader.problems)
    return Definition(All(items))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _to_decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _to_datetime(raw: Any) -> datetime | None:
    if isinstance(raw, datetime):
        return raw if raw.tzinfo is not None else None
    if not isinstance(raw, str):
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
