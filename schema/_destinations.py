"""Destinations in GraphQL: list them with their health (admin, analyst); create, replace,
delete, switch off and on, and replay dead deliveries (admin). Services: `cdp.activation`."""

from __future__ import annotations

import enum
import os
from datetime import datetime
from typing import Annotated, Any

import strawberry

from cdp import activation, models
from cdp.activation import manage
from schema._access import ANALYSTS, ONLY_ADMIN, denial, requires
from schema._context import Context
from schema._enums import value_of
from schema._results import Conflict, Forbidden, InvalidInput, NotFound, RoleDeniedError

Info = strawberry.Info[Context, None]


@strawberry.enum(description="How a destination receives changes.")
class DestinationKind(enum.Enum):
    WEBHOOK = strawberry.enum_value("webhook", description="A signed JSON POST per change.")
    FILE = strawberry.enum_value("file", description="JSON Lines or CSV, one file a day.")
    MAILCHIMP = strawberry.enum_value(
        "mailchimp", description="Mailchimp audience members, tags and events."
    )


@strawberry.type(description="How a destination is doing.")
class DestinationHealth:
    delivered: int = strawberry.field(description="Deliveries it accepted.")
    dead: int = strawberry.field(description="Deliveries that failed for good (replayable).")
    pending: int = strawberry.field(description="Deliveries waiting to be sent or being sent.")
    retrying: int = strawberry.field(description="Of the pending, those that failed before.")
    skipped: int = strawberry.field(description="Not sent: no consent, or nothing to send.")
    lag_seconds: float = strawberry.field(
        description="How long the oldest undelivered change has waited (0: none waits)."
    )
    last_delivered_at: datetime | None = strawberry.field(description="The latest delivery.")
    last_error: str | None = strawberry.field(description="The latest failure's reason.")


@strawberry.type(description="Where activation sends changes (docs/activation.md).")
class Destination:
    name: str = strawberry.field(description="Its unique name.")
    kind: DestinationKind = strawberry.field(description="Webhook, file drop or Mailchimp.")
    url: str | None = strawberry.field(description="Webhook: where it posts.")
    secret_env: str | None = strawberry.field(description="Webhook: the secret's variable.")
    path: str | None = strawberry.field(description="File: the directory it writes to.")
    format: str | None = strawberry.field(description="File: jsonl or csv.")
    list_id: str | None = strawberry.field(description="Mailchimp: the audience id.")
    api_key_env: str | None = strawberry.field(description="Mailchimp: the key's variable.")
    purpose: str | None = strawberry.field(
        description="The consent purpose a profile must have granted (null: no filter)."
    )
    events: list[str] = strawberry.field(description="Event names it receives (`*`: all).")
    segments: list[str] = strawberry.field(description="Segments whose entries and exits.")
    traits: list[str] = strawberry.field(description="Traits whose changes it receives.")
    rate_limit: float = strawberry.field(description="Deliveries per second at most.")
    max_attempts: int = strawberry.field(description="Attempts before a delivery is dead.")
    enabled: bool = strawberry.field(description="Whether changes are queued for it.")
    declared_in: str = strawberry.field(description="`cdp.toml` or `graphql`.")
    health: DestinationHealth = strawberry.field(description="Counts and lag.")

    @classmethod
    def from_model(cls, row: models.Destination, health: Any) -> Destination:
        config = row.config
        return cls(
            name=row.name, kind=DestinationKind(row.kind), url=config.get("url"),
            secret_env=config.get("secret_env"), path=config.get("path"),
            format=config.get("format"), list_id=config.get("list_id"),
            api_key_env=config.get("api_key_env"), purpose=row.purpose,
            events=list(row.events), segments=list(row.segments), traits=list(row.traits),
            rate_limit=row.rate_limit, max_attempts=row.max_attempts, enabled=row.enabled,
            declared_in=row.declared_in,
            health=DestinationHealth(
                delivered=health.delivered, dead=health.dead, pending=health.pending,
                retrying=health.retrying, skipped=health.skipped,
                lag_seconds=health.lag_seconds, last_delivered_at=health.last_delivered_at,
                last_error=health.last_error,
            ),
        )  # fmt: skip


@strawberry.input(description="A destination's settings, as cdp.toml takes them.")
class DestinationInput:
    name: str = strawberry.field(description="Unique: letters, digits, `_`, `-`.")
    kind: DestinationKind = strawberry.field(description="Webhook, file drop or Mailchimp.")
    url: str | None = strawberry.field(default=None, description="Webhook: where to post.")
    secret_env: str | None = strawberry.field(
        default=None, description="Webhook: the server's environment variable with the secret."
    )
    path: str | None = strawberry.field(default=None, description="File: a directory.")
    format: str | None = strawberry.field(default=None, description="File: jsonl or csv.")
    list_id: str | None = strawberry.field(default=None, description="Mailchimp: audience id.")
    api_key_env: str | None = strawberry.field(
        default=None, description="Mailchimp: the variable with the API key."
    )
    purpose: str | None = strawberry.field(default=None, description="Consent purpose.")
    events: list[str] | None = strawberry.field(default=None, description="Event names.")
    segments: list[str] | None = strawberry.field(default=None, description="Segment names.")
    traits: list[str] | None = strawberry.field(default=None, description="Trait names.")
    rate_limit: float | None = strawberry.field(default=None, description="Per second.")
    max_attempts: int | None = strawberry.field(default=None, description="Then dead.")

    def to_table(self) -> dict[str, Any]:
        table = {key: getattr(self, key) for key in (
            "url", "secret_env", "path", "format", "list_id", "api_key_env", "purpose",
            "events", "segments", "traits", "rate_limit", "max_attempts",
        )}  # fmt: skip
        return {"kind": value_of(self.kind), **table}


