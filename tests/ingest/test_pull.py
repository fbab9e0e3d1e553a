from __future__ import annotations

import copy
import json
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from cdp.db import unit_of_work
from cdp.feedback.batch import analyze_pending
from ingest.adapters import MetaLeadsAdapter, ShopifyOrdersAdapter, XMentionsAdapter
from ingest.http import RetryPolicy
from ingest.runner import run_ingest
from ingest.state import load_checkpoint
from tests.ingest.conftest import FIXTURES, counts
from tests.ingest.fake_apis import FakeMetaLeads, FakeShopify, FakeXMentions, serve_in_thread

SHOP = "https://acme.myshopify.com"
TOKEN = "shpat_secret"


def _orders(n: int) -> list[dict[str, Any]]:
    base = json.loads((FIXTURES / "store.shopify" / "orders-1.json").read_text())["orders"][0]
    orders = []
    for i in range(n):
        order = copy.deepcopy(base)
        order["id"] = 1000 + i
        order["updated_at"] = f"2026-01-{10 + i:02d}T09:00:00+00:00"
        orders.append(order)
    return orders


def _shopify(
    api: FakeShopify, sleeps: list[float] | None = None, **config: Any
) -> ShopifyOrdersAdapter:
    adapter = ShopifyOrdersAdapter(
        {"shop_url": SHOP, "access_token": TOKEN, "page_size": 2, **config},
        client=httpx.Client(transport=httpx.MockTransport(api)),
    )
    adapter.retry_policy = RetryPolicy(sleep=(sleeps if sleeps is not None else []).append)
    return adapter


def _cursor(session_factory: sessionmaker[Session], source: str) -> Any:
    with session_factory() as session:
        source_id = session.scalar(select(models.Source.id).where(models.Source.name == source))
        assert source_id is not None
        return load_checkpoint(session, source_id).get("cursor")


def test_shopify_pull_follows_link_pages_and_saves_cursor(
    session_factory: sessionmaker[Session],
) -> None:
    api = FakeShopify(_orders(5))

    summary = run_ingest(session_factory, _shopify(api), source="shop", batch_size=2)

    assert (summary.read, summary.stored, summary.error) == (5, 5, None)
    assert len(api.requests) == 3
    assert "page_info" in api.requests[1].url.params
    assert _cursor(session_factory, "shop") == "2026-01-14T09:00:00+00:00"


def test_shopify_second_pull_asks_from_cursor_and_adds_nothing(
    session_factory: sessionmaker[Session],
) -> None:
    api = FakeShopify(_orders(5))
    run_ingest(session_factory, _shopify(api), source="shop")
    before = counts(session_factory)

    again = run_ingest(session_factory, _shopify(api), source="shop")

    assert api.requests[-1].url.params["updated_at_min"] == "2026-01-14T09:00:00+00:00"
    assert (again.read, again.stored, again.duplicates) == (1, 0, 1)
    assert counts(session_factory) == before


def test_shopify_updated_order_replaces_earlier_version_on_next_pull(
    session_factory: sessionmaker[Session],
) -> None:
    orders = _orders(3)
    api = FakeShopify(orders)
    run_ingest(session_factory, _shopify(api), source="shop")
    orders[0]["updated_at"] = "2026-02-01T00:00:00+00:00"
    orders[0]["total_price"] = "1.00"

    again = run_ingest(session_factory, _shopify(api), source="shop")

    assert (again.stored, again.replaced) == (1, 1)
    with session_factory() as session:
        order = session.scalar(select(models.Order).where(models.Order.external_id == "1000"))
    assert order is not None
    assert order.total_minor == 100
    assert counts(session_factory)["orders"] == 3


def test_throttled_and_failing_pages_are_retried_with_backoff_honouring_retry_after(
    session_factory: sessionmaker[Session],
) -> None:
    api = FakeShopify(_orders(3))
    api.script = [
        httpx.Response(429, headers={"Retry-After": "7"}),
        httpx.Response(503),
        httpx.Response(500),
    ]
    sleeps: list[float] = []

    summary = run_ingest(session_factory, _shopify(api, sleeps), source="shop")

    assert summary.stored == 3
    assert sleeps == [7.0, 1.0, 2.0]


def test_bad_credentials_stop_the_run_with_a_reason_that_hides_the_token(
    session_factory: sessionmaker[Session],
) -> None:
    adapter = _shopify(FakeShopify(_orders(2)), access_token="wrong-token")

    summary = run_ingest(session_factory, adapter, source="shop")

    assert summary.error is not None
    assert "401" in summary.error
    assert "wrong-token" not in summary.error
    assert summary.read == 0


