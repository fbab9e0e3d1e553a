"""Recommendations in GraphQL: `Profile.recommendedProducts(first)` reads `cdp.recommend`
(precomputed item-to-item scores and the profile's history; personalised only with consent
for `personalisation`)."""

from __future__ import annotations

import enum

import strawberry
from sqlalchemy.orm import Session

from cdp.errors import InvalidInputError
from cdp.recommend import Recommendation, recommend_for_profile
from schema._context import Context

__all__ = ["RecommendedProduct", "recommended_products"]

MAX_RECOMMENDATIONS = 50


@strawberry.enum(description="Why a product is recommended.")
class RecommendationBasis(enum.Enum):
    BOUGHT = strawberry.enum_value("bought", description="Goes with something they bought.")
    VIEWED = strawberry.enum_value("viewed", description="Goes with something they viewed.")
    CATEGORY = strawberry.enum_value(
        "category", description="A best-seller of one of their favourite categories."
    )
    POPULAR = strawberry.enum_value(
        "popular", description="A best-seller (no history, or no consent to personalise)."
    )


@strawberry.type(description="A product recommended to a profile, with why.")
class RecommendedProduct:
    product_id: str = strawberry.field(description="The product id as the shop knows it.")
    name: str = strawberry.field(description="The product's name.")
    category: str | None = strawberry.field(description="Its category, when known.")
    score: float = strawberry.field(description="Higher is stronger (comparable within a list).")
    basis: RecommendationBasis = strawberry.field(description="What the recommendation rests on.")
    because_product_id: str | None = strawberry.field(
        description="The product bought or viewed that it goes with best."
    )
    reason: str = strawberry.field(description='e.g. "because you bought Trail Runner".')

    @classmethod
    def of(cls, r: Recommendation) -> RecommendedProduct:
        return cls(
            product_id=r.product_id,
            name=r.name,
            category=r.category,
            score=r.score,
            basis=RecommendationBasis(r.basis),
            because_product_id=r.because_product_id,
            reason=r.reason,
        )


async def recommended_products(
    info: strawberry.Info[Context, None], profile_id: str, first: int
) -> list[RecommendedProduct]:
    if not 1 <= first <= MAX_RECOMMENDATIONS:
        raise InvalidInputError("first", f"{first} is outside 1..{MAX_RECOMMENDATIONS}")

    def call(session: Session) -> list[Recommendation]:
        return list(recommend_for_profile(session, profile_id, first).items)

    async with info.context.readers() as session:
        found = await session.run_sync(call)
    return [RecommendedProduct.of(item) for item in found]
