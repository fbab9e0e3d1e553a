"""Recommendations for one profile, from the precomputed item-to-item scores.

- **Consent first**: personalised only when the profile's latest decision for the purpose
  `personalisation` is a grant (`cdp.consent.can_contact`; unknown means no). Without it the
  list is the best-sellers, chosen without reading the person's history.
- **Candidates**: the `neighbours` (5) most similar products of each product the profile
  bought (weight 1) or only viewed (`view_weight`), scored by the sum of similarity x weight;
  a repeat-purchase item the profile bought gains `repeat_weight` per order it was in. The
  explanation names the product that contributed most ("because you bought X", "because you
  viewed X"; "you bought X before" for a repeat item).
- **Left out**: what the profile already bought, unless it is a repeat-purchase item (a
  product a share of its buyers buy again: `compute.RecommendSettings.repeat_share`).
- **Fallback** (a profile with little or no history, or to fill the list): best-sellers of the
  profile's favourite categories (the categories of what it bought or viewed, most first),
  then best-sellers overall.

Reads only; takes the caller's (sync) session.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cdp import models
from cdp.consent import can_contact
from cdp.recommend.compute import RecommendSettings
from cdp.recommend.signals import purchases, views

__all__ = [
    "PERSONALISATION",
    "History",
    "Recommendation",
    "Recommendations",
    "history_of",
    "recommend_for_profile",
    "recommend_from_history",
]

PERSONALISATION = "personalisation"


@dataclass(frozen=True)
class Recommendation:
    product_id: str
    name: str
    category: str | None
    score: float
    basis: str
    """`bought`, `viewed` (item-to-item), `category` or `popular` (fallback)."""
    because_product_id: str | None
    reason: str


@dataclass(frozen=True)
class Recommendations:
    profile_id: str
    is_personalised: bool
    items: tuple[Recommendation, ...]


@dataclass(frozen=True)
class History:
    """What a profile did: product -> weight (1 bought, `view_weight` viewed only), and per
    product bought, the number of its orders that held it."""

    weights: Mapping[str, float]
    bought: frozenset[str]
    orders: Mapping[str, int] = field(default_factory=dict)


def history_of(
    session: Session,
    profile_id: str,
    settings: RecommendSettings | None = None,
    *,
    before: datetime | None = None,
) -> History:
    """The profile's purchases and views (those before `before`, when given)."""
    settings = settings or RecommendSettings()
    bought_q = purchases().subquery("bought")
    seen_q = views().subquery("seen")
    bought_stmt = (
        select(bought_q.c.product_id, func.count(func.distinct(bought_q.c.order_id)))
        .where(bought_q.c.profile_id == profile_id)
        .group_by(bought_q.c.product_id)
    )
    seen_stmt = select(seen_q.c.product_id).where(seen_q.c.profile_id == profile_id)
    if before is not None:
        bought_stmt = bought_stmt.where(bought_q.c.at < before)
        seen_stmt = seen_stmt.where(seen_q.c.at < before)
    orders = {str(p): int(n) for p, n in session.execute(bought_stmt)}
    weights = {str(p): settings.view_weight for p in session.scalars(seen_stmt.distinct())}
    weights.update(dict.fromkeys(orders, 1.0))
    return History(weights, frozenset(orders), orders)


def _stats(session: Session, product_ids: set[str]) -> dict[str, models.ProductStat]:
    if not product_ids:
        return {}
    rows = session.scalars(
        select(models.ProductStat).where(models.ProductStat.product_id.in_(sorted(product_ids)))
    )
    return {row.product_id: row for row in rows}


def recommend_from_history(
    session: Session, history: History, first: int, settings: RecommendSettings | None = None
) -> list[Recommendation]:
    """Up to `first` products for this history: item-to-item, then the fallback."""
    settings = settings or RecommendSettings()
    s = models.ProductSimilarity
    scores: dict[str, float] = {}
    best: dict[str, tuple[float, str]] = {}
    if history.weights:
        rows = session.execute(
            select(s.product_id, s.similar_product_id, s.score).where(
                s.product_id.in_(sorted(history.weights)), s.rank <= settings.neighbours
            )
        )
        for source, target, score in rows:
            _add(scores, best, target, float(score) * history.weights[source], source)
    stats = _stats(session, set(scores) | set(history.weights))
    for product_id, orders in history.orders.items():
        stat = stats.get(product_id)
        if stat is not None and stat.is_repeat_purchase:
            _add(scores, best, product_id, settings.repeat_weight * orders, product_id)
    chosen: list[Recommendation] = []
    for target, score in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0])):
        stat = stats.get(target)
        if stat is None or not _allowed(target, stat, history):
            continue
        source = best[target][1]
        basis = "bought" if source in history.bought else "viewed"
        source_name = stats[source].name if source in stats else source
        reason = (
            f"you bought {source_name} before" if source == target
            else f"because you {basis} {source_name}"
        )  # fmt: skip
        chosen.append(
            Recommendation(target, stat.name, stat.category, round(score, 6), basis, source, reason)
        )
        if len(chosen) == first:
            return chosen
    return chosen + _fallback(
        session, history, stats, {r.product_id for r in chosen}, first - len(chosen)
    )


def _add(
    scores: dict[str, float],
    best: dict[str, tuple[float, str]],
    target: str,
    contribution: float,
    source: str,
) -> None:
    scores[target] = scores.get(target, 0.0) + contribution
    if contribution > best.get(target, (0.0, ""))[0]:
        best[target] = (contribution, source)


def _allowed(product_id: str, stat: models.ProductStat, history: History) -> bool:
    return product_id not in history.bought or stat.is_repeat_purchase


def _favourite_categories(history: History, stats: Mapping[str, models.ProductStat]) -> list[str]:
    weights: dict[str, float] = {}
    for product_id, weight in history.weights.items():
        stat = stats.get(product_id)
        if stat is not None and stat.category:
            weights[stat.category] = weights.get(stat.category, 0.0) + weight
    return [category for category, _ in sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))]


def _fallback(
    session: Session,
    history: History,
    stats: Mapping[str, models.ProductStat],
    taken: set[str],
    wanted: int,
) -> list[Recommendation]:
    if wanted <= 0:
        return []
    p = models.ProductStat
    found: list[Recommendation] = []
    for category in [*_favourite_categories(history, stats), None]:
        query = (
            select(p).order_by(p.popularity_rank).limit(wanted + len(taken) + len(history.bought))
        )
        if category is not None:
            query = query.where(p.category == category)
        for stat in session.scalars(query):
            if stat.product_id in taken or not _allowed(stat.product_id, stat, history):
                continue
            taken.add(stat.product_id)
            basis, reason = (
                ("category", f"popular in {category}") if category else ("popular", "popular")
            )
            score = 1.0 / stat.popularity_rank
            found.append(
                Recommendation(stat.product_id, stat.name, stat.category, round(score, 6),
                               basis, None, reason)
            )  # fmt: skip
            if len(found) == wanted:
                return found
    return found


def recommend_for_profile(
    session: Session,
    profile_id: str,
    first: int,
    settings: RecommendSettings | None = None,
) -> Recommendations:
    """Up to `first` products for the profile, personalised only with its consent."""
    if not can_contact(session, profile_id, PERSONALISATION):
        items = _fallback(session, History({}, frozenset()), {}, set(), first)
        return Recommendations(profile_id, False, tuple(items))
    history = history_of(session, profile_id, settings)
    items = recommend_from_history(session, history, first, settings)
    return Recommendations(profile_id, True, tuple(items))
