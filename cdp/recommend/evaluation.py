"""Offline evaluation: hold out each repeat customer's last order, recommend from the rest,
and count a hit when the held-out order holds a recommended product (hit rate at k), next to
the popularity baseline (the best-sellers of the training part, with the same rule for what
the customer already bought) in the same run.

`evaluate` recomputes the scores on the training part (`compute(..., hold_out_last=True)`)
in the caller's transaction: roll it back, or run `compute` again, afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from cdp import models
from cdp.recommend.compute import RecommendSettings, compute
from cdp.recommend.recommend import History, _allowed, history_of, recommend_from_history
from cdp.recommend.signals import held_out_cutoffs, purchases

__all__ = ["Evaluation", "evaluate"]


@dataclass(frozen=True)
class Evaluation:
    customers: int
    ks: tuple[int, ...]
    hits: dict[int, int]
    popular_hits: dict[int, int]

    def hit_rate(self, k: int) -> float:
        return self.hits[k] / self.customers if self.customers else 0.0

    def popular_hit_rate(self, k: int) -> float:
        return self.popular_hits[k] / self.customers if self.customers else 0.0

    def ratio(self, k: int) -> float | None:
        base = self.popular_hit_rate(k)
        return self.hit_rate(k) / base if base else None


def _popular(session: Session, history: History, k: int) -> list[str]:
    p = models.ProductStat
    chosen: list[str] = []
    for stat in session.scalars(select(p).order_by(p.popularity_rank)):
        if _allowed(stat.product_id, stat, history):
            chosen.append(stat.product_id)
            if len(chosen) == k:
                break
    return chosen


def evaluate(
    session: Session, settings: RecommendSettings | None = None, ks: Sequence[int] = (5, 10)
) -> Evaluation:
    settings = settings or RecommendSettings()
    compute(session, settings, hold_out_last=True)
    cut = held_out_cutoffs()
    bought = purchases().subquery("bought")
    held = session.execute(
        select(cut.c.profile_id, cut.c.cutoff, bought.c.product_id).join(
            bought, (bought.c.profile_id == cut.c.profile_id) & (bought.c.at == cut.c.cutoff)
        )
    )
    targets: dict[str, tuple[object, set[str]]] = {}
    for profile_id, cutoff, product_id in held:
        targets.setdefault(str(profile_id), (cutoff, set()))[1].add(str(product_id))
    deepest = max(ks)
    hits = dict.fromkeys(ks, 0)
    popular_hits = dict.fromkeys(ks, 0)
    for profile_id, (cutoff, wanted) in sorted(targets.items()):
        history = history_of(session, profile_id, settings, before=cutoff)  # type: ignore[arg-type]
        ours = [r.product_id for r in recommend_from_history(session, history, deepest, settings)]
        popular = _popular(session, history, deepest)
        for k in ks:
            hits[k] += bool(wanted & set(ours[:k]))
            popular_hits[k] += bool(wanted & set(popular[:k]))
    return Evaluation(len(targets), tuple(ks), hits, popular_hits)
