"""Searches and aggregates within bounds: a bounded text, scoring the timeout can stop, and
costs that count their work."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from cdp.db import unit_of_work
from cdp.services import aggregates, search
from cdp.services.search import MAX_SEARCH_TEXT
from tests.schema.conftest import Gql
from tests.schema.factories import make_profile


def test_search_text_over_the_limit_is_refused_when_it_is_long(gql: Gql) -> None:
    text = "Jane " * 1000

    body = gql("query($t: String!) { searchProfiles(text: $t) { score } }", {"t": text})

    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert f"at most {MAX_SEARCH_TEXT}" in error["message"]
    assert "4,999 characters" in error["message"]


def test_search_scoring_stops_when_the_request_times_out(
    client_factory: Callable[..., TestClient],
    keys: dict[str, str],
    session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with unit_of_work(session_factory) as session:
        for n in range(300):
            make_profile(session, given_name="Jane", family_name=f"Doe{n}")
    scored = 0
    lock = threading.Lock()
    real_score = search._score

    def slow_score(item: Any, query: str, phone: str | None) -> tuple[str, float]:
        nonlocal scored
        time.sleep(0.01)  # stands for expensive scoring
        with lock:
            scored += 1
        return real_score(item, query, phone)

    monkeypatch.setattr(search, "_score", slow_score)
    monkeypatch.setattr(search, "_CHUNK", 5)
    client = client_factory(graphql_timeout_seconds=0.2)

    body = client.post(
        "/graphql",
        json={"query": '{ searchProfiles(text: "Jane Doe") { score } }'},
        headers={"Authorization": f"Bearer {keys['analyst']}"},
    ).json()
    time.sleep(0.3)  # a chunk in flight finishes, then the thread sees the stop
    after_stop = scored
    time.sleep(0.3)

    assert body["errors"][0]["extensions"]["code"] == "TIMEOUT"
    assert after_stop < 300
    assert scored == after_stop


def test_aliased_searches_exceed_the_cost_budget_when_many(gql: Gql) -> None:
    aliases = " ".join(
        f'a{n}: searchProfiles(text: "Jane", first: 1) {{ score }}' for n in range(30)
    )

    body = gql(f"{{ {aliases} }}", role="analyst")

    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"


def test_aliased_overviews_exceed_the_cost_budget_when_many(gql: Gql) -> None:
    aliases = " ".join(f"a{n}: overview {{ totals {{ profiles }} }}" for n in range(30))

    body = gql(f"{{ {aliases} }}", role="analyst")

    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"


def test_aggregate_is_computed_once_when_aliases_repeat_it(
    gql: Gql, monkeypatch: pytest.MonkeyPatch, session_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(session_factory) as session:
        make_profile(session)
    calls = 0
    real_totals = aggregates.totals

    async def counted(session: Any) -> aggregates.Totals:
        nonlocal calls
        calls += 1
        return await real_totals(session)

    monkeypatch.setattr(aggregates, "totals", counted)
    aliases = " ".join(f"a{n}: overview {{ totals {{ profiles }} }}" for n in range(5))

    body = gql(f"{{ {aliases} }}", role="analyst")

    assert "errors" not in body, body
    assert [body["data"][f"a{n}"]["totals"]["profiles"] for n in range(5)] == [1] * 5
    assert calls == 1


def test_aliased_stats_exceed_the_cost_budget_when_many_are_asked_without_a_key(
    gql: Gql,
) -> None:
    aliases = " ".join(f"a{n}: stats {{ profiles sourceRecords }}" for n in range(30))

    body = gql(f"{{ {aliases} }}", role=None)

    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"


def test_stats_are_counted_once_when_aliases_repeat_them(
    gql: Gql, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = 0
    real_counts = aggregates.basic_counts

    async def counted(session: Any) -> aggregates.BasicCounts:
        nonlocal calls
        calls += 1
        return await real_counts(session)

    monkeypatch.setattr(aggregates, "basic_counts", counted)
    aliases = " ".join(f"a{n}: stats {{ profiles }}" for n in range(5))

    body = gql(f"{{ {aliases} }}", role=None)

    assert "errors" not in body, body
    assert calls == 1
