"""Social campaign figures from what the social adapters store (docs/campaigns.md).

A social campaign is
- on X, a **hashtag** (`#ExampleShopSummerSale`, compared case-insensitively): the mentions and
  replies that carry it (`ingest.adapters.x_mentions` keeps each post's hashtags and its
  `public_metrics`: likes, replies, reposts, quotes, impressions);
- on Meta, a **lead ad campaign** (`campaign_id` of each lead: `ingest.adapters.meta_leads`).

Per campaign: posts (mentions and replies) or leads, the people behind them (distinct
profiles), likes, replies, reposts, quotes and impressions summed over the posts; interactions
= likes + replies + reposts + quotes; **interactions per post**; and the **interaction rate**,
interactions per impression (reach), None when X reported no impressions. A post counts on
every campaign whose hashtag it carries. Counts missing from a post count as 0 (and its
impressions as none). As for email campaigns (`cdp.campaigns.email`), the figures can be
narrowed to some campaigns and to the posts and leads of a segment's current members, and
split per UTC day (each post or lead on the day it was made; its likes and reach are the
latest counts X reported for it, not that day's). Functions take the caller's session and
never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from cdp.campaigns._sql import dialect_of
from cdp.campaigns.email import CampaignFilter, ratio
from cdp.errors import InvalidInputError
from cdp.types import UTCDateTime

__all__ = ["METRICS", "SocialCampaign", "social_campaigns"]

METRICS = ("likes", "replies", "reposts", "quotes", "impressions")


@dataclass(frozen=True)
class SocialCampaign:
    network: str  # "x" (a hashtag) or "meta" (a lead ad campaign)
    campaign: str
    posts: int
    leads: int
    people: int
    likes: int
    replies: int
    reposts: int
    quotes: int
    impressions: int
    first_at: datetime | None
    last_at: datetime | None
    #: the UTC day, 'YYYY-MM-DD', when the figures are per day (`by_day`); else None
    day: str | None = None

    @property
    def interactions(self) -> int:
        return self.likes + self.replies + self.reposts + self.quotes

    @property
    def interactions_per_post(self) -> float | None:
        return self.interactions / self.posts if self.posts else None

    @property
    def interaction_rate(self) -> float | None:
        return ratio(self.interactions, self.impressions)


def _number_pg(key: str) -> str:
    value = f"(i.properties -> '{key}')"
    return f"CASE WHEN jsonb_typeof({value}) = 'number' THEN ({value} #>> '{{}}')::bigint END"


def _number_sqlite(key: str) -> str:
    return (
        f"CASE WHEN json_type(i.properties, '$.{key}') = 'integer' "
        f"THEN json_extract(i.properties, '$.{key}') END"
    )


# One row per (post, hashtag) and per lead, with the post's counts: the only dialect-specific
# part (unnesting a JSON array); the figures are summed over it below.
_ROWS = {
    "postgresql": """
        SELECT 'x' AS network, tag.value AS campaign, i.id AS interaction_id,
               i.profile_id, i.occurred_at, {metrics}
          FROM interactions i
          CROSS JOIN LATERAL jsonb_array_elements_text(
              CASE WHEN jsonb_typeof(i.properties -> 'hashtags') = 'array'
                   THEN i.properties -> 'hashtags' ELSE '[]'::jsonb END) AS tag(value)
         WHERE i.channel = 'social' AND i.type IN ('mention', 'reply') {window}
        UNION ALL
        SELECT 'meta', i.properties ->> 'campaign_id', i.id, i.profile_id, i.occurred_at,
               {nothing}
          FROM interactions i
         WHERE i.channel = 'social' AND i.type = 'lead_form'
           AND jsonb_typeof(i.properties -> 'campaign_id') = 'string' {window}
    """,
    "sqlite": """
        SELECT 'x' AS network, tag.value AS campaign, i.id AS interaction_id,
               i.profile_id, i.occurred_at, {metrics}
          FROM interactions i, json_each(i.properties, '$.hashtags') AS tag
         WHERE i.channel = 'social' AND i.type IN ('mention', 'reply')
           AND json_type(i.properties, '$.hashtags') = 'array' {window}
        UNION ALL
        SELECT 'meta', json_extract(i.properties, '$.campaign_id'), i.id, i.profile_id,
               i.occurred_at, {nothing}
          FROM interactions i
         WHERE i.channel = 'social' AND i.type = 'lead_form'
           AND json_type(i.properties, '$.campaign_id') = 'text' {window}
    """,
}

_FIGURES = """
    SELECT network, campaign, {day} AS day,
           SUM(CASE WHEN network = 'x' THEN 1 ELSE 0 END) AS posts,
           SUM(CASE WHEN network = 'meta' THEN 1 ELSE 0 END) AS leads,
           COUNT(DISTINCT profile_id) AS people,
           {sums},
           MIN(occurred_at) AS first_at, MAX(occurred_at) AS last_at
      FROM ({rows}) AS found
     {campaigns}
     GROUP BY network, campaign{group}
     ORDER BY {order} MAX(occurred_at) DESC, network, campaign
