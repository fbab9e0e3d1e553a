"""The Segment adapter's fast path reads every message exactly as the plain helper-based
reading (`segment_reference`) does: same observation, or the same error with the same field."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.adapters import SegmentAdapter
from ingest.errors import SkippableRecordError
from ingest.observation import Observation
from tests.ingest.conftest import FIXTURES
from tests.ingest.segment_reference import ReferenceSegmentAdapter

# Values of every JSON type, with the awkward ones (blank, padded, numbers for strings).
_ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["", "  ", " x ", "a-1", "u-1", "x" * 300, "@jane", "Jane.Doe@Example.com"]),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.sampled_from(["a", "path", "name"]), st.text(max_size=3), max_size=2),
)
_TYPES = st.sampled_from(["identify", "track", "page", "screen", "alias", "group", " track "])
_TIMES = st.sampled_from(["2026-01-05T10:00:00Z", "2026-01-05T10:00:00", "yesterday", ""])
_MAP = st.dictionaries(
    st.sampled_from(
        ["email", "phone", "x_handle", "firstName", "name", "address", "url", "path", "title"]
    ),
    _ODD | st.just("+1 415 555 0101"),
    max_size=4,
)
_CONTEXT = st.one_of(
    st.none(),
    _ODD,
    st.fixed_dictionaries(
        {},
        optional={
            "traits": _MAP | _ODD,
            "page": _MAP | _ODD,
            "campaign": st.fixed_dictionaries({}, optional={"name": _ODD}) | _ODD,
        },
    ),
)
_PRODUCTS = st.lists(
    st.fixed_dictionaries(
        {"price": st.sampled_from(["12.50", 3, "x"])},
        optional={"quantity": st.sampled_from([1, 2, -1, "2"]), "name": _ODD, "sku": _ODD},
    )
    | _ODD,
    max_size=2,
)
_VALID: dict[str, dict[str, Any]] = {
    "identify": {
        "userId": "u-1",
        "anonymousId": "a-1",
        "traits": {"email": "Jane@Example.com", "phone": "+1 415 555 0101", "firstName": "J"},
    },
    "track": {"userId": "u-1", "event": "Product Viewed", "properties": {"product_id": "p"}},
    "order": {
        "userId": "u-1",
        "event": "Order Completed",
        "properties": {
            "order_id": "o-1",
            "total": "42.50",
            "currency": "usd",
            "products": [{"name": "Mug", "price": "12.50", "quantity": 2}],
        },
    },
    "page": {"anonymousId": "a-2", "context": {"page": {"path": "/", "url": "https://x/"}}},
    "screen": {"anonymousId": "a-3", "name": "Cart"},
    "alias": {"userId": "u-1", "previousId": "a-9"},
    "group": {"userId": "u-1", "groupId": "g-1", "traits": {"name": "Acme"}},
}
_FIELDS = [
    "type",
    "messageId",
    "timestamp",
    "userId",
    "anonymousId",
    "previousId",
    "event",
    "name",
    "groupId",
    "traits",
    "context",
    "properties",
]
_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "type": _TYPES | _ODD,
    "messageId": st.sampled_from(["m-1", " m-2 ", "", "y" * 300]) | _ODD,
    "timestamp": _TIMES | _ODD,
    "event": st.sampled_from(["Order Completed", "Product Viewed", " "]) | _ODD,
    "traits": _MAP | _ODD,
    "context": _CONTEXT,
    "properties": st.fixed_dictionaries(
        {},
        optional={
            "order_id": _ODD,
            "total": st.sampled_from(["42.50", 7, "abc"]),
            "currency": st.sampled_from(["usd", "JPY"]) | _ODD,
            "products": _PRODUCTS,
            "path": _ODD,
        },
    )
    | _ODD,
}


@st.composite
def _messages(draw: st.DrawFn) -> dict[str, Any]:
    """A valid message of each kind, with up to three fields changed or removed."""
    shape = draw(st.sampled_from(sorted(_VALID)))
    kind = "track" if shape == "order" else shape
    message: dict[str, Any] = {
        "type": kind,
        "messageId": "m-1",
        "timestamp": "2026-01-05T10:00:00Z",
        **_VALID[shape],
    }
    for field in draw(st.lists(st.sampled_from(_FIELDS), max_size=3, unique=True)):
        if draw(st.booleans()):
            message.pop(field, None)
        else:
            message[field] = draw(_VALUES.get(field, _ODD))
    return message


def _reading(read: Callable[[Mapping[str, Any]], Observation], message: Any) -> Any:
    try:
        return read(message)
    except SkippableRecordError as exc:
        return ("quarantined", str(exc), exc.field)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        return ("adapter bug", type(exc).__name__, str(exc))


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_messages())
def test_fast_path_reads_as_the_reference_when_messages_are_arbitrary(
    message: dict[str, Any],
) -> None:
    fast = _reading(SegmentAdapter().to_observation, message)
    reference = _reading(ReferenceSegmentAdapter().to_observation, message)

    assert fast == reference


@pytest.mark.parametrize("name", ["events.jsonl", "malformed.jsonl"])
def test_fast_path_reads_as_the_reference_when_reading_the_fixtures(name: str) -> None:
    adapter = SegmentAdapter(files=[FIXTURES / "web.segment" / name])
    raws = [raw for raw in adapter.fetch(None) if raw.payload is not None]

    for raw in raws:
        assert raw.payload is not None
        fast = _reading(adapter.to_observation, raw.payload)
        reference = _reading(ReferenceSegmentAdapter().to_observation, raw.payload)
        assert fast == reference, raw.position
