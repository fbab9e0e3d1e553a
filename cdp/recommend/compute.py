"""The batch: product statistics and item-to-item scores, computed in the database.

Scores come from the profiles' signals (`signals.interactions`: a purchase weighs 1, a view
alone `view_weight`). For products a and b, `together` is the sum over profiles of
w(a) * w(b), and each product's mass n is the sum of its weights. The score is a damped
Jaccard similarity, together / (n(a) + n(b) - together + damping): a best-seller's large
mass divides its overlap with everything, so it does not win every list, and the damping
keeps two products one person happened to buy from scoring 1. The top `top_k` per product are
kept (`product_similarities`). A product is a repeat-purchase item when at least
`repeat_share` of its buyers bought it in two or more orders. Recomputed by
`cdp recommend compute` (and by `cdp demo` after ingest), never per request.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import Float, Integer, case, delete, func, insert, literal, select
from sqlalchemy.orm import Session, aliased

from cdp import models
from cdp.recommend.signals import interactions, purchases, training, views
from cdp.types import utcnow

__all__ = ["ComputeReport", "RecommendSettings", "compute"]


@dataclass(frozen=True)
class RecommendSettings:
    view_weight: float = 0.3
    damping: float = 2.0
    #: similar products kept per product (`product_similarities`)
    top_k: int = 50
    repeat_share: float = 0.15
    #: a profile's list draws on each of its products' `neighbours` most similar products
    #: only (item-kNN): the long tail of weak co-occurrences is mostly noise (docs)
    neighbours: int = 5
    #: a repeat-purchase item the profile bought gains this much per order it was in
    repeat_weight: float = 0.3


@dataclass(frozen=True)
class ComputeReport:
    products: int
    pairs: int
    seconds: float


def compute(
    session: Session, settings: RecommendSettings | None = None, *, hold_out_last: bool = False
) -> ComputeReport:
    """Replace product_stats and product_similarities (in the caller's transaction)."""
    settings = settings or RecommendSettings()
    started = time.perf_counter()
    session.execute(delete(models.ProductSimilarity))
    session.execute(delete(models.ProductStat))
    _stats(session, settings, hold_out_last=hold_out_last)
    _similarities(session, settings, hold_out_last=hold_out_last)
    products = session.scalar(select(func.count()).select_from(models.ProductStat)) or 0
    pairs = session.scalar(select(func.count()).select_from(models.ProductSimilarity)) or 0
    return ComputeReport(int(products), int(pairs), time.perf_counter() - started)


def _stats(session: Session, settings: RecommendSettings, *, hold_out_last: bool) -> None:
    bought = training(purchases(), "bought", hold_out_last=hold_out_last)
    per_buyer = (
        select(
            bought.c.product_id,
            bought.c.profile_id,
            func.count(func.distinct(bought.c.order_id)).label("orders"),
        )
        .group_by(bought.c.product_id, bought.c.profile_id)
        .subquery("per_buyer")
    )
    buyers = (
        select(
            per_buyer.c.product_id,
            func.count().label("buyers"),
            func.sum(case((per_buyer.c.orders >= 2, 1), else_=0)).label("repeat_buyers"),
        )
        .group_by(per_buyer.c.product_id)
        .subquery("buyers")
    )
    seen = training(views(), "seen", hold_out_last=hold_out_last)
    viewers = (
        select(seen.c.product_id, func.count(func.distinct(seen.c.profile_id)).label("viewers"))
        .group_by(seen.c.product_id)
        .subquery("viewers")
    )
    names = select(
        bought.c.product_id, func.max(bought.c.name).label("name"),
        func.max(bought.c.category).label("category"),
    ).group_by(bought.c.product_id)  # fmt: skip
    seen_names = select(
        seen.c.product_id, func.max(seen.c.name).label("name"),
        func.max(seen.c.category).label("category"),
    ).group_by(seen.c.product_id)  # fmt: skip
    every = names.union_all(seen_names).subquery("every")
    products = (
        select(
            every.c.product_id,
            func.max(every.c.name).label("name"),
            func.max(every.c.category).label("category"),
        )
        .group_by(every.c.product_id)
        .subquery("products")
    )
    n_buyers = func.coalesce(buyers.c.buyers, 0)
    n_repeat = func.coalesce(buyers.c.repeat_buyers, 0)
    n_viewers = func.coalesce(viewers.c.viewers, 0)
    rank = func.row_number().over(
        order_by=(n_buyers.desc(), n_viewers.desc(), products.c.product_id)
    )
    is_repeat = (n_buyers > 0) & (
        func.cast(n_repeat, Float) >= literal(settings.repeat_share) * n_buyers
    )
    rows = (
        select(
            products.c.product_id,
            func.coalesce(products.c.name, products.c.product_id),
            products.c.category,
            n_buyers,
            n_repeat,
            n_viewers,
            is_repeat,
            rank,
            literal(utcnow(), models.ProductStat.computed_at.type),
        )
        .outerjoin(buyers, buyers.c.product_id == products.c.product_id)
        .outerjoin(viewers, viewers.c.product_id == products.c.product_id)
    )
    table = models.Base.metadata.tables["product_stats"]
    columns = ["product_id", "name", "category", "buyers", "repeat_buyers", "viewers",
               "is_repeat_purchase", "popularity_rank", "computed_at"]  # fmt: skip
    session.execute(insert(table).from_select(columns, rows))


def _similarities(session: Session, settings: RecommendSettings, *, hold_out_last: bool) -> None:
    signals = interactions(settings.view_weight, hold_out_last=hold_out_last)
    mass = (
        select(signals.c.product_id, func.sum(signals.c.weight).label("n"))
        .group_by(signals.c.product_id)
        .subquery("mass")
    )
    a, b = aliased(signals, name="a"), aliased(signals, name="b")
    together = (
        select(
            a.c.product_id.label("product_id"),
            b.c.product_id.label("similar_product_id"),
            func.sum(a.c.weight * b.c.weight).label("together"),
        )
        .join(b, (b.c.profile_id == a.c.profile_id) & (b.c.product_id != a.c.product_id))
        .group_by(a.c.product_id, b.c.product_id)
        .subquery("together")
    )
    ma, mb = aliased(mass, name="ma"), aliased(mass, name="mb")
    score = together.c.together / (
        ma.c.n + mb.c.n - together.c.together + literal(settings.damping)
    )
    scored = (
        select(
            together.c.product_id,
            together.c.similar_product_id,
            score.label("score"),
            together.c.together,
            func.row_number()
            .over(
                partition_by=together.c.product_id,
                order_by=(score.desc(), together.c.similar_product_id),
            )
            .label("rank"),
        )
        .join(ma, ma.c.product_id == together.c.product_id)
        .join(mb, mb.c.product_id == together.c.similar_product_id)
        .subquery("scored")
    )
    rows = select(
        scored.c.product_id,
        scored.c.similar_product_id,
        scored.c.score,
        scored.c.together,
        func.cast(scored.c.rank, Integer),
    ).where(scored.c.rank <= settings.top_k)
    table = models.Base.metadata.tables["product_similarities"]
    columns = ["product_id", "similar_product_id", "score", "together", "rank"]
    session.execute(insert(table).from_select(columns, rows))
