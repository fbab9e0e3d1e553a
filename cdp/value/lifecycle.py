"""Lifecycle stage: prospect (no order), new, active, at risk, lapsed (`LifecycleRule`)."""

from __future__ import annotations

from sqlalchemy import and_, case, literal, update
from sqlalchemy.orm import Session

from cdp import models
from cdp.value._sql import Scope
from cdp.value.settings import ValueSettings

__all__ = ["STAGES", "stage"]

STAGES = ("prospect", "new", "active", "at_risk", "lapsed")


def stage(session: Session, settings: ValueSettings, scope: Scope) -> None:
    t = models.ProfileTraits
    rule = settings.lifecycle
    days = t.days_since_last_order
    alive = t.probability_alive
    session.execute(
        update(t)
        .where(*scope.on(t.profile_id))
        .values(
            lifecycle_stage=case(
                (t.order_count == 0, literal("prospect")),
                (and_(alive.is_not(None), alive < rule.lapsed_probability), literal("lapsed")),
                (days > rule.lapsed_days, literal("lapsed")),
                (and_(alive.is_not(None), alive < rule.at_risk_probability), literal("at_risk")),
                (days > rule.active_days, literal("at_risk")),
                (and_(t.order_count == 1, days <= rule.new_days), literal("new")),
                else_=literal("active"),
            )
        )
        .execution_options(synchronize_session=False)
    )
