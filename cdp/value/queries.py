"""Reading traits: a batch of profiles' rows (for GraphQL's loader) and the trait conditions
and orders of the profile list (`cdp.services.profiles` joins `profile_traits` for them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from cdp import models
from cdp.types import UTCDateTime

__all__ = ["TRAIT_SORTS", "TraitFilter", "trait_conditions", "traits_by_profile"]


async def traits_by_profile(
    session: AsyncSession, ids: Sequence[str]
) -> dict[str, models.ProfileTraits]:
    t = models.ProfileTraits
    rows = await session.scalars(select(t).where(t.profile_id.in_(list(set(ids)))))
    return {row.profile_id: row for row in rows}


@dataclass(frozen=True)
class TraitFilter:
    """Conditions on computed traits, all optional, combined with AND. Money in base-currency
    minor units. A profile without computed traits matches no condition."""

    rfm_segments: tuple[str, ...] | None = None
    value_tiers: tuple[str, ...] | None = None
    lifecycle_stages: tuple[str, ...] | None = None
    preferred_channels: tuple[str, ...] | None = None
    loyalty_tiers: tuple[str, ...] | None = None
    min_orders: int | None = None
    max_orders: int | None = None
    min_total_spend_minor: int | None = None
    max_total_spend_minor: int | None = None
    min_predicted_value_minor: int | None = None
    min_probability_alive: float | None = None
    max_probability_alive: float | None = None
    last_order_after: datetime | None = None
    last_order_before: datetime | None = None
    favourite_category: str | None = None
    min_loyalty_points: int | None = None

    def is_empty(self) -> bool:
        return all(getattr(self, name) is None for name in self.__dataclass_fields__)


def trait_conditions(where: TraitFilter) -> list[ColumnElement[bool]]:
    t = models.ProfileTraits
    found: list[ColumnElement[bool]] = []
    members: list[tuple[tuple[str, ...] | None, Any]] = [
        (where.rfm_segments, t.rfm_segment),
        (where.value_tiers, t.value_tier),
        (where.lifecycle_stages, t.lifecycle_stage),
        (where.preferred_channels, t.preferred_channel),
        (where.loyalty_tiers, t.loyalty_tier),
    ]
    for wanted, column in members:
        if wanted is not None:
            found.append(column.in_(list(wanted)))
    bounds: list[tuple[Any, Any, bool]] = [
        (where.min_orders, t.order_count, True),
        (where.max_orders, t.order_count, False),
        (where.min_total_spend_minor, t.total_spend_minor, True),
        (where.max_total_spend_minor, t.total_spend_minor, False),
        (where.min_predicted_value_minor, t.predicted_value_minor, True),
        (where.min_probability_alive, t.probability_alive, True),
        (where.max_probability_alive, t.probability_alive, False),
        (where.min_loyalty_points, t.loyalty_points, True),
    ]
    for value, column, is_min in bounds:
        if value is not None:
            found.append(column >= value if is_min else column <= value)
    if where.last_order_after is not None:
        found.append(t.last_order_at >= where.last_order_after)
    if where.last_order_before is not None:
        found.append(t.last_order_at < where.last_order_before)
    if where.favourite_category is not None:
        found.append(t.favourite_category == where.favourite_category)
    return found


_NEVER = datetime(1900, 1, 1, tzinfo=UTC)

#: sort name -> (key, cursor kind, descending). A profile without the figure (no orders, no
#: traits computed yet) sorts last: descending keys are coalesced to a value below any real one
TRAIT_SORTS: dict[str, tuple[Any, type, bool]] = {
    "total_spend_desc": (func.coalesce(models.ProfileTraits.total_spend_minor, -1), int, True),
    "order_count_desc": (func.coalesce(models.ProfileTraits.order_count, -1), int, True),
    "last_order_desc": (
        func.coalesce(models.ProfileTraits.last_order_at, literal(_NEVER, UTCDateTime())),
        datetime,
        True,
    ),
    "predicted_value_desc": (
        func.coalesce(models.ProfileTraits.predicted_value_minor, -1),
        int,
        True,
    ),
    "probability_alive_asc": (models.ProfileTraits.probability_alive, float, False),
    "loyalty_points_desc": (func.coalesce(models.ProfileTraits.loyalty_points, -1), int, True),
}
