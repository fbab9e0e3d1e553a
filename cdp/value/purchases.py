"""Per-profile purchase figures, one set-based SELECT for any number of profiles.

An order counts once even when several sources report it, by the one rule of `cdp.orders`
(also used by loyalty, recommendations and campaign attribution): the web tracker's `Order
Completed` and the shop's own order share the order id, and the shop's version (the system of
record, with refunds and cancellations) is the one counted. Money is converted to the base
currency with the configured rates; an order in a currency without a rate is counted in
`unconverted_orders` and added to nothing. A cancelled or voided order counts in
`cancelled_orders` only; refunds are netted out, and an order refunded in full is no order.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Float,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session, aliased

from cdp import models
from cdp.orders import is_counted as counts_once
from cdp.orders import net_minor
from cdp.types import UTCDateTime
from cdp.value._sql import Scope, analyze, at, day_of, days_between, json_array_agg, materialise
from cdp.value.settings import ValueSettings, currency_exponent

__all__ = [
    "DISTINCT_ORDERS",
    "FAVOURITES",
    "ITEMS",
    "categories_query",
    "fill_distinct_orders",
    "fill_product_categories",
    "orders_query",
    "products_query",
    "purchase_days_query",
    "purchases_query",
]

#: how many favourite categories are kept
FAVOURITES = 3


def _rate_factor(settings: ValueSettings, currency: Any) -> ColumnElement[float]:
    """Minor units of the base currency per minor unit of `currency`; NULL without a rate."""
    base_exp = currency_exponent(settings.base_currency)
    whens = []
    codes = {settings.base_currency: 1.0, **settings.rates}
    for code, rate in sorted(codes.items()):
        whens.append((currency == code, literal(rate * 10 ** (base_exp - currency_exponent(code)))))
    return case(*whens, else_=cast(null(), Float))


def orders_query(settings: ValueSettings, as_of: datetime, scope: Scope) -> Select[Any]:
    """One row per counted order of the profiles placed before `as_of` (`cdp.orders`' rule:
    the web copy of a store order does not count), with its net value in base minor units
    (NULL without a rate) and whether it counts as an order."""
    o = models.Order
    cancelled = case(
        (or_(o.status == "cancelled", o.financial_status == "voided"), 1), else_=0
    ).label("is_cancelled")
    factor = _rate_factor(settings, o.currency)
    net = net_minor(o) * factor
    is_counted = and_(cancelled == 0, factor.is_not(None), net > 0)
    return (
        select(
            o.id,
            o.profile_id,
            o.placed_at,
            o.channel,
            cancelled,
            (o.refunded_minor * factor).label("refunded"),
            case((factor.is_(None), 1), else_=0).label("is_unconverted"),
            case((is_counted, net), else_=null()).label("net"),
            case((is_counted, 1), else_=0).label("is_counted"),
        )
        .where(o.profile_id.is_not(None), o.placed_at < at(as_of), counts_once(o))
        .where(*scope.on(o.profile_id))
    )


DISTINCT_ORDERS = Table(
    "_value_orders",
    MetaData(),
    Column("id", BigInteger),
    Column("profile_id", String(40)),
    Column("placed_at", UTCDateTime()),
    Column("channel", String(20)),
    Column("is_cancelled", Integer),
    Column("refunded", Float),
    Column("is_unconverted", Integer),
    Column("net", Float),
    Column("is_counted", Integer),
    prefixes=["TEMPORARY"],
)


#: the items of the scope's counted orders (`fill_distinct_orders`)
ITEMS = Table(
    "_value_items",
    MetaData(),
    Column("profile_id", String(40)),
    Column("product_id", String(100)),
    Column("category", String(100)),
    Column("name", String(300)),
    Column("quantity", Integer),
    prefixes=["TEMPORARY"],
)


#: a product's category for items without one (`fill_product_categories`)
KNOWN_CATEGORIES = Table(
    "_value_known",
    MetaData(),
    Column("product_id", String(100), primary_key=True),
    Column("category", String(100)),
    prefixes=["TEMPORARY"],
)


def fill_distinct_orders(
    session: Session, settings: ValueSettings, as_of: datetime, scope: Scope
) -> None:
    """Materialise `orders_query` for a scope once, and the items of its counted orders
    (`ITEMS`): purchases, favourites and loyalty read them (the orders were evaluated twice,
    window function and all; the items were probed three times, 33k orders each in a 10k
    refresh)."""
    DISTINCT_ORDERS.create(session.connection(), checkfirst=True)
    session.execute(DISTINCT_ORDERS.delete())
    session.execute(
        DISTINCT_ORDERS.insert().from_select(
            [c.name for c in DISTINCT_ORDERS.columns], orders_query(settings, as_of, scope)
        )
    )
    analyze(session, DISTINCT_ORDERS.name, "id", "profile_id", "is_counted")
    orders, item = DISTINCT_ORDERS, models.OrderItem
    items = (
        select(orders.c.profile_id, item.product_id, item.category, item.name, item.quantity)
        .join(item, item.order_id == orders.c.id)
        .where(orders.c.is_counted == 1)
    )
    ITEMS.create(session.connection(), checkfirst=True)
    session.execute(ITEMS.delete())
    session.execute(ITEMS.insert().from_select([c.name for c in ITEMS.columns], items))
    analyze(session, ITEMS.name, "profile_id", "product_id")


def purchases_query(dialect: str, as_of: datetime) -> Select[Any]:
    """Per profile with orders: first/last order, counts, spend, refunds, days figures
    (from `DISTINCT_ORDERS`, filled for the scope)."""
    orders = DISTINCT_ORDERS
    counted = orders.c.is_counted == 1
    first = func.min(case((counted, orders.c.placed_at)))
    last = func.max(case((counted, orders.c.placed_at)))
    count = func.coalesce(func.sum(case((counted, 1), else_=0)), 0)
    spend = func.coalesce(func.sum(orders.c.net), 0.0)
    agg = (
        select(
            orders.c.profile_id,
            first.label("first_order_at"),
            last.label("last_order_at"),
            count.label("order_count"),
            cast(func.round(spend), Integer).label("total_spend_minor"),
            cast(
                func.round(
                    func.sum(
                        case(
                            (
                                and_(orders.c.is_cancelled == 0, orders.c.is_unconverted == 0),
                                orders.c.refunded,
                            ),
                            else_=0.0,
                        )
                    )
                ),
                Integer,
            ).label("refunded_minor"),
            func.sum(orders.c.is_cancelled).label("cancelled_orders"),
            func.sum(
                case((and_(orders.c.is_unconverted == 1, orders.c.is_cancelled == 0), 1), else_=0)
            ).label("unconverted_orders"),
            func.max(case((and_(counted, orders.c.channel != "web"), orders.c.placed_at))).label(
                "last_store_at"
            ),
        )
        .group_by(orders.c.profile_id)
        .subquery("purchase_totals")
    )
    n = agg.c.order_count
    return select(
        agg,
        case((n > 0, cast(func.round(agg.c.total_spend_minor * 1.0 / n), Integer))).label(
            "average_order_minor"
        ),
        # truncation is the floor here (the days are positive); SQLAlchemy's SQLite floor()
        # is a Python function that fails on NULL
        cast(days_between(dialect, at(as_of), agg.c.last_order_at), Integer).label(
            "days_since_last_order"
        ),
        cast(
            case(
                (n > 1, days_between(dialect, agg.c.last_order_at, agg.c.first_order_at) / (n - 1))
            ),
            Float,
        ).label("average_days_between_orders"),
    )


def purchase_days_query(dialect: str) -> Select[Any]:
    """Per profile with orders: the days with a counted order (`purchase_days`) and the
    average spend of those after the first (`repeat_day_average_minor`): BG/NBD counts
    purchases by day and Gamma-Gamma values the repeat ones, as in the data they were
    published on (`cdp.value.clv`). Materialised on its own: joined inside the purchase
    totals, a full run's purchases step took a fifth longer at 200k profiles."""
    orders = DISTINCT_ORDERS
    dated = (
        select(
            orders.c.profile_id,
            day_of(dialect, orders.c.placed_at).label("day"),
            orders.c.net,
        )
        .where(orders.c.is_counted == 1)
        .subquery("purchase_dated")
    )
    by_day = (
        select(dated.c.profile_id, dated.c.day, func.sum(dated.c.net).label("spend"))
        .group_by(dated.c.profile_id, dated.c.day)
        .subquery("purchase_day")
    )
    first = func.min(by_day.c.day).over(partition_by=by_day.c.profile_id)
    ranked = select(by_day, first.label("first_day")).subquery("purchase_day_ranked")
    days = func.count()
    repeat_spend = func.sum(case((ranked.c.day > ranked.c.first_day, ranked.c.spend), else_=0.0))
    return select(
        ranked.c.profile_id,
        days.label("purchase_days"),
        case((days > 1, cast(func.round(repeat_spend / (days - 1)), Integer))).label(
            "repeat_day_average_minor"
        ),
    ).group_by(ranked.c.profile_id)


