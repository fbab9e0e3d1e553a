"""Loyalty: a ledger derived from facts, never double-counted; balance, tier and its date."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from cdp.db import unit_of_work
from cdp.value import ValueSettings, compute_traits
from cdp.value.settings import LoyaltyRules
from tests.value.factories import AS_OF, _record, day, make_event, make_order, make_profile

RULES = LoyaltyRules(
    points_per_unit=1.0,
    signup_bonus=100,
    review_bonus=50,
    expiry_days=365,
    tiers={"bronze": 0, "silver": 300, "gold": 1000},
)
SETTINGS = ValueSettings(rates={"EUR": 1.08}, loyalty=RULES)


def _signup(session: Session, profile: models.Profile, at: object) -> None:
    record = _record(session, profile, "web")
    record.kind = "profile"
    record.occurred_at = at  # type: ignore[assignment]
    session.flush()


def _ledger(session: Session, profile_id: str) -> list[tuple[str, int]]:
    rows = session.execute(
        select(models.LoyaltyEntry.kind, models.LoyaltyEntry.points)
        .where(models.LoyaltyEntry.profile_id == profile_id)
        .order_by(models.LoyaltyEntry.occurred_at, models.LoyaltyEntry.kind)
    ).all()
    return [(kind, points) for kind, points in rows]


def test_points_come_from_orders_signup_reviews_redemptions_and_expire(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        ann = make_profile(session, id="ann")
        _signup(session, ann, day(1, 2))
        make_order(session, ann, at=day(1, 5), total_minor=25_050)  # 250 points
        make_order(session, ann, at=day(2, 5), total_minor=10_000, refunded_minor=4_000)  # 60
        make_order(session, ann, at=day(3, 5), total_minor=10_000, currency="EUR")  # 108
        session.add(
            models.Feedback(
                profile_id="ann", channel="web", kind="review", rating=5, occurred_at=day(3, 6)
            )
        )
        redeem = make_event(session, ann, type="track", at=day(4, 1))
        redeem.name = "Points Redeemed"
        redeem.properties = {"points": 200}
        session.flush()
        compute_traits(session, None, settings=SETTINGS, as_of=AS_OF)
        assert _ledger(session, "ann") == [
            ("signup", 100),
            ("order", 250),
            ("order", 60),
            ("order", 108),
            ("review", 50),
            ("redemption", -200),
        ]
        traits = session.get(models.ProfileTraits, "ann")
        assert traits is not None
        assert traits.loyalty_points == 100 + 250 + 60 + 108 + 50 - 200
        # earned 568 points: silver, reached when the first order took the total past 300
        assert traits.loyalty_tier == "silver"
        assert traits.loyalty_tier_since == day(1, 5)
        # a year later the early points have expired
        later = AS_OF.replace(year=2027)
        compute_traits(session, None, settings=SETTINGS, as_of=later)
        kinds = [kind for kind, _ in _ledger(session, "ann")]
        assert kinds.count("expiry") == 5  # the sign-up, three orders and the review
        traits = session.get(models.ProfileTraits, "ann")
        assert traits is not None
        assert traits.loyalty_points == 0  # never below zero


def test_recomputing_and_merging_never_count_a_fact_twice_and_a_split_gives_back(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        ann = make_profile(session, id="ann")
        dup = make_profile(session, id="dup")
        _signup(session, ann, day(1, 1))
        _signup(session, dup, day(1, 3))
        make_order(session, ann, at=day(1, 5), total_minor=10_000)
        make_order(session, dup, at=day(1, 6), total_minor=5_000)
        compute_traits(session, None, settings=SETTINGS, as_of=AS_OF)
        compute_traits(session, ["ann", "dup"], settings=SETTINGS, as_of=AS_OF)  # again
        assert _ledger(session, "ann") == [("signup", 100), ("order", 100)]
        # merge dup into ann: dup's records and orders move over
        dup.status, dup.merged_into_id = "merged", "ann"
        for row in session.scalars(select(models.SourceRecord).filter_by(profile_id="dup")):
            row.profile_id = "ann"
        for order in session.scalars(select(models.Order).filter_by(profile_id="dup")):
            order.profile_id = "ann"
        session.flush()
        compute_traits(session, ["ann", "dup"], settings=SETTINGS, as_of=AS_OF)
        assert _ledger(session, "ann") == [("signup", 100), ("order", 100), ("order", 50)]
        assert _ledger(session, "dup") == []
        # split them again: each side gets its own lines back
        dup.status, dup.merged_into_id = "active", None
        for order in session.scalars(
            select(models.Order).where(models.Order.placed_at == day(1, 6))
        ):
            order.profile_id = "dup"
        session.flush()
        compute_traits(session, ["ann", "dup"], settings=SETTINGS, as_of=AS_OF)
        assert _ledger(session, "ann") == [("signup", 100), ("order", 100)]
        assert _ledger(session, "dup") == [("order", 50)]
        traits = session.get(models.ProfileTraits, "dup")
        assert traits is not None
        assert traits.loyalty_points == 50
