"""The full computation and the incremental one give the same traits and the same ledger.

A seeded world of profiles with every kind of fact the traits read (orders in the base
currency, another and one without a rate, web copies of store orders, refunds, cancellations,
items with and without categories, email, web and redemption events, social interactions,
reviews, sign-ups) is computed in full; then recomputed incrementally (every profile at once,
and in chunks) with the stored models, which must change nothing; then one profile gets a new
order and only it is refreshed, which must give it what a full run with the same models gives.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from cdp.db import unit_of_work
from cdp.value import ValueSettings, compute_traits
from cdp.value.settings import LoyaltyRules
from tests.value.factories import (
    AS_OF,
    _record,
    day,
    make_event,
    make_interaction,
    make_order,
    make_profile,
)

SETTINGS = ValueSettings(
    rates={"EUR": 1.08},
    min_repeat_customers=5,
    loyalty=LoyaltyRules(
        points_per_unit=1.0,
        signup_bonus=100,
        review_bonus=50,
        expiry_days=60,
        tiers={"bronze": 0, "silver": 300, "gold": 1000},
    ),
)
CATEGORIES = ["footwear", "books", "home", None]
PRODUCTS = ["Sneaker", "Cookbook", "Lamp", "Mug"]
#: columns that say when a row was written, not what it holds
SKIP = {"computed_at"}


def _populate(session: Session, people: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    ids = []
    for n in range(people):
        profile = make_profile(session, id=f"fv-{n:03d}")
        ids.append(profile.id)
        if rng.random() < 0.5:
            signup = _record(session, profile, "web")
            signup.kind = "profile"
            signup.occurred_at = day(1, 1 + n % 28)
        for k in range(rng.choice([0, 0, 1, 2, 3, 5])):
            at = day(rng.randint(1, 5), rng.randint(1, 28), rng.randint(0, 23))
            external_id = f"fv-{n}-{k}"
            items = [
                (rng.choice(PRODUCTS), rng.choice(CATEGORIES), rng.randint(1, 3))
                for _ in range(rng.randint(0, 2))
            ]
            total = rng.choice([999, 2_500, 10_000, 25_050])
            make_order(
                session,
                profile,
                at=at,
                total_minor=total,
                currency=rng.choice(["USD", "USD", "USD", "EUR", "JPY"]),
                external_id=external_id,
                status="cancelled" if rng.random() < 0.1 else None,
                refunded_minor=total if rng.random() < 0.05 else rng.choice([0, 0, 500]),
                items=items,
            )
            if rng.random() < 0.3:  # the web tracker's copy: counted once
                make_order(
                    session,
                    profile,
                    at=at,
                    total_minor=total,
                    external_id=external_id,
                    channel="web",
                )
        for _ in range(rng.randint(0, 6)):
            at = AS_OF - timedelta(hours=rng.randint(1, 24 * 120))
            kind = rng.choice(["email.delivered", "email.open", "email.click", "page", "track"])
            channel = "email" if kind.startswith("email") else "web"
            campaign = rng.choice(["c1", "c2", "c3"]) if channel == "email" else None
            make_event(session, profile, type=kind, at=at, channel=channel, campaign_id=campaign)
        if rng.random() < 0.2:
            redeem = make_event(session, profile, type="track", at=day(5, rng.randint(1, 28)))
            redeem.name = "Points Redeemed"
            redeem.properties = {"points": rng.choice([10, 50])}
        if rng.random() < 0.2:
            make_interaction(session, profile, at=day(rng.randint(1, 5), rng.randint(1, 28)))
        if rng.random() < 0.2:
            session.add(
                models.Feedback(
                    profile_id=profile.id,
                    channel="web",
                    kind="review",
                    rating=4,
                    occurred_at=day(rng.randint(1, 5), rng.randint(1, 28)),
                )
            )
    session.flush()
    return ids


def _snapshot(session: Session) -> tuple[dict[str, dict[str, Any]], list[tuple[Any, ...]]]:
    t = models.ProfileTraits
    names = [c.key for c in t.__table__.columns if c.key not in SKIP]
    rows = {
        row.profile_id: {name: getattr(row, name) for name in names}
        for row in session.scalars(select(t))
    }
    ledger = models.LoyaltyEntry
    lines = sorted(
        session.execute(
            select(
                ledger.profile_id,
                ledger.kind,
                ledger.reference,
                ledger.points,
                ledger.occurred_at,
                ledger.expires_at,
            )
        ).all()
    )
    session.expire_all()
    return rows, [tuple(line) for line in lines]


def test_incremental_runs_give_what_the_full_run_gives(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        ids = _populate(session, 60, seed=16)
        compute_traits(session, None, settings=SETTINGS, as_of=AS_OF)
        full = _snapshot(session)
        assert len(full[0]) == 60
        assert any(row["order_count"] > 1 for row in full[0].values())
        assert full[1]

        compute_traits(session, ids, settings=SETTINGS, as_of=AS_OF)
        assert _snapshot(session) == full
        for start in range(0, len(ids), 17):
            compute_traits(session, ids[start : start + 17], settings=SETTINGS, as_of=AS_OF)
        assert _snapshot(session) == full

        # a new order for one profile: its refresh gives it what a full run gives it, with the
        # same models (a full run refits them, so the comparison re-scores with the stored ones)
        touched = session.get(models.Profile, ids[3])
        assert touched is not None
        make_order(session, touched, at=day(5, 30), total_minor=4_200, items=[("Mug", "home", 1)])
        compute_traits(session, [ids[3]], settings=SETTINGS, as_of=AS_OF)
        refreshed = _snapshot(session)
        compute_traits(session, None, settings=SETTINGS, as_of=AS_OF)
        compute_traits(session, ids, settings=SETTINGS, as_of=AS_OF)  # the refit models, again
        compute_traits(session, [ids[3]], settings=SETTINGS, as_of=AS_OF)
        # every column not scored by a model: identical
        modelled = {
            "recency_score",
            "frequency_score",
            "monetary_score",
            "rfm_code",
            "rfm_segment",
            "value_tier",
            "predicted_orders",
            "predicted_value_minor",
            "probability_alive",
            "clv_method",
            "lifecycle_stage",
        }
        again = _snapshot(session)
        for pid in ids:
            mine = {k: v for k, v in refreshed[0][pid].items() if k not in modelled}
            theirs = {k: v for k, v in again[0][pid].items() if k not in modelled}
            assert mine == theirs, pid
        assert refreshed[1] == again[1]
