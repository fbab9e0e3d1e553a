"""Hypothesis strategies for random definitions (JSON, as a client writes them)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from tests.segments import world as w

COUNT_OPS = ["eq", "neq", "gt", "gte", "lt", "lte"]
Json = dict[str, Any]


def _iso(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[str]:
    return strategy.map(lambda moment: moment.isoformat())


def _optional(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[Json]:
    return st.fixed_dictionaries({}, optional=fields)


windows = st.one_of(
    st.fixed_dictionaries({"lastDays": st.sampled_from([1, 7, 30, 60])}),
    _optional(since=_iso(w.times()), until=_iso(w.times())).filter(
        lambda d: d and not ("since" in d and "until" in d and d["since"] >= d["until"])
    ),
)
counts = st.fixed_dictionaries({"op": st.sampled_from(COUNT_OPS), "value": st.integers(0, 3)})


def _compare(name: str, ops: list[str], values: st.SearchStrategy[Any]) -> st.SearchStrategy[Json]:
    def build(op: str, value: Any, many: list[Any]) -> Json:
        if op in ("isSet", "isNotSet"):
            return {"name": name, "op": op}
        if op in ("in", "notIn"):
            return {"name": name, "op": op, "value": many}
        return {"name": name, "op": op, "value": value}

    return st.builds(build, st.sampled_from(ops), values, st.lists(values, min_size=1, max_size=3))


TEXT = ["eq", "neq", "in", "notIn", "contains", "startsWith", "isSet", "isNotSet"]
NUMBER = ["eq", "neq", "gt", "gte", "lt", "lte", "isSet", "isNotSet"]
TIME = ["gt", "gte", "lt", "lte", "isSet", "isNotSet"]
attributes = st.one_of(
    _compare("givenName", TEXT, st.sampled_from([*w.NAMES, "An", "nn"])),
    _compare("email", TEXT, st.sampled_from(["a@x.com", "a@", "@y.org"])),
    _compare("recordCount", NUMBER, st.sampled_from([1, 2, 2.5, 4])),
    _compare("lastSeenAt", TIME, _iso(w.times())),
    _compare("gender", TEXT, st.sampled_from(["female", "male", "5", "fe"])),
    _compare("address.country", TEXT, st.sampled_from(w.COUNTRIES)),
    _compare("address.city", TEXT, st.sampled_from([*w.CITIES, "Par"])),
    _compare("birthDate", NUMBER[:6], st.sampled_from(["1980-02-29", "1990-05-01", "1995-01-01"])),
)
traits = st.one_of(
    _compare("valueTier", TEXT, st.sampled_from(w.TIERS)),
    _compare("lifecycleStage", TEXT, st.sampled_from(w.STAGES)),
    _compare("orderCount", NUMBER, st.integers(0, 5)),
    _compare("probabilityAlive", NUMBER, st.sampled_from([0.1, 0.5, 0.9])),
    _compare("lastOrderAt", TIME, _iso(w.times())),
)
properties = st.lists(
    st.one_of(
        st.fixed_dictionaries(
            {
                "name": st.sampled_from(["category", "plan"]),
                "op": st.sampled_from(["eq", "neq", "contains"]),
                "value": st.sampled_from([*w.CATEGORIES, "pro", "3", "sh"]),
            }
        ),
        st.fixed_dictionaries(
            {
                "name": st.just("category"),
                "op": st.just("in"),
                "value": st.lists(st.sampled_from(w.CATEGORIES), min_size=1, max_size=2),
            }
        ),
    ),
    max_size=2,
)
events = _optional(
    type=st.sampled_from(w.EVENT_TYPES),
    name=st.sampled_from(w.EVENT_NAMES),
    channel=st.sampled_from(w.CHANNELS),
    properties=properties,
    count=counts,
    window=windows,
)
orders = st.one_of(
    st.fixed_dictionaries(
        {"metric": st.just("count"), "op": st.sampled_from(COUNT_OPS), "value": st.integers(0, 3)},
        optional={
            "category": st.sampled_from(w.CATEGORIES),
            "product": st.sampled_from(w.PRODUCTS),
            "window": windows,
        },
    ),
    st.fixed_dictionaries(
        {
            "metric": st.just("spend"),
            "op": st.sampled_from(COUNT_OPS),
            "value": st.sampled_from([0, 10, 40, 90.5, 100]),
            "currency": st.sampled_from(["EUR", "USD"]),
        },
        optional={
            "category": st.sampled_from(w.CATEGORIES),
            "product": st.sampled_from(w.PRODUCTS),
            "window": windows,
        },
    ),
)
feedback = _optional(
    kind=st.sampled_from(w.FEEDBACK_KINDS),
    sentiment=st.sampled_from(w.SENTIMENTS),
    topic=st.sampled_from(w.TOPICS),
    channel=st.sampled_from(w.CHANNELS),
    nps=st.sampled_from(["detractor", "passive", "promoter"]),
    count=counts,
    window=windows,
)


def leaves(segment_ids: list[int]) -> st.SearchStrategy[Json]:
    options = [
        attributes.map(lambda b: {"attribute": b}),
        traits.map(lambda b: {"trait": b}),
        st.sampled_from(w.KINDS).map(lambda k: {"identifier": {"kind": k}}),
        _optional(channel=st.sampled_from(w.CHANNELS)).map(
            lambda d: {"consent": {"purpose": "email_marketing", **d}}
        ),
        st.sampled_from(w.PURPOSES).map(lambda p: {"consent": {"purpose": p}}),
        events.map(lambda b: {"event": b}),
        orders.map(lambda b: {"order": b}),
        feedback.map(lambda b: {"feedback": b}),
    ]
    if segment_ids:
        options.append(st.sampled_from(segment_ids).map(lambda i: {"segment": {"id": i}}))
    return st.one_of(options)


def trees(segment_ids: list[int] | None = None) -> st.SearchStrategy[Json]:
    node = st.recursive(
        leaves(segment_ids or []),
        lambda inner: st.one_of(
            st.lists(inner, min_size=1, max_size=3).map(lambda xs: {"and": xs}),
            st.lists(inner, min_size=1, max_size=3).map(lambda xs: {"or": xs}),
            inner.map(lambda x: {"not": x}),
        ),
        max_leaves=6,
    )
    return st.lists(node, min_size=1, max_size=3).map(lambda xs: {"conditions": xs})
