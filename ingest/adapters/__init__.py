"""The built-in channel adapters."""

from __future__ import annotations

from ingest.adapters.meta_leads import MetaLeadsAdapter
from ingest.adapters.segment import SegmentAdapter
from ingest.adapters.sendgrid import SendGridAdapter
from ingest.adapters.shopify import ShopifyOrdersAdapter
from ingest.adapters.x_mentions import XMentionsAdapter

__all__ = [
    "MetaLeadsAdapter",
    "SegmentAdapter",
    "SendGridAdapter",
    "ShopifyOrdersAdapter",
    "XMentionsAdapter",
]
