"""Lifecycle stage: prospect (no order), new, active, at risk, lapsed (`LifecycleRule`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, literal

from cdp import models
from cdp.value.settings import ValueSettings

__all__ = ["STAGES", "stage_value"]

STAGES = ("prospect", "new", "active", "at_risk", "lapsed")


def stage_value(settings: ValueSettings, alive: Any, source: Any = None) -> Any:
    """A customer's stage as SQL over its row in `source` (default `profile_traits`) and its
    P(alive) (`alive`: a column of the predictions); prospects get `prospect` when inserted."""
    t = (models.ProfileTraits.__table__ if source is None else source).c
    rule = settings.lifecycle
    days = t.days_since_last_order
    return case(
        (t.order_count == 0, literal("prospect")),
        (and_(alive.is_not(None), alive < rule.lapsed_probability), literal("lapsed")),
        (days > rule.lapsed_days, literal("lapsed")),
        (and_(alive.is_not(None), alive < rule.at_risk_probability), literal("at_risk")),
        (days > rule.active_days, literal("at_risk")),
        (and_(t.order_count == 1, days <= rule.new_days), literal("new")),
        else_=literal("active"),
    )
