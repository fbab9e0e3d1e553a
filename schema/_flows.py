"""Flows in GraphQL: each flow with its counts and conversion against the holdout, and a
profile's runs (roles: admin, analyst). Services: `cdp.activation.flows`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from sqlalchemy import select
from sqlalchemy.orm import Session
from strawberry.scalars import JSON

from cdp import models
from cdp.activation.flow_spec import parse_flow
from cdp.activation.flows import FlowStats, flow_stats, save_flow, set_flow_enabled
from cdp.errors import ConfigError, InvalidInputError
from schema._access import ANALYSTS, ONLY_ADMIN, denial, requires
from schema._context import Context
from schema._results import Conflict, Forbidden, InvalidInput, NotFound, RoleDeniedError

Info = strawberry.Info[Context, None]


@strawberry.type(description="How a flow converts, against its holdout (the control group).")
class FlowConversion:
    goal: str = strawberry.field(description="The goal event.")
    treated_converted: int = strawberry.field(
        description="Entrants who got messages and converted."
    )
    holdout_converted: int = strawberry.field(description="Holdout entrants who converted.")
    treated_rate: float | None = strawberry.field(description="Conversion of the treated.")
    holdout_rate: float | None = strawberry.field(description="Conversion of the holdout.")
    lift: float | None = strawberry.field(
        description="Treated rate minus holdout rate (null without both groups)."
    )


@strawberry.type(description="An automated marketing flow (docs/activation.md).")
class Flow:
    name: str = strawberry.field(description="Its unique name.")
    enabled: bool = strawberry.field(description="Whether profiles enter it.")
    declared_in: str = strawberry.field(description="`cdp.toml` or `graphql`.")
    definition: JSON = strawberry.field(description="Trigger, steps, goal, holdout, re-entry.")
    waiting: int = strawberry.field(description="Runs waiting for their next step.")
    done: int = strawberry.field(description="Runs that took every step.")
    exited: int = strawberry.field(description="Runs that left early (see their reason).")
    holdout: int = strawberry.field(description="Entrants held out: they receive nothing.")
    conversion: FlowConversion | None = strawberry.field(description="Null without a goal.")

    @classmethod
    def from_stats(cls, stats: FlowStats, definition: dict[str, object]) -> Flow:
        conversion = None
        if stats.goal is not None:
            conversion = FlowConversion(
                goal=stats.goal,
                treated_converted=stats.treated_converted,
                holdout_converted=stats.holdout_converted,
                treated_rate=stats.treated_rate,
                holdout_rate=stats.holdout_rate,
                lift=stats.lift,
            )
        return cls(
            name=stats.name,
            enabled=stats.enabled,
            declared_in=stats.declared_in,
            definition=JSON(definition),
            waiting=stats.waiting,
            done=stats.done,
            exited=stats.exited,
            holdout=stats.holdout,
            conversion=conversion,
        )


@strawberry.type(description="One profile's way through a flow.")
class FlowRun:
    flow: str = strawberry.field(description="The flow.")
    profile_id: strawberry.ID = strawberry.field(description="The profile.")
    status: str = strawberry.field(description="waiting, done, exited or holdout.")
    step: int = strawberry.field(description="The next step's index.")
    entered_at: datetime = strawberry.field(description="When it entered.")
    wait_until: datetime | None = strawberry.field(description="When it takes its next step.")
    finished_at: datetime | None = strawberry.field(description="When it finished.")
    exit_reason: str | None = strawberry.field(description="Why it left early.")
    log: JSON = strawberry.field(description="What each step did, in order.")


def _flows(session: Session) -> list[Flow]:
    rows = session.execute(select(models.Flow.name, models.Flow.definition))
    definitions: dict[str, dict[str, object]] = {row[0]: row[1] for row in rows}
    return [Flow.from_stats(s, dict(definitions[s.name])) for s in flow_stats(session)]


def _runs(session: Session, profile_id: str | None, flow: str | None, first: int) -> list[FlowRun]:
    r, f = models.FlowRun, models.Flow
    query = select(r, f.name).join(f, f.id == r.flow_id).order_by(r.id.desc()).limit(first)
    if profile_id is not None:
        query = query.where(r.profile_id == profile_id)
    if flow is not None:
        query = query.where(f.name == flow)
    return [
        FlowRun(
            flow=name, profile_id=strawberry.ID(run.profile_id), status=run.status,
            step=run.step, entered_at=run.entered_at, wait_until=run.wait_until,
            finished_at=run.finished_at, exit_reason=run.exit_reason, log=JSON(run.log),
        )
        for run, name in session.execute(query)
    ]  # fmt: skip


@strawberry.type
class FlowQuery:
    @strawberry.field(
        description="Flows with their counts and conversion lift (roles: admin, analyst).",
        permission_classes=requires(ANALYSTS),
    )
    async def flows(self, info: Info) -> list[Flow]:
        async with info.context.sessionmaker() as session:
            return await session.run_sync(_flows)

    @strawberry.field(
        description="The latest flow runs, of a profile or a flow (roles: admin, analyst).",
        permission_classes=requires(ANALYSTS),
    )
    async def flow_runs(
        self,
        info: Info,
        profile_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this profile's.")
        ] = None,
        flow: Annotated[str | None, strawberry.argument(description="Only this flow's.")] = None,
        first: Annotated[int, strawberry.argument(description="At most this many (max 100).")] = 20,
    ) -> list[FlowRun]:
        limit = max(1, min(first, 100))
        pid = None if profile_id is None else str(profile_id)
        async with info.context.sessionmaker() as session:
            return await session.run_sync(lambda s: _runs(s, pid, flow, limit))


FlowResult = Annotated[
    Flow | NotFound | InvalidInput | Conflict | Forbidden,
    strawberry.union("FlowResult", description="The flow, or why not."),
]


def _admin(info: Info) -> None:
    reason = denial(info.context.role, ONLY_ADMIN, info.field_name)
    if reason is not None:
        raise RoleDeniedError(info.context.role, reason)


def _one(session: Session, name: str) -> Flow:
    [found] = [flow for flow in _flows(session) if flow.name == name]
    return found


async def _save(info: Info, name: str, definition: JSON, *, replace: bool) -> Flow:
    _admin(info)
    if not isinstance(definition, dict):
        raise InvalidInputError("definition", "a flow's definition is a JSON object")
    try:
        spec = parse_flow(name, definition)
    except ConfigError as exc:
        raise InvalidInputError("definition", "; ".join(exc.problems)) from None

    def work(session: Session) -> Flow:
        save_flow(session, spec, replace=replace)
        return _one(session, name)

    async with info.context.sessionmaker.begin() as session:
        return await session.run_sync(work)


Name = Annotated[str, strawberry.argument(description="The flow's unique name.")]
Definition = Annotated[
    JSON,
    strawberry.argument(
        description="As in cdp.toml: {trigger, steps, goal, goalDays, holdout, reenter, exit} "
        "(keys in snake_case, e.g. `goal_days`)."
    ),
]


@strawberry.type
class FlowMutation:
    @strawberry.mutation(description="Create a flow (role: admin); it starts at once.")
    async def create_flow(self, info: Info, name: Name, definition: Definition) -> FlowResult:
        return await _save(info, name, definition, replace=False)

    @strawberry.mutation(description="Replace a flow made in GraphQL (role: admin).")
    async def replace_flow(self, info: Info, name: Name, definition: Definition) -> FlowResult:
        return await _save(info, name, definition, replace=True)

    @strawberry.mutation(
        description="Switch a flow off (no one enters; waiting runs exit) or on (role: admin)."
    )
    async def set_flow_enabled(
        self,
        info: Info,
        name: Name,
        enabled: Annotated[bool, strawberry.argument(description="On (true) or off.")],
    ) -> FlowResult:
        _admin(info)

        def work(session: Session) -> Flow:
            set_flow_enabled(session, name, enabled)
            return _one(session, name)

        async with info.context.sessionmaker.begin() as session:
            return await session.run_sync(work)
