"""Purchase and engagement traits, computed set-based on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from cdp.db import unit_of_work
from cdp.refresh import refresh_profiles
from cdp.value import ValueSettings, compute_traits
from tests.value.factories import (
    AS_OF,
    day,
    make_event,
    make_interaction,
    make_order,
    make_profile,
)

SETTINGS = ValueSettings(base_currency="USD", rates={"EUR": 1.08})


def _traits(session: Session, profile_id: str) -> models.ProfileTraits | None:
    return session.get(models.ProfileTraits, profile_id)


@pytest.fixture
def world(session_factory: sessionmaker[Session]) -> dict[str, str]:
    with unit_of_work(session_factory) as session:
        ann = make_profile(session, id="ann")
        shoes = [("Court Sneaker", "footwear", 2), ("Cookbook", "books", 1)]
        make_order(session, ann, at=day(1, 10), total_minor=10_000, external_id="o1", items=shoes)
        # the web tracker's copy of the same order, without its refunds: counted once
        make_order(session, ann, at=day(1, 10), total_minor=10_000, external_id="o1", channel="web")
        make_order(
            session,
            ann,
            at=day(3, 10),
            total_minor=5_000,
            currency="EUR",
            refunded_minor=1_000,
            financial_status="partially_refunded",
            items=[("Scarf", "apparel", 1), ("Court Sneaker", None, 1)],
        )
        make_order(session, ann, at=day(4, 1), total_minor=9_999, status="cancelled")
        make_order(session, ann, at=day(5, 1), total_minor=5_000, currency="XYZ")
        make_order(
            session,
            ann,
            at=day(5, 20),
            total_minor=3_000,
            refunded_minor=3_000,
            financial_status="refunded",
        )
        make_order(session, ann, at=day(7, 1), total_minor=70_000)  # after as_of
        bob = make_profile(session, id="bob")
        for campaign in ("c1", "c2", "c3", "c4"):
            make_event(
                session,
                bob,
                type="email.delivered",
                at=day(5, 1, 8),
                channel="email",
                campaign_id=campaign,
            )
        for at, kind, campaign in [
            (day(5, 2, 9), "email.open", "c1"),
            (day(5, 3, 9, 30), "email.open", "c1"),
            (day(5, 2, 9, 5), "email.click", "c1"),
            (day(5, 4, 14), "email.open", "c2"),
        ]:
            make_event(session, bob, type=kind, at=at, channel="email", campaign_id=campaign)
        for at in (day(5, 20, 10), day(5, 20, 10, 10), day(5, 20, 11), day(4, 1, 10)):
            make_event(session, bob, type="page", at=at)
        make_interaction(session, bob, at=day(5, 5))
        make_interaction(session, bob, at=day(5, 6))
        make_profile(session, id="gone", status="merged", merged_into_id="ann")
        compute_traits(session, None, settings=SETTINGS, as_of=AS_OF)
    return {"ann": "ann", "bob": "bob"}


def test_purchases_count_each_order_once_net_of_refunds_and_cancellations(
    session_factory: sessionmaker[Session], world: dict[str, str]
) -> None:
    with unit_of_work(session_factory) as session:
        ann = _traits(session, "ann")
        assert ann is not None
        assert ann.order_count == 2  # o1 once, the EUR order; not cancelled/refunded/unrated
        assert ann.total_spend_minor == 10_000 + round(4_000 * 1.08)
        assert ann.average_order_minor == round((10_000 + 4_320) / 2)
        assert ann.refunded_minor == round(1_000 * 1.08) + 3_000
        assert ann.cancelled_orders == 1
        assert ann.unconverted_orders == 1
        assert ann.first_order_at == day(1, 10)
        assert ann.last_order_at == day(3, 10)
        assert ann.days_since_last_order == 82  # 10 March noon to 1 June midnight
        assert ann.average_days_between_orders == pytest.approx(59.0)
        assert ann.historical_value_minor == ann.total_spend_minor
        assert ann.as_of == AS_OF


def test_favourites_use_units_and_borrow_a_product_category_from_another_item(
    session_factory: sessionmaker[Session], world: dict[str, str]
) -> None:
    with unit_of_work(session_factory) as session:
        ann = _traits(session, "ann")
        assert ann is not None
        assert ann.favourite_product == "Court Sneaker"
        assert ann.favourite_category == "footwear"
        assert ann.favourite_categories == ["footwear", "apparel", "books"]


def test_engagement_rates_sessions_channel_and_send_hour(
    session_factory: sessionmaker[Session], world: dict[str, str]
) -> None:
    with unit_of_work(session_factory) as session:
        bob = _traits(session, "bob")
        assert bob is not None
        assert bob.email_open_rate == pytest.approx(0.5)
        assert bob.email_click_rate == pytest.approx(0.25)
        assert bob.last_email_engagement_at == day(5, 4, 14)
        assert bob.page_views_30d == 3
        assert bob.web_sessions_30d == 2  # 10:00 and 10:10 are one session, 11:00 another
        assert bob.last_web_at == day(5, 20, 11)
        assert bob.social_interactions == 2
        assert bob.preferred_channel == "email"  # 4 opens/clicks > 3 web sessions > 2 social
        assert bob.best_send_hour == 9
        assert bob.order_count == 0
        assert bob.lifecycle_stage == "prospect"
        assert bob.rfm_segment is None


def test_profiles_no_longer_active_get_no_traits(
    session_factory: sessionmaker[Session], world: dict[str, str]
) -> None:
    with unit_of_work(session_factory) as session:
        assert _traits(session, "gone") is None


def test_refresh_recomputes_only_the_touched_profiles(
    session_factory: sessionmaker[Session], world: dict[str, str]
) -> None:
    with unit_of_work(session_factory) as session:
        bob_before = _traits(session, "bob")
        assert bob_before is not None
        bob_computed = bob_before.computed_at
        ann = session.get(models.Profile, "ann")
        assert ann is not None
        make_order(session, ann, at=day(5, 30), total_minor=2_000)
    with unit_of_work(session_factory) as session:
        report = refresh_profiles(session, ["ann"])
        assert "traits" in report.seconds
    with unit_of_work(session_factory) as session:
        ann_after = _traits(session, "ann")
        bob_after = _traits(session, "bob")
        assert ann_after is not None
        assert bob_after is not None
        # a refresh describes now: the July order counts too, and the new one
        assert ann_after.order_count == 4
        assert bob_after.computed_at == bob_computed


def test_a_merge_moves_the_orders_and_drops_the_merged_away_row(
    session_factory: sessionmaker[Session], world: dict[str, str]
) -> None:
    with unit_of_work(session_factory) as session:
        dan = make_profile(session, id="dan")
        make_order(session, dan, at=day(2, 1), total_minor=1_000)
        compute_traits(session, ["dan"], settings=SETTINGS, as_of=AS_OF)
        assert _traits(session, "dan") is not None
        dan.status = "merged"
        dan.merged_into_id = "ann"
        for order in session.scalars(select(models.Order).where(models.Order.profile_id == "dan")):
            order.profile_id = "ann"
        session.flush()
        compute_traits(session, ["ann", "dan"], settings=SETTINGS, as_of=AS_OF)
        assert _traits(session, "dan") is None
        ann = _traits(session, "ann")
        assert ann is not None
        assert ann.order_count == 3
        assert ann.first_order_at == day(1, 10)
