"""Orders that follow a campaign click (the model: `_tastes.py`): a customer who clicks a
campaign orders within 5 days with probability 0.3, on the web shop, so the order is a
Shopify order and (for a web account holder) an `Order Completed`. Drawn from a generator of
the person's own, so the household's generator is untouched; order ids come from a range of
their own (`n` from 2^39 up), so every other order keeps its id."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from cdp.synthetic._context import Context, Pair, PersonPlan
from cdp.synthetic._model import Person
from cdp.synthetic._population import scramble
from cdp.synthetic._store import OrderPlan, shopify_records
from cdp.synthetic._tastes import pick_items
from cdp.synthetic._web import order_completed_record

__all__ = ["CONVERSION_RATE", "conversion_records"]

CONVERSION_RATE = 0.3
CONVERSION_DAYS = 5
_FIRST = 1 << 39


def _clicks(email_pairs: list[Pair]) -> list[datetime]:
    return sorted(
        datetime.fromtimestamp(payload["timestamp"], UTC)
        for _, payload in email_pairs
        if payload.get("event") == "click"
    )


def conversion_records(
    ctx: Context, person: Person, plan: PersonPlan, email_pairs: list[Pair]
) -> list[Pair]:
    """The Shopify orders (and `Order Completed` tracks) that followed this person's clicks."""
    clicks = _clicks(email_pairs)
    if not clicks or ctx.taste is None:
        return []
    saved = ctx.rng, ctx.noise.rng
    rng = random.Random(f"{ctx.salt}:{person.person_id}:conversions")
    ctx.rng = ctx.noise.rng = rng
    try:
        orders = [_order(ctx, at) for at in clicks if rng.random() < CONVERSION_RATE]
        pairs = shopify_records(ctx, person, plan, orders)
        if person.user_id and "web.segment" in person.channels:
            for order in orders:
                tracked = order_completed_record(ctx, person.user_id, order)
                pairs += [] if tracked is None else [tracked]
        return pairs
    finally:
        ctx.rng, ctx.noise.rng = saved


def _order(ctx: Context, clicked_at: datetime) -> OrderPlan:
    rng = ctx.rng
    assert ctx.taste is not None
    n = _FIRST + ctx.next_id("conversion")
    created = clicked_at + timedelta(seconds=rng.randint(600, CONVERSION_DAYS * 86400 - 600))
    count = rng.choice((1, 1, 2, 2, 3))
    items = tuple((p, rng.choice((1, 1, 1, 2))) for p in pick_items(ctx.taste, count))
    return OrderPlan(
        order_id=5_000_000_000_000 + scramble(n, "order", ctx.salt),
        name=f"#{1001 + scramble(n, 'order_name', ctx.salt, 24)}",
        created_at=created.replace(microsecond=0),
        source_name="web",
        items=items,
        total_cents=sum(product[4] * qty for product, qty in items),
        refund_cents=0,
        refunded_at=None,
    )