def test_failure_mid_pull_keeps_committed_batches_and_resumes_from_checkpoint(
    session_factory: sessionmaker[Session],
) -> None:
    class Flaky(FakeShopify):
        fail_after = 2

        def answer(self, request: httpx.Request) -> httpx.Response:
            if len(self.requests) > self.fail_after:
                return httpx.Response(502)
            return super().answer(request)

    api = Flaky(_orders(6))
    first = run_ingest(session_factory, _shopify(api), source="shop", batch_size=2)
    assert first.error is not None
    assert first.stored == 4
    assert _cursor(session_factory, "shop") == "2026-01-13T09:00:00+00:00"

    api.fail_after = 10**6
    second = run_ingest(session_factory, _shopify(api), source="shop", batch_size=2)

    assert second.error is None
    assert api.requests[-2].url.params["updated_at_min"] == "2026-01-13T09:00:00+00:00"
    assert counts(session_factory)["orders"] == 6


def test_timeout_against_a_real_server_is_retried_then_reported(
    session_factory: sessionmaker[Session],
) -> None:
    api = FakeShopify(_orders(1))
    with serve_in_thread(api, delay=0.5) as url:
        adapter = ShopifyOrdersAdapter(
            {"shop_url": url, "access_token": TOKEN, "timeout": 0.1},
        )
        adapter.retry_policy = RetryPolicy(attempts=2, sleep=lambda _: None)
        summary = run_ingest(session_factory, adapter, source="shop")
    assert summary.error is not None
    assert "timed out" in summary.error
    assert "giving up after 2 attempts" in summary.error


def test_real_server_pull_pages_over_sockets(session_factory: sessionmaker[Session]) -> None:
    api = FakeShopify(_orders(3))
    with serve_in_thread(api) as url:
        adapter = ShopifyOrdersAdapter({"shop_url": url, "access_token": TOKEN, "page_size": 2})
        summary = run_ingest(session_factory, adapter, source="shop")
    assert (summary.read, summary.stored, summary.error) == (3, 3, None)


def _leads() -> list[dict[str, Any]]:
    page = json.loads((FIXTURES / "social.meta_leads" / "leads-1.json").read_text())
    return list(page["data"])


def test_meta_leads_pull_follows_next_and_filters_on_the_next_run(
    session_factory: sessionmaker[Session],
) -> None:
    leads = _leads()
    api = FakeMetaLeads(leads)

    def adapter() -> MetaLeadsAdapter:
        return MetaLeadsAdapter(
            {"form_ids": ["f-1"], "access_token": "EAAB", "base_url": "https://graph.test"},
            client=httpx.Client(transport=httpx.MockTransport(api)),
        )

    first = run_ingest(session_factory, adapter(), source="leads")
    assert (first.read, first.stored) == (2, 2)
    assert api.requests[0].headers["Authorization"] == "Bearer EAAB"
    assert _cursor(session_factory, "leads") == "2026-01-05T10:00:00+0000"
    leads.append({**leads[0], "id": "9003", "created_time": "2026-01-07T10:00:00+0000"})

    second = run_ingest(session_factory, adapter(), source="leads")

    assert "filtering" in api.requests[-1].url.params
    assert (second.read, second.stored) == (1, 1)


def test_x_mentions_pull_follows_next_token_and_mentions_become_analysed_feedback(
    session_factory: sessionmaker[Session],
) -> None:
    page = json.loads((FIXTURES / "social.x_mentions" / "mentions-1.json").read_text())
    api = FakeXMentions(page["data"], page["includes"]["users"])
    adapter = XMentionsAdapter(
        {"user_id": "42", "bearer_token": "AAAA", "base_url": "https://api.x.test"},
        client=httpx.Client(transport=httpx.MockTransport(api)),
    )

    summary = run_ingest(session_factory, adapter, source="x")

    assert (summary.read, summary.stored) == (2, 2)
    assert api.requests[1].url.params["pagination_token"] == "1"
    with session_factory() as session:
        feedback = session.scalars(select(models.Feedback)).all()
        handles = set(
            session.scalars(
                select(models.Identifier.value).where(models.Identifier.kind == "social_handle")
            )
        )
    assert [(f.kind, f.sentiment_label) for f in feedback] == [("comment", None)] * 2
    with unit_of_work(session_factory) as session:
        result = analyze_pending(session)
    with session_factory() as session:
        analysed = {
            f.text: (f.kind, f.language, f.sentiment_label, sorted(t.topic for t in f.topics))
            for f in session.scalars(select(models.Feedback))
        }
    assert result.analysed == 2
    assert analysed == {
        "@shop my order never arrived, I want a refund": (
            "complaint", "en", "negative", ["delivery", "returns"]),
        "@shop love the new mugs!": ("praise", "en", "positive", []),
    }  # fmt: skip
    assert handles == {"x:jane_doe", "x:bobsmith"}
    assert counts(session_factory)["interactions"] == 2
