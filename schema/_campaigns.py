"""Campaign effectiveness in GraphQL: `campaigns` and `campaign(id)`; resolvers convert the
input and call `cdp.campaigns` (docs/campaigns.md) in a read session."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated

import strawberry
from sqlalchemy.orm import Session

from cdp import campaigns as service
from cdp.errors import InvalidInputError
from schema._access import EVERY_ROLE, requires
from schema._context import Context
from schema._enums import value_of
from schema._paging import aware
from schema._results import stored_id
from schema._types import Money

__all__ = ["CampaignQuery"]

Info = strawberry.Info[Context, None]


@strawberry.enum(description="Which click an order is attributed to when several qualify.")
class AttributionRule(enum.Enum):
    LAST_CLICK = strawberry.enum_value(
        "last_click", description="The latest click before the order."
    )
    FIRST_CLICK = strawberry.enum_value(
        "first_click", description="The earliest click within the window before the order."
    )


@strawberry.input(description="Which events count; every given condition must hold.")
class CampaignFilter:
    campaign_ids: list[str] | None = strawberry.field(
        default=None, description="Only these campaigns (default: all)."
    )
    since: datetime | None = strawberry.field(default=None, description="Events at or after.")
    until: datetime | None = strawberry.field(default=None, description="Events before.")
    segment_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only the events, clicks and orders of this segment's members."
    )

    def to_service(self) -> service.CampaignFilter:
        segment = None if self.segment_id is None else _segment_id(self.segment_id)
        return service.CampaignFilter(
            tuple(self.campaign_ids or ()),
            aware("since", self.since),
            aware("until", self.until),
            segment,
        )


def _segment_id(value: strawberry.ID) -> int:
    found = stored_id(value)
    if found is None:
        raise InvalidInputError("segmentId", f"{str(value)!r} is not a segment id")
    return found


@strawberry.input(description="How conversions and retention are measured.")
class Attribution:
    rule: AttributionRule = strawberry.field(
        default=AttributionRule.LAST_CLICK, description="Last click (default) or first click."
    )
    window_days: int = strawberry.field(
        default=7, description="Orders within this many days after a click convert it (1-365)."
    )
    retention_days: int = strawberry.field(
        default=30, description="Recipients ordering again within this many days (1-365)."
    )

    def to_service(self) -> service.AttributionSettings:
        return service.AttributionSettings(
            value_of(self.rule), self.window_days, self.retention_days
        )


@strawberry.type(description="Email counts and rates (a rate is null when its base is 0).")
class EmailFigures:
    sent: int = strawberry.field(description="Messages with a sending event.")
    delivered: int = strawberry.field(description="Messages delivered.")
    bounced: int = strawberry.field(description="Messages bounced.")
    dropped: int = strawberry.field(description="Messages the ESP dropped.")
    opens: int = strawberry.field(description="Open events, all of them.")
    unique_opens: int = strawberry.field(description="Messages opened at least once.")
    clicks: int = strawberry.field(description="Click events, all of them.")
    unique_clicks: int = strawberry.field(description="Messages clicked at least once.")
    unsubscribes: int = strawberry.field(description="Messages unsubscribed from.")
    spam_reports: int = strawberry.field(description="Messages reported as spam.")
    open_rate: float | None = strawberry.field(description="Unique opens / delivered.")
    click_through_rate: float | None = strawberry.field(description="Unique clicks / delivered.")
    click_to_open_rate: float | None = strawberry.field(description="Unique clicks / opens.")
    unsubscribe_rate: float | None = strawberry.field(description="Unsubscribes / delivered.")
    spam_rate: float | None = strawberry.field(description="Spam reports / delivered.")
    bounce_rate: float | None = strawberry.field(description="Bounced / sent.")

    @classmethod
    def of(cls, e: service.EmailCounts) -> EmailFigures:
        return cls(
            **vars(e),
            open_rate=e.open_rate,
            click_through_rate=e.click_through_rate,
            click_to_open_rate=e.click_to_open_rate,
            unsubscribe_rate=e.unsubscribe_rate,
            spam_rate=e.spam_rate,
            bounce_rate=e.bounce_rate,
        )


@strawberry.type(description="Orders attributed to the campaign by the attribution rule.")
class ConversionFigures:
    clickers: int = strawberry.field(description="Profiles who clicked the campaign.")
    orders: int = strawberry.field(description="Orders attributed (each order counted once).")
    converters: int = strawberry.field(description="Profiles with an attributed order.")
    conversion_rate: float | None = strawberry.field(description="Converters / clickers.")
    revenue: list[Money] = strawberry.field(
        description="Attributed revenue (totals less refunds), one amount per currency."
    )

    @classmethod
    def of(cls, c: service.Conversions) -> ConversionFigures:
        return cls(
            clickers=c.clickers,
            orders=c.orders,
            converters=c.converters,
            conversion_rate=c.conversion_rate,
            revenue=[Money(amount_minor=v, currency=k) for k, v in c.revenue_minor.items()],
        )


@strawberry.type(
    description=(
        "Customer recipients ordering again within `days` of the send, next to customers on "
        "the list who were not sent the campaign (an observational comparison)."
    )
)
class RetentionFigures:
    days: int = strawberry.field(description="The retention window in days.")
    recipients: int = strawberry.field(description="Recipients who had ordered before.")
    retained: int = strawberry.field(description="Of those, how many ordered again in time.")
    rate: float | None = strawberry.field(description="Retained / recipients.")
    comparison: int = strawberry.field(description="Customers on the list not sent it.")
    comparison_retained: int = strawberry.field(description="Of those, how many ordered again.")
    comparison_rate: float | None = strawberry.field(description="Null with no comparison group.")
    lift: float | None = strawberry.field(description="Rate minus comparison rate.")

    @classmethod
    def of(cls, r: service.Retention) -> RetentionFigures:
        return cls(**vars(r), rate=r.rate, comparison_rate=r.comparison_rate, lift=r.lift)


@strawberry.type(description="One UTC day of a campaign: its events and attributed orders.")
class CampaignDay:
    day: str = strawberry.field(description="The day, YYYY-MM-DD (UTC).")
    email: EmailFigures = strawberry.field(description="Events that happened that day.")
    conversions: ConversionFigures = strawberry.field(description="Orders placed that day.")


@strawberry.type(description="An email campaign (the ESP's campaign id or category).")
class Campaign:
    id: strawberry.ID = strawberry.field(description="The campaign id as the ESP sent it.")
    first_sent_at: datetime | None = strawberry.field(description="Its first sending event.")
    email: EmailFigures = strawberry.field(description="Sends, opens, clicks and rates.")
    conversions: ConversionFigures = strawberry.field(description="Attributed orders, revenue.")
    retention: RetentionFigures | None = strawberry.field(description="Recipients' retention.")
    where: strawberry.Private[service.CampaignFilter]
    settings: strawberry.Private[service.AttributionSettings]

    @strawberry.field(description="The campaign per UTC day, oldest first.")
    async def days(self, info: Info) -> list[CampaignDay]:
        def call(session: Session) -> list[service.CampaignDay]:
            return service.campaign_days(session, str(self.id), self.where, self.settings)

        async with info.context.readers() as session:
            found = await session.run_sync(call)
        return [
            CampaignDay(
                day=d.day,
                email=EmailFigures.of(d.email),
                conversions=ConversionFigures.of(d.conversions),
            )
            for d in found
        ]

    @classmethod
    def of(
        cls,
        r: service.CampaignReport,
        where: service.CampaignFilter,
        settings: service.AttributionSettings,
    ) -> Campaign:
        return cls(
            id=strawberry.ID(r.campaign_id),
            first_sent_at=r.first_sent_at,
            email=EmailFigures.of(r.email),
            conversions=ConversionFigures.of(r.conversions),
            retention=None if r.retention is None else RetentionFigures.of(r.retention),
            where=where,
            settings=settings,
        )


FilterArg = Annotated[
    CampaignFilter | None, strawberry.argument(description="Which events count (default: all).")
]
AttributionArg = Annotated[
    Attribution | None,
    strawberry.argument(description="Attribution rule and windows (default: last click, 7, 30)."),
]


async def _reports(
    info: Info, where: service.CampaignFilter, settings: service.AttributionSettings
) -> list[Campaign]:
    def call(session: Session) -> list[service.CampaignReport]:
        return service.campaign_reports(session, where, settings)

    async with info.context.readers() as session:
        found = await session.run_sync(call)
    return [Campaign.of(report, where, settings) for report in found]


@strawberry.type
class CampaignQuery:
    @strawberry.field(
        description=(
            "Email campaigns with their figures, the most recently sent first: sends, opens, "
            "clicks and rates; orders and revenue attributed by last or first click; the "
            "recipients' retention against customers not sent it."
        ),
        permission_classes=requires(EVERY_ROLE),
    )
    async def campaigns(
        self, info: Info, filter: FilterArg = None, attribution: AttributionArg = None
    ) -> list[Campaign]:
        where = (filter or CampaignFilter()).to_service()
        return await _reports(info, where, (attribution or Attribution()).to_service())

    @strawberry.field(
        description="One email campaign by id (null when no event names it).",
        permission_classes=requires(EVERY_ROLE),
    )
    async def campaign(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The campaign id.")],
        filter: FilterArg = None,
        attribution: AttributionArg = None,
    ) -> Campaign | None:
        base = (filter or CampaignFilter()).to_service()
        where = service.CampaignFilter((str(id),), base.since, base.until, base.segment_id)
        found = await _reports(info, where, (attribution or Attribution()).to_service())
        return found[0] if found else None
