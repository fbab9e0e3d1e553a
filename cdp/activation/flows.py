"""Running flows (`cdp.activation.flow_spec`): entering on triggers, advancing due runs.

The worker calls `FlowRunner.on_dispatch` with each batch of outbox entries it fans out (an
event or a segment entry may start runs) and `FlowRunner.advance` on every tick (runs whose
wait is over take their next steps). A run is a row (`flow_runs`): a wait is `wait_until`,
so waits survive restarts. A send writes a `flow.message` outbox entry for its destination,
in the same transaction as the run's progress, so a message is queued exactly once.
Before every send: the destination's consent purpose (`cdp.consent.can_contact`) and the
frequency cap across flows (`flow_sends` of the last 24 hours).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cdp import models
from cdp.activation.actions import add_points, set_trait
from cdp.activation.flow_spec import ActivationSettings, FlowSpec, parse_duration
from cdp.activation.flow_stats import FlowStats, flow_stats
from cdp.activation.outbox import Change, emit
from cdp.consent import can_contact
from cdp.types import utcnow

__all__ = [
    "FlowRunner",
    "FlowStats",
    "flow_stats",
    "save_flow",
    "set_flow_enabled",
    "sync_flows",
    "trigger_event_names",
    "trigger_segment_names",
]

TOML = "cdp.toml"
ADVANCE_BATCH = 200
RECOMMENDED = 4
_TRAITS = (
    "value_tier",
    "lifecycle_stage",
    "rfm_segment",
    "favourite_category",
    "favourite_product",
    "favourite_categories",
    "loyalty_points",
    "order_count",
)


def sync_flows(session: Session, specs: Mapping[str, FlowSpec]) -> list[str]:
    """Make the cdp.toml flows in the database match `specs` (others are disabled)."""
    rows = {row.name: row for row in session.scalars(select(models.Flow))}
    changed = []
    for name, spec in specs.items():
        row = rows.get(name)
        if row is None:
            row = models.Flow(name=name, declared_in=TOML)
            session.add(row)
        if row.definition != spec.definition or not row.enabled or row.declared_in != TOML:
            row.definition, row.enabled, row.declared_in = dict(spec.definition), True, TOML
            changed.append(name)
    for name, row in rows.items():
        if row.declared_in == TOML and name not in specs and row.enabled:
            row.enabled = False
            changed.append(name)
    session.flush()
    return changed


def trigger_event_names(session: Session) -> set[str]:
    """The events enabled flows start on."""
    return _trigger_names(session, "event")


def trigger_segment_names(session: Session) -> set[str]:
    """The segments whose entries start enabled flows."""
    return _trigger_names(session, "segment")


def _trigger_names(session: Session, kind: str) -> set[str]:
    names = set()
    for definition in session.scalars(
        select(models.Flow.definition).where(models.Flow.enabled.is_(True))
    ):
        if definition.get("trigger", {}).get(kind):
            names.add(definition["trigger"][kind])
    return names


def _in_holdout(flow: str, profile_id: str, share: float) -> bool:
    digest = hashlib.sha256(f"cdp-holdout:{flow}:{profile_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


@dataclass
class FlowRunner:
    settings: ActivationSettings

    def on_dispatch(self, session: Session, entries: Sequence[models.OutboxEntry]) -> None:
        """Start runs for the entries that trigger enabled flows."""
        flows = list(session.scalars(select(models.Flow).where(models.Flow.enabled.is_(True))))
        if not flows:
            return
        now = utcnow()
        for entry in entries:
            if entry.profile_id is None:
                continue
            for flow in flows:
                if self._triggers(flow.definition["trigger"], entry):
                    self.enter(session, flow, entry.profile_id, dict(entry.payload), now)

    @staticmethod
    def _triggers(trigger: Mapping[str, Any], entry: models.OutboxEntry) -> bool:
        if entry.topic == "event":
            return bool(trigger.get("event") == entry.payload.get("event", {}).get("name"))
        if entry.topic == "segment.entered":
            return bool(trigger.get("segment") == entry.payload.get("segment"))
        if entry.topic == "trait.changed" and trigger.get("trait") == entry.payload.get("trait"):
            return _crossed(entry.payload.get("old"), entry.payload.get("new"), trigger["above"])
        return False

    def enter(
        self,
        session: Session,
        flow: models.Flow,
        profile_id: str,
        trigger: dict[str, Any],
        now: datetime,
    ) -> models.FlowRun | None:
        """A new run, unless the profile may not enter (again) now."""
        r = models.FlowRun
        earlier = select(r.status).where(r.flow_id == flow.id, r.profile_id == profile_id)
        statuses = set(session.scalars(earlier))
        if statuses and (not flow.definition.get("reenter") or "waiting" in statuses):
            return None
        holdout = _in_holdout(flow.name, profile_id, flow.definition.get("holdout", 0.0))
        run = models.FlowRun(
            flow_id=flow.id,
            profile_id=profile_id,
            trigger=trigger,
            entered_at=now,
            status="holdout" if holdout else "waiting",
            wait_until=None if holdout else now,
            log=[{"at": now.isoformat(), "did": "entered (holdout)" if holdout else "entered"}],
        )
        session.add(run)
        session.flush()
        return run

    def advance(self, session: Session, now: datetime | None = None) -> int:
        """Take the next steps of every run whose wait is over; returns how many it moved.
        Profiles given points are refreshed (`cdp.refresh`) in the same transaction: their
        `loyalty_points` trait, the segments reading it, what destinations receive of it."""
        now = now or utcnow()
        r = models.FlowRun
        query = (
            select(r)
            .where(r.status == "waiting", r.wait_until <= now)
            .order_by(r.wait_until, r.id)
            .limit(ADVANCE_BATCH)
        )
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        runs = list(session.scalars(query))
        flows = {f.id: f for f in session.scalars(select(models.Flow))}
        awarded: set[str] = set()
        for run in runs:
            self._advance_one(session, flows[run.flow_id], run, now, awarded)
        session.flush()
        if awarded:
            from cdp.refresh import refresh_profiles

            refresh_profiles(session, awarded)
        return len(runs)

    def _advance_one(
        self,
        session: Session,
        flow: models.Flow,
        run: models.FlowRun,
        now: datetime,
        awarded: set[str],
    ) -> None:
        definition = flow.definition
        log = list(run.log)
        try:
            if not flow.enabled:
                return self._finish(run, log, now, "exited", "the flow was switched off")
            if definition.get("exit") and _did(session, run, definition["exit"]):
                return self._finish(run, log, now, "exited", f"did {definition['exit']!r}")
            steps = definition["steps"]
            while run.step < len(steps):
                step = steps[run.step]
                run.step += 1
                if "wait" in step:
                    run.wait_until = now + parse_duration(step["wait"])
                    log.append({"at": now.isoformat(), "did": f"waits {step['wait']}"})
                    return None
                if "unless_event" in step and _did(session, run, step["unless_event"]):
                    reason = f"did {step['unless_event']!r} since entering"
                    return self._finish(run, log, now, "exited", reason)
                if "in_segment" in step and not _in_segment(session, run, step["in_segment"]):
                    reason = f"not in segment {step['in_segment']!r}"
                    return self._finish(run, log, now, "exited", reason)
                if "send" in step:
                    log.append({"at": now.isoformat(), **self._send(session, flow, run, step, now)})
                if "add_points" in step:
                    index = run.step - 1
                    did = add_points(session, flow.name, index, run.profile_id, step, now)
                    log.append({"at": now.isoformat(), "did": did})
                    awarded.add(run.profile_id)
                if "set_trait" in step:
                    did = set_trait(session, run.profile_id, step, now)
                    log.append({"at": now.isoformat(), "did": did})
            return self._finish(run, log, now, "done", None)
        finally:
            run.log = log

    @staticmethod
    def _finish(
        run: models.FlowRun,
        log: list[dict[str, Any]],
        now: datetime,
        status: str,
        reason: str | None,
    ) -> None:
        run.status, run.finished_at, run.exit_reason, run.wait_until = status, now, reason, None
        log.append(
            {"at": now.isoformat(), "did": status if reason is None else f"{status}: {reason}"}
        )

    def _send(
        self,
        session: Session,
        flow: models.Flow,
        run: models.FlowRun,
        step: Mapping[str, Any],
        now: datetime,
    ) -> dict[str, Any]:
        name, message = step["send"], step["message"]
        destination = session.scalar(
            select(models.Destination).where(models.Destination.name == name)
        )
        if destination is None or not destination.enabled:
            return {"did": f"skipped {message!r}: no enabled destination {name!r}"}
        if destination.purpose and not can_contact(session, run.profile_id, destination.purpose):
            return {"did": f"skipped {message!r}: no consent for {destination.purpose!r}"}
        cap = self.settings.max_messages_per_day
        if cap is not None:
            f = models.FlowSend
            sent = (
                session.scalar(
                    select(func.count())
                    .select_from(f)
                    .where(f.profile_id == run.profile_id, f.sent_at > now - timedelta(days=1))
                )
                or 0
            )
            if sent >= cap:
                return {"did": f"skipped {message!r}: frequency cap of {cap} a day reached"}
        payload: dict[str, Any] = {
            "destination": name,
            "flow": flow.name,
            "message": message,
            "run_id": run.id,
        }
        includes = step.get("include", [])
        if "trigger" in includes:
            payload["trigger"] = run.trigger
        if "traits" in includes:
            payload["traits"] = _traits(session, run.profile_id)
        if "recommendations" in includes:
            payload["recommendations"] = _recommendations(session, run.profile_id)
        emit(session, [Change("flow.message", run.profile_id, payload)])
        session.add(models.FlowSend(run_id=run.id, profile_id=run.profile_id, sent_at=now))
        return {"did": f"sent {message!r} to {name!r}"}


def _crossed(old: Any, new: Any, above: float) -> bool:
    """Whether a trait went from at most `above` (or no value) to more than `above`."""
    if not isinstance(new, int | float) or isinstance(new, bool) or new <= above:
        return False
    return not isinstance(old, int | float) or old <= above


def _did(session: Session, run: models.FlowRun, event: str) -> bool:
    e = models.Event
    found = session.scalar(
        select(e.id)
        .where(e.profile_id == run.profile_id, e.name == event, e.occurred_at >= run.entered_at)
        .limit(1)
    )
    return found is not None


def _in_segment(session: Session, run: models.FlowRun, name: str) -> bool:
    m, s = models.SegmentMembership, models.Segment
    query = select(m.profile_id).join(s, s.id == m.segment_id)
    return session.scalar(query.where(s.name == name, m.profile_id == run.profile_id)) is not None


def _recommendations(session: Session, profile_id: str) -> dict[str, Any]:
    from cdp.recommend import recommend_for_profile

    found = recommend_for_profile(session, profile_id, RECOMMENDED)
    return {
        "personalised": found.is_personalised,
        "items": [
            {"product_id": r.product_id, "name": r.name, "category": r.category, "reason": r.reason}
            for r in found.items
        ],
    }


def _traits(session: Session, profile_id: str) -> dict[str, Any]:
    row = session.get(models.ProfileTraits, profile_id)
    return {} if row is None else {name: getattr(row, name) for name in _TRAITS}


def _owned_flow(session: Session, name: str) -> models.Flow:
    from cdp.errors import ConflictError, NotFoundError

    row = session.scalar(select(models.Flow).where(models.Flow.name == name))
    if row is None:
        raise NotFoundError("flow", name)
    if row.declared_in == TOML:
        raise ConflictError(f"flow {name!r} is declared in cdp.toml; change it there")
    return row


def save_flow(session: Session, spec: FlowSpec, *, replace: bool) -> models.Flow:
    """Create (or, with `replace`, replace the definition of) a flow made through GraphQL."""
    from cdp.errors import ConflictError

    existing = session.scalar(select(models.Flow).where(models.Flow.name == spec.name))
    if existing is not None and not replace:
        raise ConflictError(f"a flow named {spec.name!r} exists; pick another name")
    row = _owned_flow(session, spec.name) if replace else models.Flow(name=spec.name)
    row.definition, row.enabled, row.declared_in = dict(spec.definition), True, "graphql"
    session.add(row)
    session.flush()
    return row


def set_flow_enabled(session: Session, name: str, enabled: bool) -> models.Flow:
    """Switch a flow off (no one enters; waiting runs exit at their next step) or on."""
    from cdp.errors import NotFoundError

    row = session.scalar(select(models.Flow).where(models.Flow.name == name))
    if row is None:
        raise NotFoundError("flow", name)
    row.enabled = enabled
    session.flush()
    return row