def fill_product_categories(session: Session, *, every: bool) -> None:
    """Materialise the category of each product (`_value_known`) that `_counted_items` lends to
    items without one: a shop's order items may lack the category the web tracker's copy of
    the same order had, and the category of a product is the one any item of it carries (the
    greatest, if several). `every`: of every product, in one scan (a full run, once); else of
    the products of the scope's uncategorised items (`ITEMS`), one index probe each (a
    refresh)."""
    item = models.OrderItem
    if every:
        query = (
            select(item.product_id, func.max(item.category).label("category"))
            .where(item.category.is_not(None), item.product_id.is_not(None))
            .group_by(item.product_id)
        )
    else:
        wanted = (
            select(ITEMS.c.product_id)
            .where(ITEMS.c.category.is_(None), ITEMS.c.product_id.is_not(None))
            .distinct()
            .subquery("uncategorised")
        )
        other = aliased(models.OrderItem, name="categorised")
        category = (
            select(other.category)
            .where(other.product_id == wanted.c.product_id, other.category.is_not(None))
            .order_by(other.category.desc())
            .limit(1)
            .scalar_subquery()
        )
        query = select(wanted.c.product_id, category.label("category"))
    materialise(session, KNOWN_CATEGORIES, query)


def _counted_items() -> Any:
    """(profile_id, category, name, quantity) of the items of counted orders (from `ITEMS`,
    categories lent by `fill_product_categories`)."""
    known = KNOWN_CATEGORIES
    return (
        select(
            ITEMS.c.profile_id,
            func.coalesce(ITEMS.c.category, known.c.category).label("category"),
            ITEMS.c.name,
            ITEMS.c.quantity,
        )
        .outerjoin(known, known.c.product_id == ITEMS.c.product_id)
        .subquery("counted_items")
    )


