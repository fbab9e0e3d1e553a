"""Web: Segment messages (`web/segment-events.jsonl`).

Every device has an `anonymousId`. A visitor browses anonymously; an account holder's first
session on each device signs in, and that `identify` carries both `userId` and `anonymousId`,
which is how the device's anonymous browsing joins the person. Web orders also appear here as
`Order Completed` tracks with the Shopify order id.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from cdp.synthetic._context import Context, Pair, PersonPlan, dedupe_identifiers
from cdp.synthetic._model import Person, SyntheticRecord
from cdp.synthetic._reference import PAGES, PRODUCTS, USER_AGENTS
from cdp.synthetic._store import OrderPlan
from cdp.synthetic._tastes import consent_preferences, pick_product

__all__ = ["order_completed_record", "web_records"]

ADAPTER = "web.segment"
_SITE = "https://shop.example.com"


def _ts(when: datetime) -> str:
    """Segment's `2025-03-04T10:12:33.123Z` (isoformat is much faster than strftime)."""
    return when.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


class _Device:
    __slots__ = ("anonymous_id", "ip", "is_identified", "user_agent")

    def __init__(self, ctx: Context) -> None:
        rng = ctx.rng
        self.anonymous_id = ctx.uuid()
        octets = (
            rng.randint(24, 220),
            rng.randint(0, 255),
            rng.randint(0, 255),
            rng.randint(1, 254),
        )
        self.ip = ".".join(map(str, octets))
        self.user_agent = rng.choice(USER_AGENTS)
        self.is_identified = False


def _message(
    ctx: Context,
    kind: str,
    device: _Device,
    user_id: str | None,
    when: datetime,
    body: dict[str, Any],
    attributes: dict[str, Any],
    identifiers: list[tuple[str, str]],
) -> Pair:
    # random() rather than randrange(): this runs for most records, and randrange is slow
    when = when.replace(microsecond=int(ctx.rng.random() * 1000) * 1000)
    payload: dict[str, Any] = {"messageId": ctx.uuid(), "anonymousId": device.anonymous_id}
    if user_id:
        payload["userId"] = user_id
        identifiers.insert(0, ("user_id", user_id))
    identifiers.insert(0, ("anonymous_id", device.anonymous_id))
    payload["timestamp"] = _ts(when)
    payload.update(body)
    payload.setdefault("context", {}).update({"ip": device.ip, "userAgent": device.user_agent})
    record = SyntheticRecord(
        ADAPTER,
        payload["messageId"],
        kind,
        when,
        attributes,
        dedupe_identifiers(identifiers),
        ctx.person_id,
    )
    return record, payload


def _traits(ctx: Context, person: Person, plan: PersonPlan, when: datetime) -> dict[str, Any]:
    noise, rng = ctx.noise, ctx.rng
    traits: dict[str, Any] = {}
    if not noise.missing():
        traits["email"] = plan.account_email
    if not noise.missing():
        traits["firstName"] = plan.account_given
    if not noise.missing():
        traits["lastName"] = plan.account_family
    if rng.random() < 0.3:
        traits["name"] = plan.account_name or f"{plan.account_given} {plan.account_family}"
    if plan.account_phone and rng.random() < 0.5:
        traits["phone"] = plan.account_phone
    if rng.random() < 0.4:
        address = ctx.address_at(person, when)
        street = address.line1 + (f" {address.line2}" if address.line2 else "")
        traits["address"] = {
            "street": noise.typed(street, "account"),
            "city": address.city,
            "state": address.region,
            "postalCode": address.postcode,
            "country": address.country,
        }
    if rng.random() < 0.25:
        traits["birthday"] = person.birth_date.isoformat()
    if rng.random() < 0.2:
        traits["gender"] = rng.choice(({"f": "female", "m": "male"}[person.gender], person.gender))
    if person.x_handle and rng.random() < 0.9:
        traits["x_handle"] = f"@{person.x_handle}"
    return traits


