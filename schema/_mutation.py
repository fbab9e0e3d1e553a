"""The write root. Each mutation field is one unit of work (`sessionmaker.begin()`); expected
failures come back as result types (`NotFound`, `InvalidInput`, `Forbidden`...)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from cdp import models
from cdp.services import feedback as feedback_service
from schema._access import WRITERS, denial
from schema._context import Context
from schema._enums import Channel, ConsentState, FeedbackKind, channel_of, value_of
from schema._results import Forbidden, InvalidInput, NotFound, RoleDeniedError

Info = strawberry.Info[Context, None]


@strawberry.type(description="A piece of customer feedback.")
class Feedback:
    id: strawberry.ID = strawberry.field(description="The feedback's id.")
    profile_id: strawberry.ID = strawberry.field(description="The profile it belongs to.")
    channel: Channel = strawberry.field(description="Where it was given.")
    kind: FeedbackKind = strawberry.field(description="What kind of feedback.")
    rating: int | None = strawberry.field(description="Stars, 1 to 5.")
    text: str | None = strawberry.field(description="What the customer wrote.")
    topic: str | None = strawberry.field(description="What it is about.")
    occurred_at: datetime = strawberry.field(description="When it was given.")

    @classmethod
    def from_model(cls, row: models.Feedback) -> Feedback:
        return cls(
            id=strawberry.ID(str(row.id)),
            profile_id=strawberry.ID(row.profile_id or ""),
            channel=channel_of(row.channel),
            kind=FeedbackKind(row.kind),
            rating=row.rating,
            text=row.text,
            topic=row.topic,
            occurred_at=row.occurred_at,
        )


@strawberry.input(description="Feedback an app received from a customer.")
class SubmitFeedbackInput:
    profile_id: strawberry.ID = strawberry.field(description="Whose feedback (merged ids follow).")
    channel: Channel = strawberry.field(description="Where it was given.")
    kind: FeedbackKind = strawberry.field(description="What kind of feedback.")
    rating: int | None = strawberry.field(default=None, description="Stars, 1 to 5.")
    text: str | None = strawberry.field(default=None, description="What the customer wrote.")
    topic: str | None = strawberry.field(default=None, description="What it is about.")
    occurred_at: datetime | None = strawberry.field(
        default=None, description="When it was given (default: now)."
    )


@strawberry.type(description="The feedback was stored.")
class FeedbackSubmitted:
    feedback: Feedback = strawberry.field(description="The stored feedback.")


@strawberry.input(description="A consent change an app received from a customer.")
class SetConsentInput:
    profile_id: strawberry.ID = strawberry.field(description="Whose consent (merged ids follow).")
    purpose: str = strawberry.field(description="What for, e.g. `email_marketing`.")
    status: ConsentState = strawberry.field(description="Granted or revoked.")
    channel: Channel = strawberry.field(description="Where the customer said so.")
    reason: str | None = strawberry.field(default=None, description="Why, if given.")
    occurred_at: datetime | None = strawberry.field(
        default=None, description="When (default: now)."
    )


@strawberry.type(description="The consent change was stored; it is now the one in force.")
class ConsentSet:
    profile_id: strawberry.ID = strawberry.field(description="The (surviving) profile.")
    purpose: str = strawberry.field(description="The purpose.")
    status: ConsentState = strawberry.field(description="Granted or revoked.")
    occurred_at: datetime = strawberry.field(description="When it changed.")


SubmitFeedbackResult = Annotated[
    FeedbackSubmitted | NotFound | InvalidInput | Forbidden,
    strawberry.union("SubmitFeedbackResult", description="Stored, or why not."),
]
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
class FeedbackMutation:
    @strawberry.mutation(description="Store customer feedback for a profile (roles: admin, app).")
    async def submit_feedback(
        self,
        info: Info,
        input: Annotated[SubmitFeedbackInput, strawberry.argument(description="What to store.")],
    ) -> SubmitFeedbackResult:
        check_role(info, WRITERS)
        data = feedback_service.FeedbackInput(
            profile_id=str(input.profile_id),
            channel=value_of(input.channel),
            kind=value_of(input.kind),
            rating=input.rating,
            text=input.text,
            topic=input.topic,
            occurred_at=input.occurred_at,
        )
        async with info.context.sessionmaker.begin() as session:
            row = await feedback_service.submit_feedback(session, data, actor=info.context.actor)
        return FeedbackSubmitted(feedback=Feedback.from_model(row))

    @strawberry.mutation(description="Record a consent change for a profile (roles: admin, app).")
    async def set_consent(
        self,
        info: Info,
        input: Annotated[SetConsentInput, strawberry.argument(description="What to store.")],
    ) -> SetConsentResult:
        check_role(info, WRITERS)
        change = feedback_service.ConsentChange(
            profile_id=str(input.profile_id),
            channel=value_of(input.channel),
            purpose=input.purpose,
            status=value_of(input.status),
            reason=input.reason,
            occurred_at=input.occurred_at,
        )
        async with info.context.sessionmaker.begin() as session:
            row = await feedback_service.record_consent(session, change, actor=info.context.actor)
        return ConsentSet(
            profile_id=strawberry.ID(row.profile_id or ""),
            purpose=row.purpose,
            status=ConsentState(row.status),
            occurred_at=row.occurred_at,
        )
