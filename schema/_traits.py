"""Computed traits on `Profile` (typed fields, docs/value.md) and their list filter."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import datetime

import strawberry

from cdp import models
from cdp.value.queries import TraitFilter as TraitFilterService
from schema._enums import Channel, channel_of, value_of
from schema._paging import aware
from schema._types import Money

__all__ = [
    "ClvMethod",
    "LifecycleStage",
    "ProfileTraits",
    "RfmSegment",
    "TraitFilter",
    "ValueTier",
]


@strawberry.enum(
    description="The named RFM segments (docs/value.md has the table of score ranges)."
)
class RfmSegment(enum.Enum):
    CHAMPIONS = strawberry.enum_value("champions", description="R 4-5, FM 4-5.")
    LOYAL_CUSTOMERS = strawberry.enum_value(
        "loyal_customers", description="R 3-4, FM 3-5 (not Champions)."
    )
    POTENTIAL_LOYALISTS = strawberry.enum_value(
        "potential_loyalists", description="R 4-5, FM 2-3 (not Loyal customers)."
    )
    NEW_CUSTOMERS = strawberry.enum_value("new_customers", description="R 5, FM 1.")
    PROMISING = strawberry.enum_value("promising", description="R 4, FM 1.")
    NEED_ATTENTION = strawberry.enum_value("need_attention", description="R 3, FM 2.")
    ABOUT_TO_SLEEP = strawberry.enum_value("about_to_sleep", description="R 3, FM 1.")
    CANT_LOSE_THEM = strawberry.enum_value("cant_lose_them", description="R 1-2, FM 5.")
    AT_RISK = strawberry.enum_value("at_risk", description="R 1-2, FM 3-4.")
    HIBERNATING = strawberry.enum_value("hibernating", description="R 2, FM 1-2.")
    LOST = strawberry.enum_value("lost", description="R 1, FM 1-2.")


@strawberry.enum(description="Value tier from the RFM scores (a configurable rule).")
class ValueTier(enum.Enum):
    HIGH = strawberry.enum_value("high", description="R+F+M at or above the high threshold.")
    MEDIUM = strawberry.enum_value("medium", description="R+F+M at or above the medium one.")
    LOW = strawberry.enum_value("low", description="The other customers.")


@strawberry.enum(description="Where a profile is in its life as a customer.")
class LifecycleStage(enum.Enum):
    PROSPECT = strawberry.enum_value("prospect", description="Has never ordered.")
    NEW = strawberry.enum_value("new", description="One order, recently.")
    ACTIVE = strawberry.enum_value("active", description="Ordering, recently enough.")
    AT_RISK = strawberry.enum_value(
        "at_risk", description="No order for a while, or the model doubts they are still active."
    )
    LAPSED = strawberry.enum_value(
        "lapsed", description="No order for long, or the model thinks they have left."
    )


@strawberry.enum(description="How the predicted lifetime value was obtained.")
class ClvMethod(enum.Enum):
    MODEL = strawberry.enum_value(
        "bgnbd_gg", description="BG/NBD for orders and Gamma-Gamma for their value, fitted."
    )
    FALLBACK = strawberry.enum_value(
        "fallback_average",
        description=(
            "Fallback for too little history (or no fitted model): the population's repeat "
            "rate times the horizon, at the customer's own average order; no probability."
        ),
    )


@strawberry.type(
    description=(
        "Computed traits of a profile, as of `asOf`: purchases, RFM, lifetime value, lifecycle, "
        "engagement and loyalty. Money is in the configured base currency. Recomputed after "
        "every change that touches the profile; `cdp traits compute --full` recomputes all."
    )
)
class ProfileTraits:
    as_of: datetime = strawberry.field(description="The time the values describe.")
    computed_at: datetime = strawberry.field(description="When they were computed.")
    first_order_at: datetime | None = strawberry.field(description="First counted order.")
    last_order_at: datetime | None = strawberry.field(description="Last counted order.")
    order_count: int = strawberry.field(
        description="Orders, each once across sources, net of cancellations and full refunds."
    )
    total_spend: Money = strawberry.field(description="Net spend (refunds deducted).")
    average_order: Money | None = strawberry.field(description="Net spend per order.")
    refunded: Money = strawberry.field(description="Refunded in all.")
    cancelled_orders: int = strawberry.field(description="Cancelled or voided orders.")
    unconverted_orders: int = strawberry.field(
        description="Orders in a currency with no configured rate: counted here, in no total."
    )
    days_since_last_order: int | None = strawberry.field(description="Whole days, from asOf.")
    average_days_between_orders: float | None = strawberry.field(
        description="Mean gap between orders (two orders or more)."
    )
    favourite_category: str | None = strawberry.field(description="Most units bought.")
    favourite_product: str | None = strawberry.field(description="Most units bought.")
    favourite_categories: list[str] = strawberry.field(description="Top categories, best first.")
    recency_score: int | None = strawberry.field(description="1-5, by quintile (5: most recent).")
    frequency_score: int | None = strawberry.field(description="1-5, by quintile of orders.")
    monetary_score: int | None = strawberry.field(description="1-5, by quintile of spend.")
    rfm_code: str | None = strawberry.field(description="R, F and M scores, e.g. `545`.")
    rfm_segment: RfmSegment | None = strawberry.field(description="The named RFM segment.")
    value_tier: ValueTier | None = strawberry.field(description="high, medium or low.")
    historical_value: Money = strawberry.field(description="Net spend to date.")
    predicted_orders: float | None = strawberry.field(
        description="Expected orders over the horizon."
    )
    predicted_value: Money | None = strawberry.field(description="Expected spend over the horizon.")
    horizon_days: int = strawberry.field(description="The prediction horizon in days.")
    probability_alive: float | None = strawberry.field(
        description="Probability the customer is still active (BG/NBD; null for a fallback)."
    )
    clv_method: ClvMethod | None = strawberry.field(description="Model or fallback.")
    lifecycle_stage: LifecycleStage | None = strawberry.field(description="Lifecycle stage.")
    email_open_rate: float | None = strawberry.field(
        description="Campaigns opened over campaigns delivered (unique opens)."
    )
    email_click_rate: float | None = strawberry.field(
        description="Campaigns clicked over campaigns delivered (unique clicks)."
    )
    last_email_engagement_at: datetime | None = strawberry.field(description="Last open/click.")
    last_web_at: datetime | None = strawberry.field(description="Last web event.")
    last_social_at: datetime | None = strawberry.field(description="Last social interaction.")
    last_store_at: datetime | None = strawberry.field(description="Last order the shop reported.")
    web_sessions_30d: int = strawberry.field(description="Web sessions in the last 30 days.")
    page_views_30d: int = strawberry.field(description="Page views in the last 30 days.")
    social_interactions: int = strawberry.field(description="Mentions, lead forms, replies.")
    preferred_channel: Channel | None = strawberry.field(
        description="Most engagement in the last 90 days."
    )
    best_send_hour: int | None = strawberry.field(
        description="UTC hour with most opens and clicks (needs 3 or more)."
    )
    loyalty_points: int = strawberry.field(description="Loyalty points balance.")
    loyalty_tier: str | None = strawberry.field(description="Loyalty tier.")
    loyalty_tier_since: datetime | None = strawberry.field(description="When the tier was reached.")

    @classmethod
    def from_model(
        cls, row: models.ProfileTraits, *, currency: str, horizon_days: int
    ) -> ProfileTraits:
        def money(minor: int) -> Money:
            return Money(amount_minor=minor, currency=currency)

        return cls(
            as_of=row.as_of,
            computed_at=row.computed_at,
            first_order_at=row.first_order_at,
            last_order_at=row.last_order_at,
            order_count=row.order_count,
            total_spend=money(row.total_spend_minor),
            average_order=None
            if row.average_order_minor is None
            else money(row.average_order_minor),
            refunded=money(row.refunded_minor),
            cancelled_orders=row.cancelled_orders,
            unconverted_orders=row.unconverted_orders,
            days_since_last_order=row.days_since_last_order,
            average_days_between_orders=row.average_days_between_orders,
            favourite_category=row.favourite_category,
            favourite_product=row.favourite_product,
            favourite_categories=list(row.favourite_categories or []),
            recency_score=row.recency_score,
            frequency_score=row.frequency_score,
            monetary_score=row.monetary_score,
            rfm_code=row.rfm_code,
            rfm_segment=None if row.rfm_segment is None else RfmSegment(row.rfm_segment),
            value_tier=None if row.value_tier is None else ValueTier(row.value_tier),
            historical_value=money(row.historical_value_minor),
            predicted_orders=row.predicted_orders,
            predicted_value=(
                None if row.predicted_value_minor is None else money(row.predicted_value_minor)
            ),
            horizon_days=horizon_days,
            probability_alive=row.probability_alive,
            clv_method=None if row.clv_method is None else ClvMethod(row.clv_method),
            lifecycle_stage=(
                None if row.lifecycle_stage is None else LifecycleStage(row.lifecycle_stage)
            ),
            email_open_rate=row.email_open_rate,
            email_click_rate=row.email_click_rate,
            last_email_engagement_at=row.last_email_engagement_at,
            last_web_at=row.last_web_at,
            last_social_at=row.last_social_at,
            last_store_at=row.last_store_at,
            web_sessions_30d=row.web_sessions_30d,
            page_views_30d=row.page_views_30d,
            social_interactions=row.social_interactions,
            preferred_channel=(
                None if row.preferred_channel is None else channel_of(row.preferred_channel)
            ),
            best_send_hour=row.best_send_hour,
            loyalty_points=row.loyalty_points,
            loyalty_tier=row.loyalty_tier,
            loyalty_tier_since=row.loyalty_tier_since,
        )


@strawberry.input(
    description="Conditions on computed traits, combined with AND (money: base minor units)."
)
class TraitFilter:
    rfm_segments: list[RfmSegment] | None = strawberry.field(
        default=None, description="In one of these RFM segments."
    )
    value_tiers: list[ValueTier] | None = strawberry.field(
        default=None, description="In one of these value tiers."
    )
    lifecycle_stages: list[LifecycleStage] | None = strawberry.field(
        default=None, description="In one of these lifecycle stages."
    )
    preferred_channels: list[Channel] | None = strawberry.field(
        default=None, description="Preferring one of these channels."
    )
    loyalty_tiers: list[str] | None = strawberry.field(
        default=None, description="In one of these loyalty tiers."
    )
    min_orders: int | None = strawberry.field(
        default=None, description="At least this many orders."
    )
    max_orders: int | None = strawberry.field(default=None, description="At most this many orders.")
    min_total_spend_minor: int | None = strawberry.field(
        default=None, description="Net spend at least this (minor units)."
    )
    max_total_spend_minor: int | None = strawberry.field(
        default=None, description="Net spend at most this (minor units)."
    )
    min_predicted_value_minor: int | None = strawberry.field(
        default=None, description="Predicted value over the horizon at least this (minor units)."
    )
    min_probability_alive: float | None = strawberry.field(
        default=None, description="P(still active) at least this."
    )
    max_probability_alive: float | None = strawberry.field(
        default=None, description="P(still active) at most this."
    )
    last_order_after: datetime | None = strawberry.field(
        default=None, description="Last order at or after this time."
    )
    last_order_before: datetime | None = strawberry.field(
        default=None, description="Last order before this time."
    )
    favourite_category: str | None = strawberry.field(
        default=None, description="This favourite category."
    )
    min_loyalty_points: int | None = strawberry.field(
        default=None, description="At least this many loyalty points."
    )

    def to_service(self) -> TraitFilterService:
        def values(items: Sequence[enum.Enum] | None) -> tuple[str, ...] | None:
            return None if items is None else tuple(value_of(i) for i in items)

        return TraitFilterService(
            rfm_segments=values(self.rfm_segments),
            value_tiers=values(self.value_tiers),
            lifecycle_stages=values(self.lifecycle_stages),
            preferred_channels=values(self.preferred_channels),
            loyalty_tiers=None if self.loyalty_tiers is None else tuple(self.loyalty_tiers),
            min_orders=self.min_orders,
            max_orders=self.max_orders,
            min_total_spend_minor=self.min_total_spend_minor,
            max_total_spend_minor=self.max_total_spend_minor,
            min_predicted_value_minor=self.min_predicted_value_minor,
            min_probability_alive=self.min_probability_alive,
            max_probability_alive=self.max_probability_alive,
            last_order_after=aware("lastOrderAfter", self.last_order_after),
            last_order_before=aware("lastOrderBefore", self.last_order_before),
            favourite_category=self.favourite_category,
            min_loyalty_points=self.min_loyalty_points,
        )