def _traits_view(traits: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    attributes: dict[str, Any] = {}
    identifiers: list[tuple[str, str]] = []
    for trait, key in (
        ("firstName", "given_name"),
        ("lastName", "family_name"),
        ("name", "full_name"),
        ("email", "email"),
        ("phone", "phone"),
        ("birthday", "birth_date"),
        ("gender", "gender"),
    ):
        if trait in traits:
            attributes[key] = traits[trait]
    if "address" in traits:
        a = traits["address"]
        attributes["address"] = {
            "line1": a["street"],
            "city": a["city"],
            "region": a["state"],
            "postcode": a["postalCode"],
            "country": a["country"],
        }
    if "email" in traits:
        identifiers.append(("email", traits["email"]))
    if "phone" in traits:
        identifiers.append(("phone", traits["phone"]))
    if "x_handle" in traits:
        identifiers.append(("social_handle", f"x:{traits['x_handle']}"))
    return attributes, identifiers


def _page(
    ctx: Context, device: _Device, user_id: str | None, when: datetime, email: str | None
) -> Pair:
    path, title = PAGES[int(ctx.rng.random() * len(PAGES))]
    url = _SITE + path
    body: dict[str, Any] = {
        "type": "page",
        "name": title,
        "properties": {"path": path, "url": url, "title": title},
        "context": {"page": {"path": path, "url": url, "title": title}},
    }
    attributes: dict[str, Any] = {}
    identifiers: list[tuple[str, str]] = []
    if email and user_id and ctx.rng.random() < 0.3:
        body["context"]["traits"] = {"email": email}
        attributes["email"] = email
        identifiers.append(("email", email))
    return _message(ctx, "event", device, user_id, when, body, attributes, identifiers)


def _product_track(ctx: Context, device: _Device, user_id: str | None, when: datetime) -> Pair:
    product_id, sku, name, category, cents = ctx.rng.choice(PRODUCTS)
    if ctx.taste is not None:  # the uniform pick above is still drawn (draw for draw)
        product_id, sku, name, category, cents = pick_product(ctx.taste)
    event = ctx.rng.choice(("Product Viewed", "Product Viewed", "Product Added"))
    properties = {
        "product_id": str(product_id),
        "sku": sku,
        "name": name,
        "category": category,
        "price": cents / 100,
    }
    body = {"type": "track", "event": event, "properties": properties}
    return _message(ctx, "event", device, user_id, when, body, {}, [])


def _order_completed(ctx: Context, device: _Device, user_id: str, order: OrderPlan) -> Pair:
    products = [
        {
            "product_id": str(p[0]),
            "sku": p[1],
            "name": p[2],
            "price": p[4] / 100,
            "quantity": qty,
            "category": p[3],
        }
        for p, qty in order.items
    ]
    total = order.total_cents / 100
    properties = {
        "order_id": str(order.order_id),
        "total": total,
        "revenue": total,
        "currency": "USD",
        "products": products,
    }
    body = {"type": "track", "event": "Order Completed", "properties": properties}
    return _message(ctx, "order", device, user_id, order.created_at, body, {}, [])


def _session(
    ctx: Context, person: Person, plan: PersonPlan | None, device: _Device, start: datetime
) -> list[Pair]:
    rng = ctx.rng
    pairs: list[Pair] = []
    when = start
    signs_in = plan is not None and not device.is_identified
    logged_in = plan is not None and device.is_identified and rng.random() < 0.7
    user_id = person.user_id if logged_in else None
    email = plan.account_email if plan else None
    for page in range(1 + int(rng.random() * 4)):
        pairs.append(_page(ctx, device, user_id, when, email))
        when += timedelta(seconds=10 + int(rng.random() * 231))
        if page == 0 and signs_in and plan is not None:
            traits = _traits(ctx, person, plan, when)
            attributes, identifiers = _traits_view(traits)
            body: dict[str, Any] = {"type": "identify", "traits": traits}
            if ctx.taste is not None:  # the consent banner, answered at sign-in
                preferences = consent_preferences(ctx.taste)
                body["context"] = {"consent": {"categoryPreferences": preferences}}
            pairs.append(
                _message(
                    ctx, "profile", device, person.user_id, when, body, attributes, identifiers
                )
            )
            device.is_identified = True
            user_id = person.user_id
            when += timedelta(seconds=2 + int(rng.random() * 29))
    if rng.random() < 0.5:
        pairs.append(_product_track(ctx, device, user_id, when))
    return pairs


def web_records(
    ctx: Context, person: Person, plan: PersonPlan | None, orders: list[OrderPlan]
) -> list[Pair]:
    """Sessions of a visitor (`plan` None: anonymous only) or an account holder."""
    rng = ctx.rng
    devices = [_Device(ctx) for _ in range(1 + (rng.random() < 0.45) + (rng.random() < 0.15))]
    if plan is None:
        devices = devices[:1]
    ctx.web_devices = devices
    pairs: list[Pair] = []
    for device in devices:
        starts = sorted(ctx.time() for _ in range(rng.choice((1, 1, 2, 2, 3))))
        for start in starts:
            pairs.extend(_session(ctx, person, plan, device, start))
    if plan is not None and person.user_id:
        for order in orders:
            if order.source_name == "web":
                pairs.append(_order_completed(ctx, rng.choice(devices), person.user_id, order))
    return pairs


def order_completed_record(ctx: Context, user_id: str, order: OrderPlan) -> Pair | None:
    """The web shop's `Order Completed` for an order placed later (after an email click), on
    one of the person's devices that signed in; None when none did."""
    signed_in = [device for device in ctx.web_devices if device.is_identified]
    if not signed_in:
        return None
    return _order_completed(ctx, ctx.rng.choice(signed_in), user_id, order)