def categories_query(dialect: str) -> Select[Any]:
    """Per profile with categorised items: the favourite category (most units bought; ties by
    name) and the top categories as a JSON array (from `DISTINCT_ORDERS`)."""
    counted = _counted_items()
    by_category = (
        select(
            counted.c.profile_id,
            counted.c.category,
            func.row_number()
            .over(
                partition_by=counted.c.profile_id,
                order_by=(func.sum(counted.c.quantity).desc(), counted.c.category),
            )
            .label("rank"),
        )
        .where(counted.c.category.is_not(None))
        .group_by(counted.c.profile_id, counted.c.category)
        .subquery("by_category")
    )
    top = (
        select(by_category)
        .where(by_category.c.rank <= FAVOURITES)
        .order_by(by_category.c.profile_id, by_category.c.rank)
        .subquery("top_categories")
    )
    return select(
        top.c.profile_id,
        cast(func.min(case((top.c.rank == 1, top.c.category))), String(100)).label(
            "favourite_category"
        ),
        type_coerce(
            json_array_agg(dialect, top.c.category, top.c.rank),
            models.ProfileTraits.favourite_categories.type,
        ).label("favourite_categories"),
    ).group_by(top.c.profile_id)


def products_query() -> Select[Any]:
    """Per profile with counted items: the favourite product (most units; ties by name)."""
    counted = _counted_items()
    by_product = (
        select(
            counted.c.profile_id,
            counted.c.name,
            func.row_number()
            .over(
                partition_by=counted.c.profile_id,
                order_by=(func.sum(counted.c.quantity).desc(), counted.c.name),
            )
            .label("rank"),
        )
        .group_by(counted.c.profile_id, counted.c.name)
        .subquery("by_product")
    )
    return (
        select(
            by_product.c.profile_id,
            cast(func.max(by_product.c.name), String(300)).label("favourite_product"),
        )
        .where(by_product.c.rank == 1)
        .group_by(by_product.c.profile_id)
    )
