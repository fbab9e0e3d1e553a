"""The typed GraphQL form of a segment definition, turned into the JSON form `cdp.segments`
validates and stores (docs/segments.md). `ConditionInput` is a `@oneOf` input: each node sets
exactly one of its fields, as each JSON node has exactly one key."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

__all__ = ["ConditionInput", "SegmentDefinitionInput", "definition_json"]


@strawberry.enum(description="How a value is compared (`IS_SET`/`IS_NOT_SET` take no value).")
class ComparisonOperator(enum.Enum):
    EQ = strawberry.enum_value("eq", description="Equal.")
    NEQ = strawberry.enum_value("neq", description="Not equal (true when there is no value).")
    IN = strawberry.enum_value("in", description="One of a list.")
    NOT_IN = strawberry.enum_value("notIn", description="None of a list.")
    CONTAINS = strawberry.enum_value("contains", description="Contains the text (case-sensitive).")
    STARTS_WITH = strawberry.enum_value("startsWith", description="Starts with the text.")
    GT = strawberry.enum_value("gt", description="Greater than (after, for times).")
    GTE = strawberry.enum_value("gte", description="Greater than or equal.")
    LT = strawberry.enum_value("lt", description="Less than (before, for times).")
    LTE = strawberry.enum_value("lte", description="Less than or equal.")
    IS_SET = strawberry.enum_value("isSet", description="Has a value.")
    IS_NOT_SET = strawberry.enum_value("isNotSet", description="Has no value.")


@strawberry.enum(description="How a count or an amount is compared.")
class CountOperator(enum.Enum):
    EQ = strawberry.enum_value("eq", description="Exactly.")
    NEQ = strawberry.enum_value("neq", description="Anything but.")
    GT = strawberry.enum_value("gt", description="More than.")
    GTE = strawberry.enum_value("gte", description="At least.")
    LT = strawberry.enum_value("lt", description="Fewer than (zero included).")
    LTE = strawberry.enum_value("lte", description="At most (zero included).")


@strawberry.enum(description="What an order condition measures.")
class OrderMetric(enum.Enum):
    COUNT = strawberry.enum_value("count", description="Orders placed (not cancelled).")
    SPEND = strawberry.enum_value(
        "spend",
        description=(
            "Money spent in `currency` (order totals net of refunds; with a product or "
            "category, what the matching items cost)."
        ),
    )


@strawberry.input(description="A time range: the last N days, or fixed bounds.")
class WindowInput:
    last_days: int | None = strawberry.field(default=None, description="The last N days (1-36500).")
    since: str | None = strawberry.field(default=None, description="From this ISO time (included).")
    until: str | None = strawberry.field(
        default=None, description="Until this ISO time (excluded)."
    )


@strawberry.input(description="How many matching rows: `{op: GTE, value: 3}` is at least 3.")
class CountInput:
    op: CountOperator = strawberry.field(description="The comparison.")
    value: int = strawberry.field(description="The number compared with.")


@strawberry.input(description="A golden-record attribute compared with a value.")
class AttributeConditionInput:
    name: str = strawberry.field(
        description="givenName, familyName, email, phone, recordCount, channelCount, firstSeenAt, "
        "lastSeenAt, createdAt, gender, birthDate, address.city/region/postcode/country."
    )
    op: ComparisonOperator = strawberry.field(description="The comparison.")
    value: JSON | None = strawberry.field(
        default=None, description="A text, number, ISO time, or a list for IN/NOT_IN."
    )


@strawberry.input(description="A computed trait compared with a value.")
class TraitConditionInput:
    name: str = strawberry.field(description="A trait, e.g. valueTier, rfmSegment, orderCount.")
    op: ComparisonOperator = strawberry.field(description="The comparison.")
    value: JSON | None = strawberry.field(default=None, description="The value compared with.")


@strawberry.input(description="The profile has an identifier of this kind.")
class IdentifierConditionInput:
    kind: str = strawberry.field(description="email, phone, customer_id, anonymous_id...")


@strawberry.input(description="The latest consent decision for the purpose is a grant.")
class ConsentConditionInput:
    purpose: str = strawberry.field(description="e.g. email_marketing.")
    channel: str | None = strawberry.field(
        default=None, description="Only this channel's decisions."
    )


@strawberry.input(description="An event property compared with a text.")
class PropertyFilterInput:
    name: str = strawberry.field(description="The property, e.g. category.")
    op: ComparisonOperator = strawberry.field(description="EQ, NEQ, IN or CONTAINS.")
    value: JSON = strawberry.field(description="A text (a list of texts for IN).")


@strawberry.input(description="How many matching events the profile has (default: at least one).")
class EventConditionInput:
    type: str | None = strawberry.field(default=None, description="track, page, email.open...")
    name: str | None = strawberry.field(default=None, description="e.g. Product Viewed.")
    channel: str | None = strawberry.field(default=None, description="web, email...")
    properties: list[PropertyFilterInput] | None = strawberry.field(
        default=None, description="Conditions on the event's properties (all must hold)."
    )
    count: CountInput | None = strawberry.field(default=None, description="How many.")
    window: WindowInput | None = strawberry.field(default=None, description="When.")


@strawberry.input(description="Orders: how many, or how much was spent.")
class OrderConditionInput:
    metric: OrderMetric = strawberry.field(description="COUNT or SPEND.")
    op: CountOperator = strawberry.field(description="The comparison.")
    value: float = strawberry.field(description="Orders, or an amount in major units.")
    currency: str | None = strawberry.field(default=None, description="ISO 4217 (SPEND only).")
    product: str | None = strawberry.field(
        default=None, description="Only orders of this product id or SKU."
    )
    category: str | None = strawberry.field(
        default=None, description="Only orders with this category."
    )
    window: WindowInput | None = strawberry.field(default=None, description="When placed.")


@strawberry.input(description="How much feedback of a kind the profile gave.")
class FeedbackConditionInput:
    kind: str | None = strawberry.field(default=None, description="complaint, review, survey...")
    sentiment: str | None = strawberry.field(
        default=None, description="positive, neutral, negative."
    )
    topic: str | None = strawberry.field(default=None, description="e.g. delivery.")
    channel: str | None = strawberry.field(default=None, description="The channel.")
    nps: str | None = strawberry.field(
        default=None,
        description="Only NPS answers in this group: detractor (0-6), passive (7-8), "
        "promoter (9-10).",
    )
    count: CountInput | None = strawberry.field(default=None, description="How many.")
    window: WindowInput | None = strawberry.field(default=None, description="When.")


@strawberry.input(description="The profile is in another segment (cycles are refused).")
class SegmentConditionInput:
    id: strawberry.ID = strawberry.field(description="The other segment's id.")


@strawberry.input(
    one_of=True, description="One condition: set exactly one field (a combinator or a test)."
)
class ConditionInput:
    and_: list[ConditionInput] | None = strawberry.field(
        default=strawberry.UNSET, name="and", description="All of these hold."
    )
    or_: list[ConditionInput] | None = strawberry.field(
        default=strawberry.UNSET, name="or", description="At least one of these holds."
    )
    not_: ConditionInput | None = strawberry.field(
        default=strawberry.UNSET, name="not", description="This does not hold."
    )
    attribute: AttributeConditionInput | None = strawberry.field(
        default=strawberry.UNSET, description="An attribute."
    )
    trait: TraitConditionInput | None = strawberry.field(
        default=strawberry.UNSET, description="A trait."
    )
    identifier: IdentifierConditionInput | None = strawberry.field(
        default=strawberry.UNSET, description="An identifier."
    )
    consent: ConsentConditionInput | None = strawberry.field(
        default=strawberry.UNSET, description="A consent."
    )
    event: EventConditionInput | None = strawberry.field(
        default=strawberry.UNSET, description="Events."
    )
    order: OrderConditionInput | None = strawberry.field(
        default=strawberry.UNSET, description="Orders."
    )
    feedback: FeedbackConditionInput | None = strawberry.field(
        default=strawberry.UNSET, description="Feedback."
    )
    segment: SegmentConditionInput | None = strawberry.field(
        default=strawberry.UNSET, description="Another segment."
    )


@strawberry.input(description="A segment definition: every condition must hold.")
class SegmentDefinitionInput:
    conditions: list[ConditionInput] = strawberry.field(description="Combined with AND.")


def _plain(value: Any) -> Any:
    """An input object as JSON: camelCase keys, enum values, unset and null fields dropped."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, ConditionInput):
        return _condition(value)
    fields = getattr(value, "__strawberry_definition__", None)
    if fields is None:
        return value
    found: dict[str, Any] = {}
    for f in fields.fields:
        item = getattr(value, f.python_name)
        if item is None or item is strawberry.UNSET:
            continue
        found[f.graphql_name or _camel(f.python_name)] = _plain(item)
    return found


def _condition(node: ConditionInput) -> dict[str, Any]:
    for f in ConditionInput.__strawberry_definition__.fields:  # type: ignore[attr-defined]
        item = getattr(node, f.python_name)
        if item is not None and item is not strawberry.UNSET:
            return {f.graphql_name or f.python_name: _plain(item)}
    return {}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def definition_json(definition: SegmentDefinitionInput) -> dict[str, Any]:
    """The JSON form of a typed definition (validated by `cdp.segments` like any other)."""
    found: dict[str, Any] = _fix_order_values({"conditions": _plain(definition.conditions)})
    return found


def _fix_order_values(raw: Any) -> Any:
    """A whole-number order value comes through GraphQL's Float as 3.0: give it back as 3."""
    if isinstance(raw, dict):
        fixed = {key: _fix_order_values(item) for key, item in raw.items()}
        if (
            "metric" in fixed
            and isinstance(fixed.get("value"), float)
            and fixed["value"].is_integer()
        ):
            fixed["value"] = int(fixed["value"])
        return fixed
    if isinstance(raw, list):
        return [_fix_order_values(item) for item in raw]
    return raw
