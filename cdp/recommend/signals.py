"""What each profile did with each product: bought it (weight 1) or only viewed it (weight
`view_weight`, 0.3 by default), as SQL the batch and the per-profile read share.

Purchases are the items of the orders that count (`cdp.orders`: a web order stored twice
counts once); views are web `track` events `Product Viewed` / `Product Added` with a
`product_id` property. With `hold_out_last`, each profile with two or more orders loses its
last one and everything it did from that order's time on (the offline evaluation's split).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, literal, or_, select, union_all
from sqlalchemy.sql.selectable import Subquery

from cdp import models
from cdp.orders import is_counted

__all__ = ["VIEW_EVENTS", "held_out_cutoffs", "interactions", "purchases", "training", "views"]

VIEW_EVENTS = ("Product Viewed", "Product Added")


def purchases() -> Select[str | None, str | None, int, datetime, str, str | None]:
    """(profile_id, product_id, order_id, placed_at, name, category) per counted purchase."""
    o, i = models.Order, models.OrderItem
    statement = (
        select(
            o.profile_id.label("profile_id"),
            i.product_id.label("product_id"),
            o.id.label("order_id"),
            o.placed_at.label("at"),
            i.name.label("name"),
            i.category.label("category"),
        )
        .join(i, i.order_id == o.id)
        .where(o.profile_id.is_not(None), i.product_id.is_not(None), is_counted())
    )
    return statement


def views() -> Select[Any]:
    """(profile_id, product_id, at, name, category) per product view of a known profile."""
    e = models.Event
    product = e.properties["product_id"].as_string()
    return select(
        e.profile_id.label("profile_id"),
        product.label("product_id"),
        e.occurred_at.label("at"),
        e.properties["name"].as_string().label("name"),
        e.properties["category"].as_string().label("category"),
    ).where(
        e.profile_id.is_not(None),
        e.type == "track",
        e.name.in_(VIEW_EVENTS),
        product.is_not(None),
    )


def training(statement: Select[Any] | Any, name: str, *, hold_out_last: bool) -> Subquery:
    """`statement` (purchases or views) as a subquery; with `hold_out_last`, without what each
    profile with two or more orders did from its last order's time on."""
    rows = statement.subquery(f"{name}_all")
    if not hold_out_last:
        return rows
    cut = held_out_cutoffs(f"{name}_cut")
    return (
        select(rows)
        .outerjoin(cut, cut.c.profile_id == rows.c.profile_id)
        .where(or_(cut.c.cutoff.is_(None), rows.c.at < cut.c.cutoff))
        .subquery(name)
    )


def interactions(view_weight: float, *, hold_out_last: bool = False) -> Subquery:
    """(profile_id, product_id, weight): 1 for a purchase, `view_weight` for a view only."""
    bought = training(purchases(), "p", hold_out_last=hold_out_last)
    seen = training(views(), "v", hold_out_last=hold_out_last)
    rows_p = select(bought.c.profile_id, bought.c.product_id, literal(1.0).label("weight"))
    rows_v = select(seen.c.profile_id, seen.c.product_id, literal(view_weight).label("weight"))
    both = union_all(rows_p, rows_v).subquery("signals")
    return (
        select(both.c.profile_id, both.c.product_id, func.max(both.c.weight).label("weight"))
        .group_by(both.c.profile_id, both.c.product_id)
        .subquery("interactions")
    )


def held_out_cutoffs(name: str = "cut") -> Subquery:
    """Per profile with at least two counted orders, the time of its last order."""
    o = models.Order
    return (
        select(o.profile_id.label("profile_id"), func.max(o.placed_at).label("cutoff"))
        .where(o.profile_id.is_not(None), is_counted())
        .group_by(o.profile_id)
        .having(func.count(func.distinct(o.placed_at)) >= 2)
        .subquery(name)
    )
