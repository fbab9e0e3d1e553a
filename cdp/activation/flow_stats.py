"""What flows achieved: runs per status, and conversion to the goal of the treated entrants
against the holdout (`lift`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cdp import models

__all__ = ["FlowStats", "flow_stats"]


@dataclass(frozen=True)
class FlowStats:
    name: str
    enabled: bool
    declared_in: str
    waiting: int
    done: int
    exited: int
    holdout: int
    goal: str | None
    treated_converted: int
    holdout_converted: int

    @property
    def treated(self) -> int:
        return self.waiting + self.done + self.exited

    @property
    def treated_rate(self) -> float | None:
        return self.treated_converted / self.treated if self.treated else None

    @property
    def holdout_rate(self) -> float | None:
        return self.holdout_converted / self.holdout if self.holdout else None

    @property
    def lift(self) -> float | None:
        """Conversion rate of the treated minus the holdout's (None without both)."""
        if self.treated_rate is None or self.holdout_rate is None:
            return None
        return self.treated_rate - self.holdout_rate


def flow_stats(session: Session) -> list[FlowStats]:
    r = models.FlowRun
    found = []
    for flow in session.scalars(select(models.Flow).order_by(models.Flow.name)):
        counts = dict(
            session.execute(
                select(r.status, func.count()).where(r.flow_id == flow.id).group_by(r.status)
            ).all()
        )
        goal = flow.definition.get("goal")
        converted = _converted(session, flow, goal) if goal else {True: 0, False: 0}
        found.append(
            FlowStats(
                name=flow.name,
                enabled=flow.enabled,
                declared_in=flow.declared_in,
                waiting=counts.get("waiting", 0),
                done=counts.get("done", 0),
                exited=counts.get("exited", 0),
                holdout=counts.get("holdout", 0),
                goal=goal,
                treated_converted=converted[False],
                holdout_converted=converted[True],
            )
        )
    return found


def _converted(session: Session, flow: models.Flow, goal: str) -> dict[bool, int]:
    """Runs whose profile did the goal within `goal_days` of entering, holdout or not."""
    r, e = models.FlowRun, models.Event
    window = timedelta(days=flow.definition.get("goal_days", 7))
    runs = session.execute(
        select(r.profile_id, r.entered_at, r.status == "holdout").where(r.flow_id == flow.id)
    ).all()
    done: dict[str, list[datetime]] = {}
    ids = sorted({row[0] for row in runs})
    for start in range(0, len(ids), 2000):
        for profile_id, at in session.execute(
            select(e.profile_id, e.occurred_at).where(
                e.profile_id.in_(ids[start : start + 2000]), e.name == goal
            )
        ):
            done.setdefault(str(profile_id), []).append(at)
    counts = {True: 0, False: 0}
    for profile_id, entered, is_holdout in runs:
        if any(entered <= at <= entered + window for at in done.get(profile_id, ())):
            counts[bool(is_holdout)] += 1
    return counts
