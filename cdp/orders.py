"""Which stored orders count, once each, in revenue figures: the one rule every domain uses.

A web order is stored twice: the web shop's tracking sends Segment `Order Completed` with
the Shopify order id (an order of the `web` channel) and the store's Shopify export holds the
same order (an order of the `store` channel). **A web-channel order whose order id is also an
order of the store channel is that store order seen twice and does not count**; the store's
copy counts, because it is the system of record (it carries refunds and later updates). Every
other order counts, so a web order the store export never had (tracking without Shopify) is
not lost. Orders from different sources of the store channel never collapse: a till receipt
and a Shopify order are different sales even if their numbers happen to match.

Revenue of an order is its total less what was refunded (`net_minor`), in its own currency.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, and_, exists, not_, select
from sqlalchemy.orm import aliased

from cdp import models

__all__ = ["STORE_CHANNEL", "WEB_CHANNEL", "counted_orders", "is_counted", "net_minor"]

WEB_CHANNEL = models.Channel.WEB.value
STORE_CHANNEL = models.Channel.STORE.value


def is_counted(order: type[models.Order] = models.Order) -> ColumnElement[bool]:
    """A condition on `order` (the `orders` table or an alias of it): true when the order
    counts, false for the web copy of a store order (the module's rule)."""
    store = aliased(models.Order, name="store_copy")
    twin = exists().where(store.external_id == order.external_id, store.channel == STORE_CHANNEL)
    return not_(and_(order.channel == WEB_CHANNEL, twin))


def net_minor(order: type[models.Order] = models.Order) -> ColumnElement[int]:
    """The order's revenue in minor units of its currency: total less refunds."""
    return order.total_minor - order.refunded_minor


def counted_orders() -> Select[models.Order]:
    """A select of the orders that count (use `.where(...)` to narrow it)."""
    return select(models.Order).where(is_counted())
