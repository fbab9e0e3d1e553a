"""Every built-in adapter (and the POS mapping) passes the contract test kit."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ingest.adapter import Adapter
from ingest.adapters import (
    MetaLeadsAdapter,
    SegmentAdapter,
    SendGridAdapter,
    ShopifyOrdersAdapter,
    XMentionsAdapter,
)
from ingest.mapping import MappingAdapter, load_mapping
from ingest.testing import AdapterContract
from tests.ingest.conftest import FIXTURES


class TestSegmentContract(AdapterContract):
    adapter_class = SegmentAdapter
    sample_files = (FIXTURES / "web.segment" / "events.jsonl",)
    malformed_records = (
        {"type": "track", "messageId": "x", "userId": "u", "event": "E", "timestamp": "soon"},
        {"type": "teleport", "messageId": "x", "userId": "u", "timestamp": "2026-01-01T00:00Z"},
        {"type": "page", "messageId": "x", "timestamp": "2026-01-01T00:00:00Z"},
    )


class TestSendGridContract(AdapterContract):
    adapter_class = SendGridAdapter
    sample_files = (FIXTURES / "email.sendgrid" / "events.json",)
    malformed_records = (
        {"email": "a@b.io", "timestamp": 1767600000, "event": "opened", "sg_event_id": "x"},
        {"email": "a@b.io", "timestamp": "noon", "event": "open", "sg_event_id": "x"},
        {"timestamp": 1767600000, "event": "open", "sg_event_id": "x"},
    )


class TestShopifyContract(AdapterContract):
    adapter_class = ShopifyOrdersAdapter
    sample_files = (FIXTURES / "store.shopify" / "orders-1.json",)
    malformed_records = (
        {"id": 1, "created_at": "2026-01-01T00:00:00Z", "currency": "USD", "total_price": "x"},
        {"id": 1, "created_at": "2026-01-01T00:00:00Z", "currency": "USD", "total_price": "1",
         "line_items": [{"title": "t", "quantity": "two", "price": "1"}]},
    )  # fmt: skip


class TestMetaLeadsContract(AdapterContract):
    adapter_class = MetaLeadsAdapter
    sample_files = (FIXTURES / "social.meta_leads" / "leads-1.json",)
    malformed_records = (
        {"id": "1", "created_time": "2026-01-05T10:00:00+0000", "field_data": "email"},
        {"id": "1", "created_time": "2099-01-05T10:00:00+0000", "field_data": []},
    )


class TestXMentionsContract(AdapterContract):
    adapter_class = XMentionsAdapter
    sample_files = (FIXTURES / "social.x_mentions" / "mentions-1.json",)
    malformed_records = (
        {"id": "1", "author_id": "2", "created_at": "2026-01-06T12:00:00Z"},
        {"id": "1", "text": "hi", "created_at": "2026-01-06T12:00:00Z"},
    )


class TestPosMappingContract(AdapterContract):
    adapter_class = MappingAdapter
    sample_files = (FIXTURES / "pos" / "pos-receipts.csv",)
    malformed_records = ({"receipt_id": "R-9", "sold_at": "05/01/2026"},)

    def make_adapter(self, files: Sequence[Path] = ()) -> Adapter:
        return MappingAdapter(load_mapping(FIXTURES / "pos" / "pos-mapping.toml"), files=files)
