"""Social campaign figures (docs/campaigns.md): X hashtags and Meta lead ad campaigns."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from sqlalchemy.orm import Session

from cdp.campaigns import social as service
from cdp.campaigns.email import CampaignFilter as Where
from schema._access import EVERY_ROLE, requires
from schema._campaigns import CampaignFilter, FilterArg
from schema._context import Context
from schema._paging import aware

__all__ = ["SocialCampaignQuery"]

Info = strawberry.Info[Context, None]


@strawberry.type(
    description=(
        "A social campaign: an X hashtag (the mentions and replies carrying it) or a Meta lead "
        "ad campaign (its leads)."
    )
)
class SocialCampaign:
    network: str = strawberry.field(description="x (a hashtag) or meta (a lead ad campaign).")
    campaign: str = strawberry.field(description="The hashtag (lower case, no #) or campaign id.")
    posts: int = strawberry.field(description="Mentions and replies carrying the hashtag.")
    leads: int = strawberry.field(description="Leads of the lead ad campaign.")
    people: int = strawberry.field(description="Distinct profiles behind the posts or leads.")
    likes: int = strawberry.field(description="Likes of those posts.")
    replies: int = strawberry.field(description="Replies to those posts.")
    reposts: int = strawberry.field(description="Reposts of those posts.")
    quotes: int = strawberry.field(description="Quote posts of those posts.")
    impressions: int = strawberry.field(description="Times those posts were seen (reach).")
    interactions: int = strawberry.field(description="Likes + replies + reposts + quotes.")
    interactions_per_post: float | None = strawberry.field(description="Interactions / posts.")
    interaction_rate: float | None = strawberry.field(
        description="Interactions / impressions (null without impressions)."
    )
    first_at: datetime | None = strawberry.field(description="Its first post or lead.")
    last_at: datetime | None = strawberry.field(description="Its latest post or lead.")
    day: str | None = strawberry.field(
        description="The UTC day (YYYY-MM-DD) of a row of `days`; null for the whole period."
    )
    where: strawberry.Private[Where]

    @strawberry.field(
        description=(
            "The campaign per UTC day, oldest first: each post or lead on the day it was made "
            "(its likes and reach are the latest counts X reported for it)."
        )
    )
    async def days(self, info: Info) -> list[SocialCampaign]:
        base = self.where
        where = Where((self.campaign,), base.since, base.until, base.segment_id)

        def call(session: Session) -> list[service.SocialCampaign]:
            return service.social_campaigns(session, where=where, by_day=True)

        async with info.context.readers() as session:
            found = await session.run_sync(call)
        return [SocialCampaign.of(c, where) for c in found if c.network == self.network]

    @classmethod
    def of(cls, c: service.SocialCampaign, where: Where) -> SocialCampaign:
        return cls(
            network=c.network,
            campaign=c.campaign,
            posts=c.posts,
            leads=c.leads,
            people=c.people,
            likes=c.likes,
            replies=c.replies,
            reposts=c.reposts,
            quotes=c.quotes,
            impressions=c.impressions,
            interactions=c.interactions,
            interactions_per_post=c.interactions_per_post,
            interaction_rate=c.interaction_rate,
            first_at=c.first_at,
            last_at=c.last_at,
            day=c.day,
            where=where,
        )


@strawberry.type
class SocialCampaignQuery:
    @strawberry.field(
        description=(
            "Social campaigns with posts or leads in the period, the most recent first: posts, "
            "people, likes, replies, reposts, quotes, impressions, interactions per post and "
            "per impression; `filter` narrows them to some campaigns (hashtags or lead "
            "campaign ids), a period and a segment's current members."
        ),
        permission_classes=requires(EVERY_ROLE),
    )
    async def social_campaigns(
        self,
        info: Info,
        since: Annotated[
            datetime | None, strawberry.argument(description="Posts and leads at or after.")
        ] = None,
        until: Annotated[
            datetime | None, strawberry.argument(description="Posts and leads before.")
        ] = None,
        filter: FilterArg = None,
    ) -> list[SocialCampaign]:
        base = (filter or CampaignFilter()).to_service()
        start, end = aware("since", since), aware("until", until)
        where = Where(
            base.campaign_ids,
            base.since if start is None else start,
            base.until if end is None else end,
            base.segment_id,
        )

        def call(session: Session) -> list[service.SocialCampaign]:
            return service.social_campaigns(session, where=where)

        async with info.context.readers() as session:
            found = await session.run_sync(call)
        return [SocialCampaign.of(c, where) for c in found]
