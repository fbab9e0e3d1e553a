"""Store: Shopify orders (`store/shopify-orders-<n>.json`) and till receipts (a CSV export).

Shopify's customer object is the account the person made (typed once, with care); its billing
address is the one at the time of the order (the old one before a move, sometimes still after).
Till receipts are typed by cashiers: names as heard (nicknames, `Family, Given`, capitals,
typos, dropped accents), a loyalty card when shown, and whichever contact details were asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from cdp.synthetic._context import (
    ONLINE_HOURS,
    SHOP_HOURS,
    Context,
    Pair,
    PersonPlan,
    dedupe_identifiers,
)
from cdp.synthetic._model import Person, SyntheticRecord
from cdp.synthetic._names import name_table
from cdp.synthetic._noise import strip_accents
from cdp.synthetic._population import scramble
from cdp.synthetic._reference import PRODUCTS, STORES, STREET_NAMES
from cdp.synthetic._tastes import pick_items

__all__ = ["POS_UTC_OFFSET", "OrderPlan", "plan_orders", "pos_records", "shopify_records"]

SHOP_TZ = timezone(timedelta(hours=-5))
POS_UTC_OFFSET = "-05:00"
_POS_TZ = timezone(timedelta(hours=-5))
POS_COLUMNS = (
    "receipt_id",
    "store_id",
    "sold_at",
    "customer_name",
    "loyalty_card",
    "phone",
    "email",
    "street",
    "city",
    "postcode",
    "total",
    "currency",
)

Product = tuple[int, str, str, str, int]


@dataclass(frozen=True, slots=True)
class OrderPlan:
    order_id: int
    name: str
    created_at: datetime
    source_name: str
    items: tuple[tuple[Product, int], ...]
    total_cents: int
    refund_cents: int
    refunded_at: datetime | None


def _items(ctx: Context) -> tuple[tuple[Product, int], ...]:
    rng = ctx.rng
    count = rng.choice((1, 1, 1, 2, 2, 3))
    # the uniform picks are still drawn, so the household's generator stays draw for draw
    drawn = [(rng.choice(PRODUCTS), rng.choice((1, 1, 1, 2))) for _ in range(count)]
    if ctx.taste is None:
        return tuple(drawn)
    picks = pick_items(ctx.taste, count)
    return tuple((product, qty) for product, (_, qty) in zip(picks, drawn, strict=True))


def plan_orders(ctx: Context, person: Person) -> list[OrderPlan]:
    """A Shopify customer's orders (web checkouts, some at the flagship's Shopify POS)."""
    rng = ctx.rng
    orders = []
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 4, 5))):
        n = ctx.next_id("order")
        source = "pos" if rng.random() < 0.15 else "web"
        created = ctx.time(hours=SHOP_HOURS if source == "pos" else ONLINE_HOURS)
        items = _items(ctx)
        total = sum(product[4] * qty for product, qty in items)
        refund, refunded_at = 0, None
        if rng.random() < 0.06:
            refund = items[0][0][4]
            refunded_at = created + timedelta(
                days=rng.randint(3, 30), seconds=rng.randint(0, 86399)
            )
        orders.append(
            OrderPlan(
                order_id=5_000_000_000_000 + scramble(n, "order", ctx.salt),
                name=f"#{1001 + scramble(n, 'order_name', ctx.salt, 24)}",
                created_at=created,
                source_name=source,
                items=items,
                total_cents=total,
                refund_cents=refund,
                refunded_at=refunded_at,
            )
        )
    return orders


def _shop_time(when: datetime) -> str:
    return when.astimezone(SHOP_TZ).isoformat()


def _billing(ctx: Context, person: Person, plan: PersonPlan, when: datetime) -> dict[str, Any]:
    noise = ctx.noise
    first = noise.typed(noise.given(person.given_name, person.nicknames, 0.3), "account")
    last = noise.typed(person.family_name, "account")
    if noise.chance("swapped_names", noise.rates.swapped_names):
        first, last = last, first
    address = ctx.address_at(person, when)
    return {
        "first_name": first,
        "last_name": last,
        "address1": noise.typed(address.line1, "account"),
        "address2": address.line2,
        "city": address.city,
        "province_code": address.region,
        "zip": address.postcode,
        "country_code": address.country,
        "phone": plan.account_phone if ctx.rng.random() < 0.4 else None,
    }


def _shopify_order(ctx: Context, person: Person, plan: PersonPlan, order: OrderPlan) -> Pair:
    rng = ctx.rng
    billing = _billing(ctx, person, plan, order.created_at)
    shipping = dict(billing)
    if rng.random() < 0.05:  # a gift, shipped to someone else
        table = name_table()
        shipping.update(
            first_name=rng.choices(table.given[("us", "f")].names)[0],
            last_name=rng.choices(table.family["us"].names)[0],
            address1=f"{rng.randint(1, 999)} {rng.choice(STREET_NAMES)} Street",
            address2=None,
        )
    customer = {
        "id": int(person.customer_id or 0),
        "email": plan.account_email,
        "first_name": plan.account_given,
        "last_name": plan.account_family,
        "phone": plan.account_phone if rng.random() < 0.5 else None,
    }
    email = plan.account_email
    if rng.random() < 0.2:
        email = ctx.any_email(person)
    updated = order.refunded_at or order.created_at + timedelta(minutes=rng.randint(1, 600))
    payload: dict[str, Any] = {
        "id": order.order_id,
        "name": order.name,
        "email": email,
        "phone": plan.account_phone if rng.random() < 0.3 else None,
        "created_at": _shop_time(order.created_at),
        "updated_at": _shop_time(updated),
        "currency": "USD",
        "total_price": f"{order.total_cents / 100:.2f}",
        "subtotal_price": f"{order.total_cents / 100:.2f}",
        "financial_status": _financial_status(order),
        "source_name": order.source_name,
        "customer": customer,
        "billing_address": billing,
        "shipping_address": shipping,
        "line_items": [
            {
                "id": 14_000_000_000_000 + scramble(ctx.next_id("line"), "line", ctx.salt),
                "product_id": p[0],
                "sku": p[1],
                "title": p[2],
                "quantity": qty,
                "price": f"{p[4] / 100:.2f}",
            }
            for p, qty in order.items
        ],
        "refunds": _refunds(ctx, order),
    }
    return _shopify_record(ctx, order, payload), payload


def _financial_status(order: OrderPlan) -> str:
    if not order.refund_cents:
        return "paid"
    return "refunded" if order.refund_cents >= order.total_cents else "partially_refunded"


def _refunds(ctx: Context, order: OrderPlan) -> list[dict[str, Any]]:
    if order.refunded_at is None:
        return []
    amount = f"{order.refund_cents / 100:.2f}"
    return [
        {
            "id": 900_000_000_000 + scramble(ctx.next_id("refund"), "refund", ctx.salt),
            "created_at": _shop_time(order.refunded_at),
            "transactions": [{"amount": amount, "kind": "refund"}],
        }
    ]


def _shopify_record(ctx: Context, order: OrderPlan, payload: dict[str, Any]) -> SyntheticRecord:
    customer, billing = payload["customer"], payload["billing_address"]
    phone = payload["phone"] or customer["phone"] or billing["phone"]
    attributes: dict[str, Any] = {
        "given_name": customer["first_name"],
        "family_name": customer["last_name"],
        "email": payload["email"],
    }
    if phone:
        attributes["phone"] = phone
    address = {
        "line1": billing["address1"],
        "line2": billing["address2"],
        "city": billing["city"],
        "region": billing["province_code"],
        "postcode": billing["zip"],
        "country": billing["country_code"],
    }
    attributes["address"] = {key: value for key, value in address.items() if value}
    identifiers = [
        ("customer_id", str(customer["id"])),
        ("email", payload["email"]),
        ("email", customer["email"]),
    ]
    identifiers += [
        ("phone", p) for p in (payload["phone"], customer["phone"], billing["phone"]) if p
    ]
    return SyntheticRecord(
        "store.shopify",
        str(order.order_id),
        "order",
        order.created_at,
        attributes,
        dedupe_identifiers(identifiers),
        ctx.person_id,
    )


def shopify_records(
    ctx: Context, person: Person, plan: PersonPlan, orders: list[OrderPlan]
) -> list[Pair]:
    return [_shopify_order(ctx, person, plan, order) for order in orders]


def _cashier_name(ctx: Context, person: Person) -> str:
    noise = ctx.noise
    given = noise.given(person.given_name, person.nicknames)
    family = person.family_name
    if noise.chance("dropped_accents", noise.rates.dropped_accents):
        given, family = strip_accents(given), strip_accents(family)
    given, family = noise.typed(given, "till"), noise.typed(family, "till")
    if noise.chance("family_first", noise.rates.family_first):
        name = f"{family}, {given}"
    elif noise.chance("swapped_names", noise.rates.swapped_names):
        name = f"{family} {given}"
    else:
        name = f"{given} {family}"
    if noise.chance("upper_case", noise.rates.upper_case):
        name = name.upper()
    return name


def _receipt(
    ctx: Context, person: Person, plan: PersonPlan | None
) -> tuple[dict[str, str], datetime]:
    rng, noise = ctx.rng, ctx.noise
    when = ctx.time(hours=SHOP_HOURS).replace(second=0)
    stores = [s for s in STORES if s[1] == person.addresses[-1].city] or list(STORES)
    store_id = rng.choice(stores)[0] if rng.random() < 0.85 else rng.choice(STORES)[0]
    row = dict.fromkeys(POS_COLUMNS, "")
    row["receipt_id"] = (
        f"{store_id}-{scramble(ctx.next_id('receipt'), 'receipt', ctx.salt, 32):010d}"
    )
    row["store_id"] = store_id
    row["sold_at"] = when.astimezone(_POS_TZ).strftime("%d/%m/%Y %H:%M")
    row["customer_name"] = _cashier_name(ctx, person)
    if person.loyalty_id and rng.random() < 0.85:
        row["loyalty_card"] = person.loyalty_id
        if noise.missing():  # the card identifies them; the cashier did not ask the name
            row["customer_name"] = ""
    digits = ctx.phone_digits(person)
    if digits and rng.random() < 0.55:
        row["phone"] = noise.phone(digits, "till")
    if rng.random() < 0.25:
        email = ctx.any_email(person)
        row["email"] = noise.email(email, "till")
    if rng.random() < 0.3:
        address = ctx.address_at(person, when)
        row["street"] = noise.typed(address.line1, "till")
        row["city"], row["postcode"] = address.city, address.postcode
    if not (row["loyalty_card"] or row["phone"] or row["email"] or row["street"]):
        if digits:
            row["phone"] = noise.phone(digits, "till")
        else:
            row["email"] = noise.email(person.emails[0], "till")
    items = _items(ctx)
    row["total"] = f"{sum(p[4] * qty for p, qty in items) / 100:.2f}"
    row["currency"] = "USD"
    return row, when


def _receipt_record(ctx: Context, row: dict[str, str], when: datetime) -> SyntheticRecord:
    attributes: dict[str, Any] = {}
    if row["customer_name"]:
        attributes["full_name"] = row["customer_name"]
    if row["phone"]:
        attributes["phone"] = row["phone"]
    if row["email"]:
        attributes["email"] = row["email"]
    address = {"line1": row["street"], "city": row["city"], "postcode": row["postcode"]}
    if any(address.values()):
        attributes["address"] = {key: value for key, value in address.items() if value}
    identifiers = [
        (kind, row[column])
        for kind, column in (("loyalty_id", "loyalty_card"), ("phone", "phone"), ("email", "email"))
        if row[column]
    ]
    return SyntheticRecord(
        "store.pos", row["receipt_id"], "order", when, attributes, tuple(identifiers), ctx.person_id
    )


def pos_records(ctx: Context, person: Person, plan: PersonPlan | None) -> list[Pair]:
    """A shopper's till receipts, as the cashier typed them."""
    pairs: list[Pair] = []
    for _ in range(ctx.rng.choice((1, 1, 2, 2, 3, 4))):
        row, when = _receipt(ctx, person, plan)
        pairs.append((_receipt_record(ctx, row, when), dict(row)))
    return pairs