@strawberry.type(description="The destination was deleted, with its deliveries.")
class DestinationDeleted:
    name: str = strawberry.field(description="The deleted destination.")
    deliveries: int = strawberry.field(description="How many of its deliveries went with it.")


@strawberry.type(description="Deliveries were made pending again; the worker sends them.")
class DeliveriesReplayed:
    count: int = strawberry.field(description="How many.")


@strawberry.enum(description="Deliveries that can be replayed.")
class ReplayableStatus(enum.Enum):
    DEAD = strawberry.enum_value("dead", description="Failed for good.")
    SKIPPED = strawberry.enum_value("skipped", description="Not sent (e.g. no consent then).")
    DELIVERED = strawberry.enum_value("delivered", description="Sent already: send again.")


DestinationResult = Annotated[
    Destination | NotFound | InvalidInput | Conflict | Forbidden,
    strawberry.union("DestinationResult", description="The destination, or why not."),
]
DeleteDestinationResult = Annotated[
    DestinationDeleted | NotFound | Conflict | Forbidden,
    strawberry.union("DeleteDestinationResult", description="Deleted, or why not."),
]
ReplayDeliveriesResult = Annotated[
    DeliveriesReplayed | NotFound | Forbidden,
    strawberry.union("ReplayDeliveriesResult", description="Replayed, or why not."),
]


def _admin(info: Info) -> None:
    reason = denial(info.context.role, ONLY_ADMIN, info.field_name)
    if reason is not None:
        raise RoleDeniedError(info.context.role, reason)


async def _write(info: Info, work: Any) -> Destination:
    async with info.context.sessionmaker.begin() as session:
        return await session.run_sync(lambda sync: _view(sync, work(sync)))


def _view(session: Any, row: models.Destination) -> Destination:
    by_name = {h.name: h for h in activation.health(session)}
    return Destination.from_model(row, by_name[row.name])


@strawberry.type
class DestinationQuery:
    @strawberry.field(
        description="Destinations with their health (roles: admin, analyst).",
        permission_classes=requires(ANALYSTS),
    )
    async def destinations(self, info: Info) -> list[Destination]:
        async with info.context.sessionmaker() as session:
            return await session.run_sync(
                lambda sync: [_view(sync, row) for row in manage.list_destinations(sync)]
            )


@strawberry.type
class DestinationMutation:
    @strawberry.mutation(description="Create a destination (role: admin).")
    async def create_destination(
        self,
        info: Info,
        input: Annotated[DestinationInput, strawberry.argument(description="Its settings.")],
    ) -> DestinationResult:
        _admin(info)
        table, environ = input.to_table(), dict(os.environ)
        return await _write(
            info, lambda s: manage.create_destination(s, input.name, table, environ)
        )

    @strawberry.mutation(
        description="Replace every setting of a destination made in GraphQL (role: admin)."
    )
    async def replace_destination(
        self,
        info: Info,
        input: Annotated[DestinationInput, strawberry.argument(description="Its new settings.")],
    ) -> DestinationResult:
        _admin(info)
        table, environ = input.to_table(), dict(os.environ)
        return await _write(
            info, lambda s: manage.replace_destination(s, input.name, table, environ)
        )

    @strawberry.mutation(description="Switch a destination off or on (role: admin).")
    async def set_destination_enabled(
        self,
        info: Info,
        name: Annotated[str, strawberry.argument(description="The destination.")],
        enabled: Annotated[bool, strawberry.argument(description="On (true) or off.")],
    ) -> DestinationResult:
        _admin(info)
        return await _write(info, lambda s: manage.set_enabled(s, name, enabled))

    @strawberry.mutation(
        description="Delete a destination made in GraphQL and its deliveries (role: admin)."
    )
    async def delete_destination(
        self, info: Info, name: Annotated[str, strawberry.argument(description="The destination.")]
    ) -> DeleteDestinationResult:
        _admin(info)
        async with info.context.sessionmaker.begin() as session:
            count = await session.run_sync(lambda s: manage.delete_destination(s, name))
        return DestinationDeleted(name=name, deliveries=count)

    @strawberry.mutation(
        description="Make a destination's dead (or other) deliveries pending again (role: admin)."
    )
    async def replay_deliveries(
        self,
        info: Info,
        destination: Annotated[str, strawberry.argument(description="The destination.")],
        status: Annotated[
            ReplayableStatus, strawberry.argument(description="Which deliveries (default: dead).")
        ] = ReplayableStatus.DEAD,
    ) -> ReplayDeliveriesResult:
        _admin(info)
        async with info.context.sessionmaker.begin() as session:
            count = await session.run_sync(
                lambda s: activation.replay(s, destination=destination, statuses=[value_of(status)])
            )
        return DeliveriesReplayed(count=count)
