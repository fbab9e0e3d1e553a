"""Flow steps that change data: `add_points` and `set_trait` (`cdp.activation.flows`).

- `add_points`: a row of `loyalty_awards`, the fact the loyalty ledger derives an `award`
  line from (`cdp.value.loyalty`), so the points are counted the way every other fact's are:
  once, whatever re-ingests, refreshes or merges happen. Its `reference` names the profile
  the run is for, the flow and the step (`flow:<flow>:<step>:<profile>`) and is unique: a
  profile gets a step's points once, even when the flow lets it enter again, and a worker
  that repeats a step (killed after the insert, before recording the run's progress: both
  are one transaction, so it cannot, but a replayed run could) adds nothing.
- `set_trait`: a value by name in `computed_traits`, for the profile the run is for
  (`Profile.customTraits` in GraphQL).

Both belong to the profile the run was for. A merge hands awards to the survivor
(`follow_profiles`, a refresh step before traits); a split gives them back to the profile
they were made for once it is active again. Set traits are read through merges
(`custom_traits`: the profile's own and those of profiles merged into it, the latest value of
a name winning), so they need no moving.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from cdp import models

__all__ = ["add_points", "custom_traits", "follow_profiles", "set_trait"]


def _insert(session: Session, table: Any) -> Any:
    dialect = session.get_bind().dialect.name
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(table)


def add_points(
    session: Session, flow: str, index: int, profile_id: str, step: Mapping[str, Any], now: datetime
) -> str:
    """Award the step's points once per profile, flow and step; returns what it did."""
    points = int(step["add_points"])
    reference = f"flow:{flow}:{index}:{profile_id}"
    statement = (
        _insert(session, models.LoyaltyAward)
        .values(
            profile_id=profile_id,
            origin_profile_id=profile_id,
            reference=reference,
            points=points,
            reason=step.get("reason") or f"flow {flow}",
            occurred_at=now,
        )
        .on_conflict_do_nothing(index_elements=["reference"])
        .returning(models.LoyaltyAward.id)
    )
    if session.execute(statement).scalar() is None:
        return f"skipped {points} points: awarded by this step before"
    return f"added {points} loyalty points"


def set_trait(session: Session, profile_id: str, step: Mapping[str, Any], now: datetime) -> str:
    """Set the named trait of the profile to the step's value; returns what it did."""
    name, value = step["set_trait"], step.get("value")
    statement = _insert(session, models.ComputedTrait).values(
        profile_id=profile_id, name=name, value={"value": value}, computed_at=now
    )
    statement = statement.on_conflict_do_update(
        index_elements=["profile_id", "name"],
        set_={"value": statement.excluded.value, "computed_at": statement.excluded.computed_at},
    )
    session.execute(statement)
    return f"set trait {name!r} to {value!r}"


def custom_traits(session: Session, profile_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The traits flows set, by profile: its own and those of profiles merged into it (the
    latest value of a name wins)."""
    t, p = models.ComputedTrait, models.Profile
    ids = list(profile_ids)
    owner = select(p.id.label("id"), p.merged_into_id.label("owner")).where(
        p.merged_into_id.in_(ids)
    )
    owners = {str(i): str(o) for i, o in session.execute(owner)}
    rows = session.execute(
        select(t.profile_id, t.name, t.value, t.computed_at)
        .where(t.profile_id.in_(ids + list(owners)))
        .order_by(t.computed_at)
    )
    found: dict[str, dict[str, Any]] = {i: {} for i in ids}
    for profile_id, name, value, _ in rows:
        found[owners.get(profile_id, profile_id)][name] = value.get("value")
    return found


def follow_profiles(session: Session, profile_ids: Sequence[str] | None) -> int:
    """Awards of merged-away profiles move to their survivor; awards made for a profile that
    is active again (after a split) move back to it. A refresh step (`cdp.refresh.steps`)."""
    a, p = models.LoyaltyAward, models.Profile
    merged = select(p.id).where(p.status == "merged", p.merged_into_id.is_not(None))
    active = select(p.id).where(p.status == "active")
    if profile_ids is not None:
        merged = merged.where(p.id.in_(list(profile_ids)))
        active = active.where(p.id.in_(list(profile_ids)))
    survivor = select(p.merged_into_id).where(p.id == a.profile_id).scalar_subquery()
    moved = session.execute(
        update(a)
        .where(a.profile_id.in_(merged))
        .values(profile_id=survivor)
        .execution_options(synchronize_session=False)
    )
    back = session.execute(
        update(a)
        .where(a.origin_profile_id.in_(active), a.profile_id != a.origin_profile_id)
        .values(profile_id=a.origin_profile_id)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(moved, "rowcount", 0) or 0) + int(getattr(back, "rowcount", 0) or 0)
