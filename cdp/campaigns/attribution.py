"""Conversions and revenue attributed to email campaigns, and the recipients' retention.

**Attribution.** An order (counted once: `cdp.orders`) is a conversion of a campaign when the
same profile clicked a link of that campaign at most `window_days` days before placing it.
When several clicks qualify, the rule picks one: `last_click` (default: the latest click
before the order) or `first_click` (the earliest click within the window). Each order is
attributed to at most one campaign; its revenue is its total less refunds, per currency.
Conversion rate = profiles with an attributed order / profiles who clicked the campaign.

**Retention.** A campaign's send time is its first sending event. Its recipients who had
already ordered before it (customers) are *retained* when they order again within
`retention_days` days after the send. The comparison group is the customers on the email list
(delivered some campaign) who were *not* sent this one, measured over the same days; with
nobody in it the comparison is None.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, and_, exists, func, literal, select
from sqlalchemy.orm import Session, aliased

from cdp import models
from cdp.campaigns._sql import day_of, dialect_of, within_days
from cdp.campaigns.email import CampaignFilter, event_conditions, ratio
from cdp.errors import InvalidInputError
from cdp.orders import is_counted, net_minor

__all__ = [
    "ATTRIBUTION_RULES",
    "AttributionSettings",
    "Conversions",
    "Retention",
    "conversions",
    "retention",
]

ATTRIBUTION_RULES = ("last_click", "first_click")
_SENDING = ("email.processed", "email.delivered", "email.deferred", "email.bounce")


@dataclass(frozen=True)
class AttributionSettings:
    rule: str = "last_click"
    window_days: int = 7
    retention_days: int = 30

    def __post_init__(self) -> None:
        if self.rule not in ATTRIBUTION_RULES:
            known = ", ".join(ATTRIBUTION_RULES)
            raise InvalidInputError("attribution", f"{self.rule!r} is not one of {known}")
        for name in ("window_days", "retention_days"):
            value = getattr(self, name)
            if not 1 <= value <= 365:
                raise InvalidInputError(name, f"{value} is out of range; expected 1 to 365 days")


@dataclass(frozen=True)
class Conversions:
    clickers: int = 0
    orders: int = 0
    converters: int = 0
    revenue_minor: dict[str, int] = field(default_factory=dict)

    @property
    def conversion_rate(self) -> float | None:
        return ratio(self.converters, self.clickers)


@dataclass(frozen=True)
class Retention:
    days: int
    recipients: int
    retained: int
    comparison: int
    comparison_retained: int

    @property
    def rate(self) -> float | None:
        return ratio(self.retained, self.recipients)

    @property
    def comparison_rate(self) -> float | None:
        return ratio(self.comparison_retained, self.comparison)

    @property
    def lift(self) -> float | None:
        """Recipients' retention rate minus the comparison group's (percentage points / 100)."""
        if self.rate is None or self.comparison_rate is None:
            return None
        return self.rate - self.comparison_rate


def _attributed(session: Session, where: CampaignFilter, settings: AttributionSettings) -> Any:
    e, o = models.Event, models.Order
    dialect = dialect_of(session)
    # every campaign's clicks compete for an order; the filter applies to the winners only
    everyone = CampaignFilter(segment_id=where.segment_id)
    clicks = (
        select(e.profile_id, e.campaign_id, e.occurred_at)
        .where(*event_conditions(everyone), e.type == "email.click", e.profile_id.is_not(None))
        .subquery("clicks")
    )
    order_by = (
        clicks.c.occurred_at.desc() if settings.rule == "last_click" else clicks.c.occurred_at
    )
    ranked = (
        select(
            o.id.label("order_id"),
            o.profile_id,
            o.currency,
            net_minor().label("net_minor"),
            o.placed_at,
            clicks.c.campaign_id,
            clicks.c.occurred_at.label("clicked_at"),
            func.row_number().over(partition_by=o.id, order_by=order_by).label("rank"),
        )
        .join(clicks, clicks.c.profile_id == o.profile_id)
        .where(
            is_counted(),
            within_days(dialect, clicks.c.occurred_at, o.placed_at, settings.window_days),
        )
        .subquery("ranked")
    )
    winners = [ranked.c.rank == 1]
    if where.campaign_ids:
        winners.append(ranked.c.campaign_id.in_(where.campaign_ids))
    if where.since is not None:
        winners.append(ranked.c.clicked_at >= where.since)
    if where.until is not None:
        winners.append(ranked.c.clicked_at < where.until)
    return select(ranked).where(*winners).subquery("attributed")


def conversions(
    session: Session,
    where: CampaignFilter,
    settings: AttributionSettings,
    *,
    by_day: bool = False,
) -> dict[tuple[str, str | None], Conversions]:
    """Attributed orders per campaign (and per UTC day of the order when `by_day`)."""
    ranked = _attributed(session, where, settings)
    keys: list[Any] = [ranked.c.campaign_id]
    if by_day:
        keys.append(day_of(dialect_of(session), ranked.c.placed_at).label("day"))
    statement = select(
        *keys,
        ranked.c.currency,
        func.count().label("orders"),
        func.sum(ranked.c.net_minor).label("revenue"),
    ).group_by(*keys, ranked.c.currency)
    found: dict[tuple[str, str | None], dict[str, Any]] = {}
    for row in session.execute(statement):
        m = row._mapping
        key = (str(m["campaign_id"]), str(m["day"]) if by_day else None)
        entry = found.setdefault(key, {"orders": 0, "revenue": {}})
        entry["orders"] += int(m["orders"])
        entry["revenue"][str(m["currency"])] = int(m["revenue"] or 0)
    converters = _converters(session, ranked, by_day)
    clickers = _clickers(session, where, by_day)
    result: dict[tuple[str, str | None], Conversions] = {}
    for key in set(found) | set(clickers):
        entry = found.get(key, {"orders": 0, "revenue": {}})
        result[key] = Conversions(
            clickers=clickers.get(key, 0),
            orders=entry["orders"],
            converters=len(converters.get(key, ())),
            revenue_minor=dict(sorted(entry["revenue"].items())),
        )
    return result


def _converters(
    session: Session, ranked: Any, by_day: bool
) -> dict[tuple[str, str | None], set[str]]:
    keys: list[Any] = [ranked.c.campaign_id]
    if by_day:
        keys.append(day_of(dialect_of(session), ranked.c.placed_at).label("day"))
    statement = select(*keys, ranked.c.profile_id).distinct()
    found: dict[tuple[str, str | None], set[str]] = {}
    for row in session.execute(statement):
        m = row._mapping
        key = (str(m["campaign_id"]), str(m["day"]) if by_day else None)
        found.setdefault(key, set()).add(str(m["profile_id"]))
    return found


def _clickers(
    session: Session, where: CampaignFilter, by_day: bool
) -> dict[tuple[str, str | None], int]:
    e = models.Event
    keys: list[Any] = [e.campaign_id]
    if by_day:
        keys.append(day_of(dialect_of(session), e.occurred_at).label("day"))
    statement = (
        select(*keys, func.count(func.distinct(e.profile_id)).label("n"))
        .where(*event_conditions(where), e.type == "email.click", e.profile_id.is_not(None))
        .group_by(*keys)
    )
    return {
        (str(row._mapping["campaign_id"]), str(row._mapping["day"]) if by_day else None): int(
            row._mapping["n"]
        )
        for row in session.execute(statement)
    }


def send_times(session: Session, where: CampaignFilter) -> Select[str | None, datetime]:
    e = models.Event
    return (
        select(e.campaign_id, func.min(e.occurred_at).label("sent_at"))
        .where(*event_conditions(where), e.type.in_(_SENDING))
        .group_by(e.campaign_id)
    )


def retention(
    session: Session, where: CampaignFilter, settings: AttributionSettings
) -> dict[str, Retention]:
    """Retention of each campaign's customer recipients against customers not sent it."""
    e, o = models.Event, models.Order
    dialect = dialect_of(session)
    campaigns = send_times(session, where).subquery("campaigns")
    delivered = select(e.profile_id).where(
        e.channel == models.Channel.EMAIL.value,
        e.type == "email.delivered",
        e.profile_id.is_not(None),
    )
    if where.segment_id is not None:
        m = models.SegmentMembership
        delivered = delivered.where(
            e.profile_id.in_(select(m.profile_id).where(m.segment_id == where.segment_id))
        )
    subscribers = delivered.distinct().subquery("subscribers")
    was_sent = exists().where(
        e.profile_id == subscribers.c.profile_id,
        e.campaign_id == campaigns.c.campaign_id,
        e.type == "email.delivered",
    )
    before = aliased(o, name="before")
    was_customer = exists().where(
        before.profile_id == subscribers.c.profile_id,
        before.placed_at < campaigns.c.sent_at,
        is_counted(before),
    )
    again = aliased(o, name="again")
    came_back = exists().where(
        again.profile_id == subscribers.c.profile_id,
        within_days(dialect, campaigns.c.sent_at, again.placed_at, settings.retention_days),
        is_counted(again),
    )

    def count_if(condition: ColumnElement[bool]) -> ColumnElement[Any]:
        return func.coalesce(func.sum(func.cast(condition, Integer)), literal(0))

    statement = (
        select(
            campaigns.c.campaign_id,
            count_if(was_sent).label("recipients"),
            count_if(and_(was_sent, came_back)).label("retained"),
            count_if(~was_sent).label("comparison"),
            count_if(and_(~was_sent, came_back)).label("comparison_retained"),
        )
        .select_from(campaigns.join(subscribers, literal(True)))
        .where(was_customer)
        .group_by(campaigns.c.campaign_id)
    )
    found = {
        str(row._mapping["campaign_id"]): Retention(
            days=settings.retention_days,
            recipients=int(row._mapping["recipients"]),
            retained=int(row._mapping["retained"]),
            comparison=int(row._mapping["comparison"]),
            comparison_retained=int(row._mapping["comparison_retained"]),
        )
        for row in session.execute(statement)
    }
    for campaign_id in session.scalars(select(campaigns.c.campaign_id)):
        found.setdefault(str(campaign_id), Retention(settings.retention_days, 0, 0, 0, 0))
    return found
