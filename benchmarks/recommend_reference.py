"""The best any recommender could do from a customer's history on the synthetic world: the
exact Bayesian posterior over the person's taste given the training history, under the
generator's own model (`cdp.synthetic._tastes`), then the products most likely to be in the
next order, with the evaluation's rule for what was bought. A ceiling for methods that read
only the history (item-to-item included), as the labelled-rule reference is for identity.

The model (docs/synthetic.md): a taste is two liked collections and a liked category, drawn as
`taste_for` draws them (the prior); an order's first item comes from a liked collection (0.375
each), the liked category (0.15) or anything (0.10), by popularity; each further item comes
from the first item's collection with probability 0.7, else as a first item; a view is a first
item. An order is scored as a set (each of its items, in turn, taken as the first). The chance
that a product is in the next order, per taste, is estimated by drawing 600 orders (sizes as in
the data) with a fixed generator, so the figure is the same on every run.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from cdp import models
from cdp.recommend.signals import held_out_cutoffs, purchases, views
from cdp.synthetic import _tastes as tastes

__all__ = ["reference_hits"]

Taste = tuple[str, str, str]
_DRAWS = 600


def _shares(products: list[int]) -> dict[int, float]:
    weights = tastes._weights()
    total = sum(weights[p] for p in products)
    return {p: weights[p] / total for p in products}


def _model() -> tuple[
    dict[Taste, float], dict[Taste, dict[int, float]], dict[str, dict[int, float]]
]:
    catalogue = tastes.CATALOGUE
    of = tastes.collection_of
    collections = tastes.COLLECTIONS
    category = {c: tastes._EXTRA[c][0] for c in collections}
    by_collection = {c: _shares([p[0] for p in catalogue if of(p[0]) == c])
                     for c in {of(p[0]) for p in catalogue}}  # fmt: skip
    by_category = {
        k: _shares([p[0] for p in catalogue if p[3] == k]) for k in {p[3] for p in catalogue}
    }
    anything = _shares([p[0] for p in catalogue])
    prior: dict[Taste, float] = defaultdict(float)
    for first in collections:
        same = [c for c in collections if c != first and category[c] == category[first]]
        others = [c for c in collections if c != first]
        for second in others:
            p_second = (0.5 / len(same) if second in same else 0.0) + (0.5 if same else 1.0) / len(
                others
            )
            for liked in (category[first], category[second]):
                prior[(first, second, liked)] += p_second * 0.5 / len(collections)
    first_item: dict[Taste, dict[int, float]] = {}
    for taste in prior:
        first, second, liked = taste
        chance: Counter[int] = Counter()
        for share, table in ((0.375, by_collection[first]), (0.375, by_collection[second]),
                             (0.15, by_category[liked]), (0.10, anything)):  # fmt: skip
            for product, x in table.items():
                chance[product] += share * x
        first_item[taste] = dict(chance)
    return dict(prior), first_item, by_collection


def _order_log_chance(
    items: list[int], first: Mapping[int, float], by_collection: Mapping[str, Mapping[int, float]]
) -> float:
    total = 0.0
    for lead in items:
        chance = first.get(lead, 1e-12)
        same = by_collection[tastes.collection_of(lead)]
        for other in items:
            if other != lead:
                chance *= 0.7 * same.get(other, 0.0) + 0.3 * first.get(other, 1e-12)
        total += chance / len(items)
    return math.log(total + 1e-300)


def _next_order(
    first: Mapping[int, float], by_collection: Mapping[str, Mapping[int, float]], sizes: list[int]
) -> dict[int, float]:
    rng = random.Random(20261207)
    products, weights = list(first), list(first.values())
    seen: Counter[int] = Counter()
    for _ in range(_DRAWS):
        lead = rng.choices(products, weights)[0]
        got = {lead}
        same = by_collection[tastes.collection_of(lead)]
        for _ in range(rng.choice(sizes) - 1):
            if rng.random() < 0.7:
                got.add(rng.choices(list(same), list(same.values()))[0])
            else:
                got.add(rng.choices(products, weights)[0])
        seen.update(got)
    return {p: n / _DRAWS for p, n in seen.items()}


def reference_hits(session: Session, k: int = 10) -> tuple[int, int]:
    """(customers, hits at k) of the Bayesian reference on the evaluation's split. Reads
    `product_stats` as the evaluation left it (computed on the training part)."""
    prior, first_item, by_collection = _model()
    cut = {str(p): at for p, at in session.execute(select(held_out_cutoffs()))}
    orders: dict[str, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
    held: dict[str, set[int]] = defaultdict(set)
    every_order: dict[int, int] = Counter()
    for row in session.execute(select(purchases().subquery())):
        profile, product, order = str(row.profile_id), int(row.product_id), int(row.order_id)
        every_order[order] += 1
        if profile in cut and row.at == cut[profile]:
            held[profile].add(product)
        elif profile not in cut or row.at < cut[profile]:
            orders[profile][order].add(product)
    seen: dict[str, list[int]] = defaultdict(list)
    for row in session.execute(select(views().subquery())):
        profile = str(row.profile_id)
        if profile not in cut or row.at < cut[profile]:
            seen[profile].append(int(row.product_id))
    sizes = list(every_order.values())
    next_order = {t: _next_order(first_item[t], by_collection, sizes) for t in prior}
    repeat = {
        int(p)
        for p in session.scalars(
            select(models.ProductStat.product_id).where(models.ProductStat.is_repeat_purchase)
        )
    }
    hits = 0
    for profile, wanted in held.items():
        bought = {p for items in orders[profile].values() for p in items}
        log_post = {
            t: math.log(prior[t])
            + sum(_order_log_chance(sorted(s), first_item[t], by_collection)
                  for s in orders[profile].values())
            + sum(math.log(first_item[t].get(v, 1e-12)) for v in seen[profile])
            for t in prior
        }  # fmt: skip
        top = max(log_post.values())
        weight = {t: math.exp(v - top) for t, v in log_post.items()}
        total = sum(weight.values())
        score: Counter[int] = Counter()
        for taste, w in weight.items():
            if w / total > 1e-5:
                for product, chance in next_order[taste].items():
                    score[product] += w / total * chance
        chosen = [p for p, _ in score.most_common() if p not in bought or p in repeat][:k]
        hits += bool(wanted & set(chosen))
    return len(held), hits
