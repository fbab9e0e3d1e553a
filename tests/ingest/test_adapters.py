"""What each built-in adapter understands of the real formats (pure; no database)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from ingest.adapters import (
    MetaLeadsAdapter,
    SegmentAdapter,
    SendGridAdapter,
    ShopifyOrdersAdapter,
    XMentionsAdapter,
)
from ingest.errors import SkippableRecordError
from ingest.observation import (
    ConsentFact,
    EventFact,
    FeedbackFact,
    Identifier,
    InteractionFact,
    OrderFact,
)
from tests.ingest.conftest import FIXTURES


def _segment(external_id: str) -> dict[str, Any]:
    for line in (FIXTURES / "web.segment" / "events.jsonl").read_text().splitlines():
        message: dict[str, Any] = json.loads(line)
        if message["messageId"] == external_id:
            return message
    raise KeyError(external_id)


def test_segment_identify_is_a_profile_with_user_and_anonymous_ids() -> None:
    observation = SegmentAdapter().to_observation(_segment("m-1"))

    assert observation.kind == "profile"
    assert observation.occurred_at == datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    assert Identifier("user_id", "u-1") in observation.identifiers
    assert Identifier("anonymous_id", "a-1") in observation.identifiers
    assert Identifier("social_handle", "x:jane_doe") in observation.identifiers
    assert observation.person.to_json()["address"]["region"] == "IL"
    assert observation.facts == ()


def test_segment_order_completed_is_an_order_with_items_in_minor_units() -> None:
    observation = SegmentAdapter().to_observation(_segment("m-4"))

    event, order = observation.facts
    assert isinstance(event, EventFact)
    assert isinstance(order, OrderFact)
    assert (order.external_id, order.currency, order.total_minor) == ("o-1", "USD", 4250)
    assert [(i.sku, i.quantity, i.unit_price_minor) for i in order.items] == [
        ("SKU-1", 2, 1250), ("SKU-2", 1, 1750),
    ]  # fmt: skip


def test_segment_page_takes_its_name_and_url_from_context() -> None:
    (event,) = SegmentAdapter().to_observation(_segment("m-2")).facts

    assert isinstance(event, EventFact)
    assert (event.type, event.name) == ("page", "/")
    assert event.properties["url"] == "https://shop.example/"


@pytest.mark.parametrize(
    ("event", "purpose", "status", "reason"),
    [
        ("unsubscribe", "email_marketing", "revoked", "sendgrid unsubscribe"),
        ("spamreport", "email_marketing", "revoked", "sendgrid spamreport"),
        ("group_unsubscribe", "email_marketing", "revoked", "sendgrid group_unsubscribe (group 7)"),
        ("group_resubscribe", "email_marketing", "granted", "sendgrid group_resubscribe (group 7)"),
    ],
    ids=["unsubscribe", "spamreport", "group_unsubscribe", "group_resubscribe"],
)
def test_sendgrid_consent_events_become_consent_changes(
    event: str, purpose: str, status: str, reason: str
) -> None:
    record = {"email": "a@b.io", "timestamp": 1767600000, "event": event,
              "sg_event_id": "e", "asm_group_id": 7}  # fmt: skip

    observation = SendGridAdapter().to_observation(record)

    assert observation.kind == "consent"
    assert ConsentFact(purpose, status, reason, "email") in observation.facts  # type: ignore[arg-type]


def test_sendgrid_open_keeps_campaign_and_customer_id() -> None:
    record = {"email": "A@B.io", "timestamp": 1767600000, "event": "open", "sg_event_id": "e",
              "campaign_id": "c-9", "customer_id": "cust-1", "sg_message_id": "m"}  # fmt: skip

    observation = SendGridAdapter().to_observation(record)

    (event,) = observation.facts
    assert isinstance(event, EventFact)
    assert (event.type, event.campaign_id) == ("email.open", "c-9")
    assert Identifier("customer_id", "cust-1") in observation.identifiers


def test_shopify_order_carries_customer_id_refunds_and_sales_channel() -> None:
    page = json.loads((FIXTURES / "store.shopify" / "orders-1.json").read_text())

    observation = ShopifyOrdersAdapter().to_observation(page["orders"][1])

    (order,) = observation.facts
    assert isinstance(order, OrderFact)
    assert (order.currency, order.total_minor, order.refunded_minor) == ("EUR", 2000, 1000)
    assert (order.sales_channel, order.financial_status) == ("pos", "partially_refunded")
    assert Identifier("customer_id", "207119552") in observation.identifiers
    assert observation.person.to_json()["address"]["country"] == "FR"


def test_meta_lead_is_a_profile_with_lead_id_and_field_data() -> None:
    page = json.loads((FIXTURES / "social.meta_leads" / "leads-1.json").read_text())

    observation = MetaLeadsAdapter().to_observation(page["data"][0])

    assert observation.kind == "profile"
    assert Identifier("lead_id", "9001") in observation.identifiers
    assert Identifier("phone", "+14155550101") in observation.identifiers
    assert observation.person.full_name == "Jane Doe"
    assert isinstance(observation.facts[0], InteractionFact)


def test_every_x_mention_is_also_feedback_of_unknown_kind_for_analysis() -> None:
    adapter = XMentionsAdapter()
    page = json.loads((FIXTURES / "social.x_mentions" / "mentions-1.json").read_text())
    complaint, praise = adapter.records_in_page(page)

    complained = adapter.to_observation(complaint)
    praised = adapter.to_observation(praise)

    text = "@shop my order never arrived, I want a refund"
    assert FeedbackFact(kind="comment", text=text) in complained.facts
    assert FeedbackFact(kind="comment", text="@shop love the new mugs!") in praised.facts
    assert Identifier("social_id", "x:111") in complained.identifiers
    assert complained.person.full_name == "Jane Doe"


def test_x_reply_is_a_reply_interaction_and_feedback() -> None:
    adapter = XMentionsAdapter()
    page = json.loads((FIXTURES / "social.x_mentions" / "mentions-1.json").read_text())
    tweet = {**adapter.records_in_page(page)[0], "referenced_tweets": [
        {"type": "replied_to", "id": "1879999999999999999"}]}  # fmt: skip

    observation = adapter.to_observation(tweet)

    kinds = [
        (type(f).__name__, getattr(f, "type", getattr(f, "kind", None))) for f in observation.facts
    ]
    assert kinds == [("InteractionFact", "reply"), ("FeedbackFact", "comment")]


def test_unknown_segment_type_names_the_value_and_the_choices() -> None:
    with pytest.raises(SkippableRecordError) as caught:
        SegmentAdapter().to_observation({"type": "teleport", "messageId": "x"})

    assert "type: unknown Segment message type" in str(caught.value)
    assert "'teleport'" in str(caught.value)
