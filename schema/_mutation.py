"""The write root. Each mutation field is one unit of work (`sessionmaker.begin()`); expected
failures come back as result types (`NotFound`, `InvalidInput`, `Forbidden`...)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from cdp.consent import ANY_CHANNEL
from cdp.services import consent as consent_service
from schema._access import WRITERS, denial
from schema._context import Context
from schema._enums import Channel, ConsentState, value_of
from schema._feedback import FeedbackWrites
from schema._results import Forbidden, InvalidInput, NotFound, RoleDeniedError

Info = strawberry.Info[Context, None]


@strawberry.input(description="A consent decision an app received from a customer.")
class SetConsentInput:
    profile_id: strawberry.ID = strawberry.field(description="Whose consent (merged ids follow).")
    purpose: str = strawberry.field(
        description="What for: one of the configured purposes (`CDP_CONSENT_PURPOSES`), e.g. "
        "`email_marketing`."
    )
    status: ConsentState = strawberry.field(description="Granted, denied or revoked.")
    channel: Channel | None = strawberry.field(
        default=None, description="The channel the decision covers (null: every channel)."
    )
    reason: str | None = strawberry.field(default=None, description="Why, if given.")
    occurred_at: datetime | None = strawberry.field(
        default=None, description="When (default: now)."
    )


@strawberry.type(description="The consent change was stored; it is now the one in force.")
class ConsentSet:
    profile_id: strawberry.ID = strawberry.field(description="The (surviving) profile.")
    purpose: str = strawberry.field(description="The purpose.")
    status: ConsentState = strawberry.field(description="Granted, denied or revoked.")
    occurred_at: datetime = strawberry.field(description="When it changed.")


SetConsentResult = Annotated[
    ConsentSet | NotFound | InvalidInput | Forbidden,
    strawberry.union("SetConsentResult", description="Stored, or why not."),
]


def check_role(info: Info, allowed: frozenset[str]) -> None:
    """Raise `RoleDeniedError` (a typed `Forbidden` result) unless the caller may do this."""
    reason = denial(info.context.role, allowed, info.field_name)
    if reason is not None:
        raise RoleDeniedError(info.context.role, reason)


@strawberry.type
class FeedbackMutation(FeedbackWrites):
    """Feedback writes (`schema._feedback`) and consent."""

    @strawberry.mutation(description="Record a consent change for a profile (roles: admin, app).")
    async def set_consent(
        self,
        info: Info,
        input: Annotated[SetConsentInput, strawberry.argument(description="What to store.")],
    ) -> SetConsentResult:
        check_role(info, WRITERS)
        change = consent_service.ConsentChange(
            profile_id=str(input.profile_id),
            channel=ANY_CHANNEL if input.channel is None else value_of(input.channel),
            purpose=input.purpose,
            status=value_of(input.status),
            reason=input.reason,
            occurred_at=input.occurred_at,
        )
        async with info.context.sessionmaker.begin() as session:
            row = await consent_service.record_consent(
                session,
                change,
                actor=info.context.actor,
                purposes=info.context.settings.consent_purposes,
                key_id=info.context.key_id,
            )
        return ConsentSet(
            profile_id=strawberry.ID(row.profile_id or ""),
            purpose=row.purpose,
            status=ConsentState(row.status),
            occurred_at=row.occurred_at,
        )
