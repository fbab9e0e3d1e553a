"""Per-profile engagement, set-based: email unique open and click rates, last engagement per
channel, web sessions and page views in the last 30 days, social interactions, the preferred
channel and the best hour of day to send.

- Rates count campaigns: campaigns opened (clicked) over campaigns delivered, so a person who
  opens one email five times opened one email. Events without a campaign id are left out.
- A web session is a run of web events with no gap over 30 minutes (the usual analytics
  definition; the tracker sends no session id).
- The preferred channel is the one with the most engagement in the last 90 days: email opens
  and clicks, web sessions, social interactions, store orders (ties: email, web, social, store).
- The best hour to send is the UTC hour at which the person opened or clicked most often
  (ties: the earlier hour), given at least `MIN_SEND_HOUR_EVENTS` opens and clicks.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    and_,
    case,
    cast,
    distinct,
    func,
    literal,
    null,
    select,
    type_coerce,
    union_all,
)

from cdp import models
from cdp.types import UTCDateTime
from cdp.value._sql import Scope, at, days_between, hour_of

__all__ = ["MIN_SEND_HOUR_EVENTS", "PREFERENCE_DAYS", "SESSION_GAP", "engagement_query"]

MIN_SEND_HOUR_EVENTS = 3
PREFERENCE_DAYS = 90
SESSION_GAP = timedelta(minutes=30)
ENGAGED = ("email.open", "email.click")


def engagement_query(dialect: str, as_of: datetime, scope: Scope) -> Select[Any]:
    e = models.Event
    i = models.Interaction
    since_30 = at(as_of - timedelta(days=30))
    since_pref = at(as_of - timedelta(days=PREFERENCE_DAYS))
    before = at(as_of)

    email = (
        select(
            e.profile_id,
            func.count(distinct(case((e.type == "email.delivered", e.campaign_id)))).label("sent"),
            func.count(distinct(case((e.type == "email.open", e.campaign_id)))).label("opened"),
            func.count(distinct(case((e.type == "email.click", e.campaign_id)))).label("clicked"),
            func.max(case((e.type.in_(ENGAGED), e.occurred_at))).label("last_email_at"),
            func.sum(
                case((and_(e.type.in_(ENGAGED), e.occurred_at >= since_pref), 1), else_=0)
            ).label("email_actions"),
            func.max(case((e.channel == "web", e.occurred_at))).label("last_web_at"),
        )
        # one pass over both channels' events
        .where(e.profile_id.is_not(None), e.channel.in_(("email", "web")), e.occurred_at < before)
        .where(*scope.on(e.profile_id))
        .group_by(e.profile_id)
        .subquery("email")
    )

    previous = func.lag(e.occurred_at).over(partition_by=e.profile_id, order_by=e.occurred_at)
    web_events = (
        select(
            e.profile_id,
            e.type,
            e.occurred_at,
            previous.label("previous_at"),
        )
        .where(e.profile_id.is_not(None), e.channel == "web")
        .where(e.occurred_at < before, e.occurred_at >= since_pref)
        .where(*scope.on(e.profile_id))
        .subquery("web_events")
    )
    starts = case(
        (web_events.c.previous_at.is_(None), 1),
        (
            days_between(dialect, web_events.c.occurred_at, web_events.c.previous_at)
            > SESSION_GAP / timedelta(days=1),
            1,
        ),
        else_=0,
    )
    recent = web_events.c.occurred_at >= since_30
    web = (
        select(
            web_events.c.profile_id,
            func.sum(case((recent, starts), else_=0)).label("sessions_30d"),
            func.sum(case((and_(recent, web_events.c.type == "page"), 1), else_=0)).label(
                "page_views_30d"
            ),
            func.sum(starts).label("web_actions"),
        )
        .group_by(web_events.c.profile_id)
        .subquery("web")
    )
    social = (
        select(
            i.profile_id,
            func.count().label("social_interactions"),
            func.max(i.occurred_at).label("last_social_at"),
            func.sum(case((i.occurred_at >= since_pref, 1), else_=0)).label("social_actions"),
        )
        .where(i.profile_id.is_not(None), i.occurred_at < before)
        .where(*scope.on(i.profile_id))
        .group_by(i.profile_id)
        .subquery("social")
    )
    engaged_at = (
        select(e.profile_id, hour_of(dialect, e.occurred_at).label("hour"))
        .where(e.profile_id.is_not(None), e.type.in_(ENGAGED), e.occurred_at < before)
        .where(*scope.on(e.profile_id))
        .subquery("engaged_at")
    )
    hours = (
        select(engaged_at.c.profile_id, engaged_at.c.hour, func.count().label("n"))
        .group_by(engaged_at.c.profile_id, engaged_at.c.hour)
        .subquery("hours")
    )
    ranked_hours = select(
        hours.c.profile_id,
        hours.c.hour,
        func.row_number()
        .over(partition_by=hours.c.profile_id, order_by=(hours.c.n.desc(), hours.c.hour))
        .label("rank"),
        func.sum(hours.c.n).over(partition_by=hours.c.profile_id).label("total"),
    ).subquery("ranked_hours")
    # grouped (one row per profile anyway) so SQLite materialises it with an index: as a plain
    # filtered subquery it was scanned whole for every profile (quadratic)
    best_hour = (
        select(ranked_hours.c.profile_id, func.max(ranked_hours.c.hour).label("best_send_hour"))
        .where(ranked_hours.c.rank == 1, ranked_hours.c.total >= MIN_SEND_HOUR_EVENTS)
        .group_by(ranked_hours.c.profile_id)
        .subquery("best_hour")
    )

    # One row per profile from every part, the parts UNIONed and grouped once: no join of one
    # aggregate to another, so no plan can run a part once per profile (module `_sql`'s
    # `materialise` says why that matters on PostgreSQL).
    def part(profile_id: Any, **values: Any) -> Select[Any]:
        """One part's row: its own values, zero or a typed NULL for the other parts' (typed:
        PostgreSQL resolves UNION columns pairwise, and NULL UNION NULL is text)."""
        columns = [profile_id.label("profile_id")]
        for name, kind in _PART_COLUMNS.items():
            if name in values:
                columns.append(values[name].label(name))
            elif kind == "count":
                columns.append(literal(0, Integer).label(name))
            else:
                columns.append(cast(null(), _TYPES[kind]).label(name))
        return select(*columns)

    parts = [
        part(
            email.c.profile_id,
            sent=email.c.sent,
            opened=email.c.opened,
            clicked=email.c.clicked,
            last_email_at=email.c.last_email_at,
            email_actions=email.c.email_actions,
            last_web_at=email.c.last_web_at,
        ),
        part(
            web.c.profile_id,
            web_sessions_30d=web.c.sessions_30d,
            page_views_30d=web.c.page_views_30d,
            web_actions=web.c.web_actions,
        ),
        part(
            social.c.profile_id,
            social_interactions=social.c.social_interactions,
            last_social_at=social.c.last_social_at,
            social_actions=social.c.social_actions,
        ),
        part(best_hour.c.profile_id, best_send_hour=best_hour.c.best_send_hour),
    ]
    u = union_all(*parts).subquery("engagement_parts")
    columns: list[Any] = [u.c.profile_id]
    for name, kind in _PART_COLUMNS.items():
        if kind == "time":
            columns.append(type_coerce(func.max(u.c[name]), UTCDateTime()).label(name))
        elif kind == "count":
            columns.append(cast(func.sum(u.c[name]), Integer).label(name))
        else:
            columns.append(cast(func.max(u.c[name]), Integer).label(name))
    return select(*columns).group_by(u.c.profile_id)


#: the engagement columns and how the parts' rows combine: `count` summed (zero elsewhere),
#: `int` and `time` the one part's value (NULL elsewhere)
_PART_COLUMNS = {
    "sent": "int",
    "opened": "int",
    "clicked": "int",
    "last_email_at": "time",
    "email_actions": "count",
    "web_sessions_30d": "count",
    "page_views_30d": "count",
    "web_actions": "count",
    "last_web_at": "time",
    "social_interactions": "count",
    "last_social_at": "time",
    "social_actions": "count",
    "best_send_hour": "int",
}
_TYPES: dict[str, Any] = {"int": Integer, "time": UTCDateTime()}
