"""Email campaign figures from the ESP's events (SendGrid Event Webhook, `email.*` events).

A campaign is the event's `campaign_id` (the ESP's campaign custom argument, or its first
category when there is none: `ingest.adapters.sendgrid`). A message is one send to one
address, named by the ESP's `sg_message_id` (an event without one counts as a message of its
own). Counts:

- sent: messages with a sending event (`processed`, `deferred`, `delivered`, `bounce`,
  `dropped`: a delivered message was sent even if `processed` is missing); delivered,
  bounced, dropped, spam reports, unsubscribes (`unsubscribe` and `group_unsubscribe`):
  messages with such an event;
- opens and clicks: every event (total) and the messages with at least one (unique);
- open rate = unique opens / delivered; click-through rate = unique clicks / delivered;
  click-to-open rate = unique clicks / unique opens; unsubscribe and spam rates per delivered;
  bounce rate per sent. A rate with a zero denominator is None.

Per day, each event counts on the UTC day it happened. With a segment, only events of the
segment's current members count. Functions take the caller's session and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, case, func, literal, select
from sqlalchemy.orm import Session

from cdp import models
from cdp.campaigns._sql import day_of, dialect_of

__all__ = ["CampaignFilter", "EmailCounts", "email_counts", "ratio"]


@dataclass(frozen=True)
class CampaignFilter:
    """Which events count: of these campaigns (empty: all), in [since, until), of the current
    members of a segment."""

    campaign_ids: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    segment_id: int | None = None


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class EmailCounts:
    sent: int = 0
    delivered: int = 0
    bounced: int = 0
    dropped: int = 0
    opens: int = 0
    unique_opens: int = 0
    clicks: int = 0
    unique_clicks: int = 0
    unsubscribes: int = 0
    spam_reports: int = 0

    @property
    def open_rate(self) -> float | None:
        return ratio(self.unique_opens, self.delivered)

    @property
    def click_through_rate(self) -> float | None:
        return ratio(self.unique_clicks, self.delivered)

    @property
    def click_to_open_rate(self) -> float | None:
        return ratio(self.unique_clicks, self.unique_opens)

    @property
    def unsubscribe_rate(self) -> float | None:
        return ratio(self.unsubscribes, self.delivered)

    @property
    def spam_rate(self) -> float | None:
        return ratio(self.spam_reports, self.delivered)

    @property
    def bounce_rate(self) -> float | None:
        return ratio(self.bounced, self.sent)


_MESSAGE_EVENTS: dict[str, tuple[str, ...]] = {
    "sent": (
        "email.processed",
        "email.deferred",
        "email.delivered",
        "email.bounce",
        "email.dropped",
    ),
    "delivered": ("email.delivered",),
    "bounced": ("email.bounce",),
    "dropped": ("email.dropped",),
    "unique_opens": ("email.open",),
    "unique_clicks": ("email.click",),
    "unsubscribes": ("email.unsubscribe", "email.group_unsubscribe"),
    "spam_reports": ("email.spamreport",),
}
_TOTAL_EVENTS = {"opens": "email.open", "clicks": "email.click"}


def event_conditions(where: CampaignFilter) -> list[ColumnElement[bool]]:
    e = models.Event
    conditions: list[ColumnElement[bool]] = [
        e.channel == models.Channel.EMAIL.value,
        e.campaign_id.is_not(None),
        e.type.like("email.%"),
    ]
    if where.campaign_ids:
        conditions.append(e.campaign_id.in_(where.campaign_ids))
    if where.since is not None:
        conditions.append(e.occurred_at >= where.since)
    if where.until is not None:
        conditions.append(e.occurred_at < where.until)
    if where.segment_id is not None:
        m = models.SegmentMembership
        members = select(m.profile_id).where(m.segment_id == where.segment_id)
        conditions.append(e.profile_id.in_(members))
    return conditions


def _message_key() -> ColumnElement[Any]:
    e = models.Event
    message = e.properties["sg_message_id"].as_string()
    return func.coalesce(message, literal("event:") + func.cast(e.record_id, String(20)))


def email_counts(
    session: Session, where: CampaignFilter, *, by_day: bool = False
) -> dict[tuple[str, str | None], EmailCounts]:
    """The counts per campaign (and per UTC day when `by_day`), keyed by (campaign, day)."""
    e = models.Event
    message = _message_key()
    columns: list[ColumnElement[Any]] = []
    for name, types in _MESSAGE_EVENTS.items():
        columns.append(func.count(func.distinct(case((e.type.in_(types), message)))).label(name))
    for name, event_type in _TOTAL_EVENTS.items():
        columns.append(func.count(case((e.type == event_type, 1))).label(name))
    keys: list[Any] = [e.campaign_id]
    if by_day:
        keys.append(day_of(dialect_of(session), e.occurred_at).label("day"))
    statement = select(*keys, *columns).where(*event_conditions(where)).group_by(*keys)
    found: dict[tuple[str, str | None], EmailCounts] = {}
    for row in session.execute(statement):
        mapping = row._mapping
        day = str(mapping["day"]) if by_day else None
        found[(str(mapping["campaign_id"]), day)] = EmailCounts(
            **{name: int(mapping[name]) for name in _COUNT_NAMES}
        )
    return found


_COUNT_NAMES: Sequence[str] = (*_MESSAGE_EVENTS, *_TOTAL_EVENTS)
