"""Recommendations on both backends over the hand-made shop of `tests.recommend.shop`."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from cdp.db import unit_of_work
from cdp.recommend import RecommendSettings, compute, recommend_for_profile
from tests.recommend import shop
from tests.schema.factories import make_consent, make_profile


def _setup(factory: sessionmaker[Session], *, consent: bool = True) -> str:
    with unit_of_work(factory) as session:
        zoe = shop.build(session, consent=consent)
        compute(session)
        return zoe.id


def test_what_goes_with_a_purchase_comes_first_and_a_best_seller_does_not_win(
    session_factory: sessionmaker[Session],
) -> None:
    zoe = _setup(session_factory)
    with session_factory() as session:
        found = recommend_for_profile(session, zoe, 4)

    assert found.is_personalised
    first = found.items[0]
    assert (first.product_id, first.basis, first.reason) == (
        "s",
        "bought",
        "because you bought Tent",
    )
    assert [r.product_id for r in found.items[:2]] == ["s", "m"]
    assert "t" not in [r.product_id for r in found.items]  # bought, not bought again by people


def test_a_repeat_purchase_item_may_come_back(session_factory: sessionmaker[Session]) -> None:
    zoe = _setup(session_factory)
    with session_factory() as session:
        found = recommend_for_profile(session, zoe, 5)
        coffee = session.get(models.ProductStat, "c")

    assert coffee is not None
    assert coffee.is_repeat_purchase
    assert "c" in [r.product_id for r in found.items]


def test_scores_are_damped_jaccard_and_orders_stored_twice_count_once(
    session_factory: sessionmaker[Session],
) -> None:
    _setup(session_factory)
    with session_factory() as session:
        stats = {s.product_id: s for s in session.scalars(select(models.ProductStat))}
        pair = session.get(models.ProductSimilarity, ("t", "s"))

    assert stats["t"].buyers == 13  # twelve campers and Zoe, whose order is stored twice
    assert (stats["k"].popularity_rank, stats["k"].buyers) == (1, 20)
    assert pair is not None
    # together 12; mass of t = 13 buyers, of s = 12; damping 2
    assert abs(pair.score - 12 / (13 + 12 - 12 + 2)) < 1e-9


def test_without_consent_the_list_is_best_sellers_only(
    session_factory: sessionmaker[Session],
) -> None:
    zoe = _setup(session_factory, consent=False)
    with session_factory() as session:
        found = recommend_for_profile(session, zoe, 3)

    assert not found.is_personalised
    assert [(r.product_id, r.basis) for r in found.items] == [
        ("k", "popular"),
        ("t", "popular"),
        ("s", "popular"),
    ]


def test_a_consenting_profile_with_no_history_gets_best_sellers(
    session_factory: sessionmaker[Session],
) -> None:
    _setup(session_factory)
    with unit_of_work(session_factory) as session:
        newcomer = make_profile(session, given_name="New")
        make_consent(session, profile=newcomer, purpose="personalisation", channel="web")
        newcomer_id = newcomer.id
    with session_factory() as session:
        found = recommend_for_profile(session, newcomer_id, 2)

    assert found.is_personalised
    assert [(r.product_id, r.reason) for r in found.items] == [("k", "popular"), ("t", "popular")]


def test_the_fallback_fills_from_the_favourite_category_first(
    session_factory: sessionmaker[Session],
) -> None:
    zoe = _setup(session_factory)
    with session_factory() as session:
        found = recommend_for_profile(session, zoe, 5)

    tail = [(r.product_id, r.basis) for r in found.items if r.basis in ("category", "popular")]
    assert tail[-1] == ("k", "popular")  # camping and pantry first, apparel last


def test_a_repeat_item_bought_before_comes_back_saying_so(
    session_factory: sessionmaker[Session],
) -> None:
    zoe = _setup(session_factory)
    with session_factory() as session:
        found = recommend_for_profile(session, zoe, 5)

    coffee = next(r for r in found.items if r.product_id == "c")
    assert (coffee.basis, coffee.because_product_id, coffee.reason) == (
        "bought",
        "c",
        "you bought Coffee before",
    )


def test_only_the_nearest_neighbours_of_each_product_are_candidates(
    session_factory: sessionmaker[Session],
) -> None:
    zoe = _setup(session_factory)
    with session_factory() as session:
        wide = recommend_for_profile(session, zoe, 5)
        narrow = recommend_for_profile(session, zoe, 5, RecommendSettings(neighbours=1))

    # the mug is the tent's second neighbour (after the stove) and no product's first
    assert {r.product_id: r.basis for r in wide.items}["m"] == "bought"
    assert {r.product_id: r.basis for r in narrow.items}["m"] == "category"
    assert narrow.items[0].product_id == "s"
