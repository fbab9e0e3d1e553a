"""`store.shopify`: Shopify Admin REST orders, pulled with cursor pagination or read from
saved `GET /admin/api/2024-07/orders.json` response pages.

A pull asks for `status=any&order=updated_at asc&updated_at_min=<cursor>` and follows the
`Link: <...page_info=...>; rel="next"` header. The source is sorted by `updated_at`, so the
cursor is checkpointed with every batch; an updated order (same id, new content) replaces
its earlier version and items.

Consent: the customer's `email_marketing_consent.state` (`subscribed` granted, `unsubscribed`
revoked, `not_subscribed` denied; `pending` and others are no decision) is an
`email_marketing` decision on the email channel, and `sms_marketing_consent.state` an
`sms_marketing` one; an order without `email_marketing_consent` reads the older
`buyer_accepts_marketing` (true granted, false denied).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, Literal

from ingest.errors import SkippableRecordError
from ingest.fields import (
    currency_code,
    optional_str,
    parse_timestamp,
    require_mapping,
    require_str,
    to_minor_units,
)
from ingest.observation import (
    Address,
    ConsentFact,
    Identifier,
    Observation,
    OrderFact,
    OrderItemFact,
    Person,
)
from ingest.pull import HttpAdapter

__all__ = ["ShopifyOrdersAdapter"]

API_VERSION = "2024-07"


class ShopifyOrdersAdapter(HttpAdapter):
    """Settings: `shop_url` (`https://example.myshopify.com`), `access_token`, `page_size`."""

    name = "store.shopify"
    channel = "store"
    primary_key = "id"
    cursor_field = "updated_at"
    is_sorted = True
    page_records_path = "orders"
    required_settings = ("shop_url", "access_token")

    def pages(self, since: str | None) -> Iterator[tuple[str, Mapping[str, Any]]]:
        url: str | None = (
            f"{str(self.config['shop_url']).rstrip('/')}/admin/api/{API_VERSION}/orders.json"
        )
        params: dict[str, Any] | None = {
            "status": "any",
            "order": "updated_at asc",
            "limit": int(self.config.get("page_size", 250)),
        }
        if since and params is not None:
            params["updated_at_min"] = since
        headers = {"X-Shopify-Access-Token": str(self.config["access_token"])}
        number = 0
        while url:
            number += 1
            body, response = self.get(url, params=params, headers=headers)
            yield f"page {number}", body
            url = response.links.get("next", {}).get("url")
            params = None  # the next link carries page_info and limit itself

    def to_observation(self, record: Mapping[str, Any]) -> Observation:
        created = parse_timestamp(record.get("created_at"), "created_at")
        updated = (
            parse_timestamp(record["updated_at"], "updated_at")
            if record.get("updated_at")
            else None
        )
        customer = require_mapping(record, "customer")
        address = require_mapping(record, "billing_address") or require_mapping(
            record, "shipping_address"
        )
        return Observation(
            external_id=require_str(record, "id"),
            kind="order",
            occurred_at=created,
            identifiers=_identifiers(record, customer),
            person=_person(record, customer, address),
            facts=(_order(record, created, updated), *_consents(record, customer)),
        )


_STATES: dict[str, Literal["granted", "denied", "revoked"]] = {
    "subscribed": "granted",
    "unsubscribed": "revoked",
    "not_subscribed": "denied",
}


def _consents(record: Mapping[str, Any], customer: Mapping[str, Any]) -> tuple[ConsentFact, ...]:
    found: list[ConsentFact] = []
    for field, purpose, channel in (
        ("email_marketing_consent", "email_marketing", "email"),
        ("sms_marketing_consent", "sms_marketing", "any"),
    ):
        consent = customer.get(field)
        state = consent.get("state") if isinstance(consent, Mapping) else None
        if isinstance(state, str) and state in _STATES:
            found.append(ConsentFact(purpose, _STATES[state], f"shopify {field}", channel))
    accepts = record.get("buyer_accepts_marketing")
    if "email_marketing_consent" not in customer and isinstance(accepts, bool):
        status: Literal["granted", "denied"] = "granted" if accepts else "denied"
        found.append(
            ConsentFact("email_marketing", status, "shopify buyer_accepts_marketing", "email")
        )
    return tuple(found)


def _identifiers(record: Mapping[str, Any], customer: Mapping[str, Any]) -> tuple[Identifier, ...]:
    found: list[Identifier] = []
    for kind, value in (
        ("customer_id", optional_str(customer, "id")),
        ("email", optional_str(record, "email")),
        ("email", optional_str(customer, "email")),
        ("phone", optional_str(record, "phone")),
        ("phone", optional_str(customer, "phone")),
    ):
        if value:
            found.append(Identifier(kind, value))
    return tuple(found)


def _person(
    record: Mapping[str, Any], customer: Mapping[str, Any], address: Mapping[str, Any]
) -> Person:
    return Person(
        given_name=optional_str(customer, "first_name") or optional_str(address, "first_name"),
        family_name=optional_str(customer, "last_name") or optional_str(address, "last_name"),
        email=optional_str(customer, "email") or optional_str(record, "email"),
        phone=optional_str(customer, "phone")
        or optional_str(record, "phone")
        or optional_str(address, "phone"),
        address=Address(
            line1=optional_str(address, "address1"),
            line2=optional_str(address, "address2"),
            city=optional_str(address, "city"),
            region=optional_str(address, "province_code"),
            postcode=optional_str(address, "zip"),
            country=optional_str(address, "country_code"),
        )
        if address
        else None,
    )


def _order(record: Mapping[str, Any], created: datetime, updated: datetime | None) -> OrderFact:
    currency = currency_code(require_str(record, "currency"), "currency")
    items = record.get("line_items") or []
    if not isinstance(items, list):
        raise SkippableRecordError("expected a list", field="line_items", value=items)
    subtotal = record.get("subtotal_price")
    return OrderFact(
        external_id=require_str(record, "id"),
        currency=currency,
        total_minor=to_minor_units(record.get("total_price"), "total_price", currency),
        subtotal_minor=None
        if subtotal is None
        else to_minor_units(subtotal, "subtotal_price", currency),
        refunded_minor=_refunded(record, currency),
        financial_status=optional_str(record, "financial_status"),
        status="cancelled" if record.get("cancelled_at") else None,
        sales_channel=optional_str(record, "source_name"),
        placed_at=created,
        updated_at=updated,
        items=tuple(_item(item, i, currency) for i, item in enumerate(items)),
    )


def _refunded(record: Mapping[str, Any], currency: str) -> int:
    total = 0
    refunds = record.get("refunds") or []
    for r, refund in enumerate(refunds if isinstance(refunds, list) else []):
        transactions = refund.get("transactions") if isinstance(refund, Mapping) else None
        for t, transaction in enumerate(transactions or []):
            if isinstance(transaction, Mapping) and transaction.get("kind") == "refund":
                where = f"refunds[{r}].transactions[{t}].amount"
                total += to_minor_units(transaction.get("amount"), where, currency)
    return total


def _item(item: Any, index: int, currency: str) -> OrderItemFact:
    where = f"line_items[{index}]"
    if not isinstance(item, Mapping):
        raise SkippableRecordError("expected an object", field=where, value=item)
    quantity = item.get("quantity")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
        raise SkippableRecordError(
            "expected a whole quantity", field=f"{where}.quantity", value=quantity
        )
    return OrderItemFact(
        name=optional_str(item, "title") or optional_str(item, "sku") or "item",
        quantity=quantity,
        unit_price_minor=to_minor_units(item.get("price"), f"{where}.price", currency),
        sku=optional_str(item, "sku"),
        product_id=optional_str(item, "product_id"),
    )
