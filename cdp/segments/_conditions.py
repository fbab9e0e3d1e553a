"""The typed condition tree of a segment's definition (what `_definition.parse_definition`
returns and `_compile` turns into SQL), and the error that lists a definition's problems."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cdp.errors import InvalidInputError
from cdp.segments._fields import Field

__all__ = [
    "All",
    "AnyOf",
    "AttributeCondition",
    "Condition",
    "ConsentCondition",
    "Count",
    "Definition",
    "DefinitionError",
    "EventCondition",
    "FeedbackCondition",
    "IdentifierCondition",
    "Not",
    "OrderCondition",
    "PropertyFilter",
    "SegmentCondition",
    "TraitCondition",
    "Window",
]


class DefinitionError(InvalidInputError):
    """A definition with problems; `problems` holds one `path: message` line per problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        first = self.problems[0].split(":", 1)[0] if self.problems else "definition"
        super().__init__(first, "; ".join(self.problems))
        self.args = ("; ".join(self.problems),)

    def __str__(self) -> str:
        return "; ".join(self.problems)


@dataclass(frozen=True)
class Window:
    """A time range: the last N days before the evaluation time, or fixed bounds."""

    last_days: int | None = None
    since: datetime | None = None
    until: datetime | None = None

    @property
    def is_relative(self) -> bool:
        return self.last_days is not None


@dataclass(frozen=True)
class Count:
    op: str = "gte"
    value: int = 1


@dataclass(frozen=True)
class PropertyFilter:
    name: str
    op: str
    value: Any


@dataclass(frozen=True)
class AttributeCondition:
    field: Field
    op: str
    value: Any


@dataclass(frozen=True)
class TraitCondition:
    field: Field
    op: str
    value: Any


@dataclass(frozen=True)
class IdentifierCondition:
    kind: str


@dataclass(frozen=True)
class ConsentCondition:
    purpose: str
    channel: str | None = None


@dataclass(frozen=True)
class EventCondition:
    type: str | None = None
    name: str | None = None
    channel: str | None = None
    properties: tuple[PropertyFilter, ...] = ()
    count: Count = Count()
    window: Window | None = None


@dataclass(frozen=True)
class OrderCondition:
    """`count` orders (not cancelled), or `spend` (their totals net of refunds, in `currency`;
    with a product or category, what the matching items cost), compared with `value`."""

    metric: str = "count"
    op: str = "gte"
    value: int = 1  # a count, or minor units of `currency`
    currency: str | None = None
    product: str | None = None
    category: str | None = None
    window: Window | None = None


@dataclass(frozen=True)
class FeedbackCondition:
    kind: str | None = None
    sentiment: str | None = None
    topic: str | None = None
    channel: str | None = None
    count: Count = Count()
    window: Window | None = None
    nps: str | None = None  # a band of `NPS_BANDS`: the feedback is an NPS answer in it


@dataclass(frozen=True)
class SegmentCondition:
    segment_id: int


@dataclass(frozen=True)
class All:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    item: Condition


Condition = (
    All
    | AnyOf
    | Not
    | AttributeCondition
    | TraitCondition
    | IdentifierCondition
    | ConsentCondition
    | EventCondition
    | OrderCondition
    | FeedbackCondition
    | SegmentCondition
)


@dataclass(frozen=True)
class Definition:
    root: All

    @property
    def segment_ids(self) -> frozenset[int]:
        """The segments this one refers to (directly)."""
        return frozenset(_walk_segments(self.root))

    @property
    def has_relative_window(self) -> bool:
        """Whether membership changes with time alone (a `lastDays` window)."""
        return _has_relative(self.root)


def _walk_segments(node: Condition) -> list[int]:
    if isinstance(node, All | AnyOf):
        return [i for item in node.items for i in _walk_segments(item)]
    if isinstance(node, Not):
        return _walk_segments(node.item)
    return [node.segment_id] if isinstance(node, SegmentCondition) else []


def _has_relative(node: Condition) -> bool:
    if isinstance(node, All | AnyOf):
        return any(_has_relative(item) for item in node.items)
    if isinstance(node, Not):
        return _has_relative(node.item)
    window = getattr(node, "window", None)
    return isinstance(window, Window) and window.is_relative
