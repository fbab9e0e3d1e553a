"""One person seen by every channel, and a bystander, written as each channel's real files.

`write_files(directory)` writes Segment JSON Lines, SendGrid webhook events, a Shopify orders
page, a Meta leads page, an X mentions page and a till CSV (read through the example POS
mapping); `PERSONAL_VALUES` lists every value of the person that must not survive an erasure.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EMAIL = "Zoe.Farthingale@privacy-test.example"
EMAIL_NORM = "zoe.farthingale@privacy-test.example"
PHONE = "+1 415 555 0199"
PHONE_NORM = "+14155550199"
USER_ID = "u-zq-4471"
ANON_ID = "anon-zq-93311"
SHOPIFY_CUSTOMER = 907119577
#: SendGrid's custom arg is the Shopify customer id (docs/synthetic.md)
CUSTOMER_ID = str(SHOPIFY_CUSTOMER)
LOYALTY = "L-ZQ-90817"
X_HANDLE = "zq_farthingale"
X_AUTHOR = "88123456789"
LEAD_ID = "7770001112223"
STREET = "17 Quillmoor Lane"
COMPLAINT = "@shop my Quillmoor teapot arrived cracked, I want a refund"

#: every value of the person that must be gone after the erasure (case-insensitive)
PERSONAL_VALUES = (
    EMAIL_NORM,
    PHONE_NORM,
    PHONE,
    "4155550199",
    USER_ID,
    ANON_ID,
    CUSTOMER_ID,
    LOYALTY,
    X_HANDLE,
    X_AUTHOR,
    LEAD_ID,
    "Farthingale",
    STREET,
    "Quillmoor teapot",
)

BOB_EMAIL = "bob.bystander@privacy-test.example"


def _segment(context_consent: bool = True) -> list[dict[str, Any]]:
    consent = {"consent": {"categoryPreferences": {"Analytics": True, "Advertising": False}}}
    return [
        {"type": "identify", "messageId": "zq-m-1", "userId": USER_ID, "anonymousId": ANON_ID,
         "timestamp": "2026-01-05T10:00:00Z",
         "traits": {"email": EMAIL, "phone": PHONE, "firstName": "Zoë", "lastName": "Farthingale",
                    "address": {"street": STREET, "city": "Springfield", "postalCode": "62704",
                                "country": "US"}},
         "context": {"ip": "10.9.8.7", **(consent if context_consent else {})}},
        {"type": "page", "messageId": "zq-m-2", "anonymousId": ANON_ID,
         "timestamp": "2026-01-05T10:01:00Z", "properties": {"title": "Teapots"},
         "context": {"page": {"url": "https://shop.example/teapots", "path": "/teapots"}}},
        {"type": "track", "messageId": "zq-m-3", "userId": USER_ID, "anonymousId": ANON_ID,
         "event": "Order Completed", "timestamp": "2026-01-05T10:05:00Z",
         "properties": {"order_id": "zq-o-1", "total": "35.00", "currency": "usd",
                        "products": [{"product_id": "tp-1", "sku": "TEAPOT", "name": "Teapot",
                                      "price": "35.00", "quantity": 1}]}},
        {"type": "identify", "messageId": "bob-m-1", "userId": "u-bob-1",
         "timestamp": "2026-01-05T11:00:00Z", "traits": {"email": BOB_EMAIL, "firstName": "Bob"}},
    ]  # fmt: skip


def _sendgrid() -> list[dict[str, Any]]:
    return [
        {"email": EMAIL, "timestamp": 1767700000, "event": "open", "sg_event_id": "zq-sg-1",
         "sg_message_id": "zq-msg-1", "campaign_id": "c-teapots", "customer_id": CUSTOMER_ID},
        {"email": EMAIL, "timestamp": 1767700300, "event": "unsubscribe", "sg_event_id": "zq-sg-2",
         "sg_message_id": "zq-msg-1", "customer_id": CUSTOMER_ID},
        {"email": BOB_EMAIL, "timestamp": 1767700400, "event": "open", "sg_event_id": "bob-sg-1",
         "sg_message_id": "bob-msg-1", "campaign_id": "c-teapots"},
    ]  # fmt: skip


def _shopify() -> dict[str, Any]:
    return {"orders": [
        {"id": 450789999, "name": "#2001", "email": EMAIL, "phone": None,
         "created_at": "2026-01-10T09:00:00-05:00", "updated_at": "2026-01-10T09:00:00-05:00",
         "currency": "USD", "total_price": "59.90", "subtotal_price": "49.90",
         "financial_status": "paid", "source_name": "web", "buyer_accepts_marketing": True,
         "customer": {"id": SHOPIFY_CUSTOMER, "email": EMAIL, "first_name": "Zoë",
                      "last_name": "Farthingale", "phone": PHONE,
                      "email_marketing_consent": {"state": "subscribed",
                                                  "opt_in_level": "single_opt_in"}},
         "billing_address": {"first_name": "Zoë", "last_name": "Farthingale", "address1": STREET,
                             "city": "Springfield", "province_code": "IL", "zip": "62704",
                             "country_code": "US"},
         "line_items": [{"id": 1, "product_id": 632910392, "sku": "CUP", "title": "Cup",
                         "quantity": 1, "price": "49.90"}], "refunds": []},
    ]}  # fmt: skip


def _leads() -> dict[str, Any]:
    return {"data": [
        {"id": LEAD_ID, "created_time": "2026-01-04T08:00:00+0000", "form_id": "f-1",
         "field_data": [{"name": "email", "values": [EMAIL]},
                        {"name": "full_name", "values": ["Zoë Farthingale"]},
                        {"name": "phone_number", "values": [PHONE]}]},
    ], "paging": {"cursors": {"before": "b1", "after": "a1"}}}  # fmt: skip


def _mentions() -> dict[str, Any]:
    return {"data": [
        {"id": "1880000000000099001", "text": COMPLAINT, "author_id": X_AUTHOR,
         "created_at": "2026-01-06T12:00:00.000Z"},
    ], "includes": {"users": [{"id": X_AUTHOR, "username": X_HANDLE, "name": "ZQ"}]},
        "meta": {"result_count": 1}}  # fmt: skip


_TILL = (
    "receipt_id,store_id,sold_at,customer_name,loyalty_card,phone,email,street,city,postcode,"
    "total,currency\n"
    f'ZQ-R-1,S1,07/01/2026 10:15,"Farthingale, Zoë",{LOYALTY},{PHONE},{EMAIL},{STREET},'
    "Springfield,62704,12.50,USD\n"
    "BOB-R-1,S1,07/01/2026 11:00,Bob Bystander,,,,,,,8.00,USD\n"
)

#: (adapter or mapping, source name, file name) in the order they are ingested
FILES = (
    ("web.segment", "web", "segment.jsonl"),
    ("email.sendgrid", "mail", "sendgrid.json"),
    ("store.shopify", "shop", "shopify-orders.json"),
    ("social.meta_leads", "leads", "leads.json"),
    ("social.x_mentions", "x", "mentions.json"),
    ("mapping:pos", "till", "till.csv"),
)


def write_files(directory: Path) -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = {name: directory / name for _, _, name in FILES}
    paths["segment.jsonl"].write_text(
        "".join(json.dumps(m, ensure_ascii=False) + "\n" for m in _segment()), encoding="utf-8"
    )
    paths["sendgrid.json"].write_text(json.dumps(_sendgrid()), encoding="utf-8")
    paths["shopify-orders.json"].write_text(json.dumps(_shopify(), ensure_ascii=False), "utf-8")
    paths["leads.json"].write_text(json.dumps(_leads(), ensure_ascii=False), encoding="utf-8")
    paths["mentions.json"].write_text(json.dumps(_mentions(), ensure_ascii=False), "utf-8")
    paths["till.csv"].write_text(_TILL, encoding="utf-8")
    return paths


def segment_messages() -> list[dict[str, Any]]:
    """The person's Segment messages, as a push would send them."""
    return [m for m in _segment() if str(m["messageId"]).startswith("zq-")]


def sendgrid_events() -> list[dict[str, Any]]:
    return [e for e in _sendgrid() if str(e["sg_event_id"]).startswith("zq-")]