"""
_DAY = {"postgresql": "to_char(timezone('UTC', occurred_at), 'YYYY-MM-DD')",
        "sqlite": "date(occurred_at)"}  # fmt: skip


def social_campaigns(
    session: Session,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    where: CampaignFilter | None = None,
    by_day: bool = False,
) -> list[SocialCampaign]:
    """Every social campaign with posts or leads in [since, until), newest first; `where`
    (its campaigns, period and segment) narrows them further; with `by_day`, one row per
    campaign and UTC day, days in order."""
    where = where or CampaignFilter()
    since = where.since if since is None else since
    until = where.until if until is None else until
    if since is not None and until is not None and since >= until:
        raise InvalidInputError(
            "until", f"{until.isoformat()} is not after since {since.isoformat()}"
        )
    dialect = "postgresql" if dialect_of(session) == "postgresql" else "sqlite"
    number = _number_pg if dialect == "postgresql" else _number_sqlite
    window = ""
    params: dict[str, Any] = {}
    if since is not None:
        window += " AND i.occurred_at >= :since"
        params["since"] = since
    if until is not None:
        window += " AND i.occurred_at < :until"
        params["until"] = until
    if where.segment_id is not None:
        window += (
            " AND i.profile_id IN (SELECT m.profile_id FROM segment_memberships m"
            " WHERE m.segment_id = :segment_id)"
        )
    campaigns = ""
    if where.campaign_ids:
        campaigns = "WHERE lower(campaign) IN :campaign_ids"
    rows = _ROWS[dialect].format(
        metrics=", ".join(f"{number(m)} AS {m}" for m in METRICS),
        nothing=", ".join(f"NULL AS {m}" for m in METRICS),
        window=window,
    )
    sums = ", ".join(f"COALESCE(SUM({m}), 0) AS {m}" for m in METRICS)
    statement = (
        text(
            _FIGURES.format(
                rows=rows,
                sums=sums,
                campaigns=campaigns,
                day=_DAY[dialect] if by_day else "NULL",
                group=f", {_DAY[dialect]}" if by_day else "",
                order=f"{_DAY[dialect]}," if by_day else "",
            )
        )
        .bindparams(*[bindparam(name, type_=UTCDateTime()) for name in params])
        .columns(first_at=UTCDateTime(), last_at=UTCDateTime())
    )
    if where.segment_id is not None:
        params["segment_id"] = where.segment_id
    if where.campaign_ids:
        statement = statement.bindparams(bindparam("campaign_ids", expanding=True))
        params["campaign_ids"] = [c.lower() for c in where.campaign_ids]
    result = session.execute(statement, params)
    return [
        SocialCampaign(
            network=row.network,
            campaign=row.campaign,
            posts=int(row.posts),
            leads=int(row.leads),
            people=int(row.people),
            **{m: int(getattr(row, m)) for m in METRICS},
            first_at=row.first_at,
            last_at=row.last_at,
            day=None if row.day is None else str(row.day),
        )
        for row in result
    ]
