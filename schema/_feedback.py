"""Feedback in GraphQL: `feedback`, `feedbackList`, `feedbackAnalytics` (reads) and
`submitFeedback`, `changeFeedbackStatus`, `assignFeedback` (writes). Resolvers convert the
input and call `cdp.feedback`; a submission naming its customer by identifiers goes to the
intake the composition root put in the context (stored as a record and resolved)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from cdp.errors import InvalidInputError, NotFoundError
from cdp.feedback import queries, service, workflow
from cdp.feedback.taxonomy import taxonomy_for
from schema._access import EVERY_ROLE, WRITERS, requires
from schema._context import Context
from schema._enums import value_of
from schema._feedback_types import (
    Feedback,
    FeedbackAnalytics,
    FeedbackConnection,
    FeedbackFilter,
    FeedbackStatus,
    SubmitFeedbackInput,
)
from schema._paging import page_size
from schema._results import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    require_role,
    stored_id,
)

__all__ = ["FeedbackQuery", "FeedbackWrites"]

Info = strawberry.Info[Context, None]
FeedbackId = Annotated[strawberry.ID, strawberry.argument(description="The feedback's id.")]


@strawberry.type(description="The feedback was stored (analysed: language, sentiment, topics).")
class FeedbackSubmitted:
    feedback: Feedback = strawberry.field(description="The stored feedback.")


@strawberry.type(description="The feedback item after the change.")
class FeedbackUpdated:
    feedback: Feedback = strawberry.field(description="The item as it is now.")


SubmitFeedbackResult = Annotated[
    FeedbackSubmitted | NotFound | InvalidInput | Forbidden,
    strawberry.union("SubmitFeedbackResult", description="Stored, or why not."),
]
UpdateFeedbackResult = Annotated[
    FeedbackUpdated | NotFound | InvalidInput | Conflict | Forbidden,
    strawberry.union("UpdateFeedbackResult", description="Changed, or why not."),
]


def _feedback_id(value: strawberry.ID) -> int:
    found = stored_id(value)
    if found is None:
        raise NotFoundError("feedback", str(value))
    return found


def _submission(data: SubmitFeedbackInput) -> service.FeedbackSubmission:
    return service.FeedbackSubmission(
        channel=value_of(data.channel),
        kind=value_of(data.kind),
        text=data.text,
        rating=data.rating,
        nps=data.nps,
        csat=data.csat,
        topic=data.topic,
        product_ref=data.product_ref,
        order_ref=data.order_ref,
        occurred_at=data.occurred_at,
    )


async def _load(info: Info, feedback_id: int) -> Feedback:
    async with info.context.readers() as session:
        row = await queries.find_feedback(session, feedback_id)
    if row is None:
        raise NotFoundError("feedback", str(feedback_id))
    return Feedback.from_model(row)


@strawberry.type
class FeedbackQuery:
    @strawberry.field(
        description="A feedback item by id (null when unknown).",
        permission_classes=requires(EVERY_ROLE),
    )
    async def feedback(self, info: Info, id: FeedbackId) -> Feedback | None:
        try:
            return await _load(info, _feedback_id(id))
        except NotFoundError:
            return None

    @strawberry.field(
        description="Feedback matching a filter, newest first, in pages.",
        permission_classes=requires(EVERY_ROLE),
    )
    async def feedback_list(
        self,
        info: Info,
        filter: Annotated[
            FeedbackFilter | None, strawberry.argument(description="Conditions (default: all).")
        ] = None,
        first: Annotated[
            int | None, strawberry.argument(description="Page size, at most the server maximum.")
        ] = None,
        after: Annotated[
            str | None, strawberry.argument(description="The `endCursor` of the previous page.")
        ] = None,
    ) -> FeedbackConnection:
        size = page_size(info, first)
        where = (filter or FeedbackFilter()).to_service()
        async with info.context.readers() as session:
            page = await queries.list_feedback(session, where=where, first=size, after=after)
        return FeedbackConnection.from_page(page, where, after)

    @strawberry.field(
        description=(
            "Feedback figures (counts by kind, topic, sentiment, channel over time; NPS; CSAT; "
            "complaints resolved and the median time to resolve) for a filter, e.g. a segment."
        ),
        permission_classes=requires(EVERY_ROLE),
    )
    def feedback_analytics(
        self,
        filter: Annotated[
            FeedbackFilter | None, strawberry.argument(description="Conditions (default: all).")
        ] = None,
        segment_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only the current members of this segment."),
        ] = None,
    ) -> FeedbackAnalytics:
        chosen = filter or FeedbackFilter()
        if segment_id is not None:
            chosen.segment_id = segment_id
        return FeedbackAnalytics(where=chosen.to_service())


@strawberry.type
class FeedbackWrites:
    @strawberry.mutation(
        description=(
            "Store customer feedback, named by profile id or by identifiers; it is analysed "
            "(language, sentiment, topics) on the way in (roles: admin, app)."
        )
    )
    async def submit_feedback(
        self,
        info: Info,
        input: Annotated[SubmitFeedbackInput, strawberry.argument(description="What to store.")],
    ) -> SubmitFeedbackResult:
        require_role(info, WRITERS)
        data = _submission(input)
        has_identifiers = bool(input.identifiers)
        if (input.profile_id is None) == (not has_identifiers):
            raise InvalidInputError(
                "profileId", "name the customer by profileId or by identifiers (exactly one)"
            )
        if input.profile_id is not None:
            taxonomy = taxonomy_for(info.context.settings.feedback_topics_file)
            async with info.context.sessionmaker.begin() as session:
                row = await service.submit_feedback(
                    session, str(input.profile_id), data, actor=info.context.actor,
                    taxonomy=taxonomy,
                )  # fmt: skip
            feedback_id = row.id
        else:
            feedback_id = await _intake(info, input, data)
        return FeedbackSubmitted(feedback=await _load(info, feedback_id))

    @strawberry.mutation(
        description=(
            "Move a feedback item to another status (open, in progress, resolved, closed); "
            "resolving needs a note. Recorded in its history (roles: admin, app)."
        )
    )
    async def change_feedback_status(
        self,
        info: Info,
        id: FeedbackId,
        status: Annotated[FeedbackStatus, strawberry.argument(description="The new status.")],
        note: Annotated[
            str | None, strawberry.argument(description="Why; the resolution note when resolving.")
        ] = None,
    ) -> UpdateFeedbackResult:
        require_role(info, WRITERS)
        feedback_id = _feedback_id(id)
        async with info.context.sessionmaker.begin() as session:
            await workflow.change_status(
                session, feedback_id, value_of(status), actor=info.context.actor, note=note
            )
        return FeedbackUpdated(feedback=await _load(info, feedback_id))

    @strawberry.mutation(
        description=(
            "Give a feedback item to someone (null to unassign); an open item becomes in "
            "progress. Recorded in its history (roles: admin, app)."
        )
    )
    async def assign_feedback(
        self,
        info: Info,
        id: FeedbackId,
        assignee: Annotated[
            str | None, strawberry.argument(description="Who works on it; null unassigns.")
        ] = None,
    ) -> UpdateFeedbackResult:
        require_role(info, WRITERS)
        feedback_id = _feedback_id(id)
        async with info.context.sessionmaker.begin() as session:
            await workflow.assign_feedback(session, feedback_id, assignee, actor=info.context.actor)
        return FeedbackUpdated(feedback=await _load(info, feedback_id))


async def _intake(info: Info, input: SubmitFeedbackInput, data: service.FeedbackSubmission) -> int:
    intake = info.context.feedback_intake
    if intake is None:
        raise InvalidInputError(
            "identifiers", "this server takes feedback by profileId only (no intake configured)"
        )
    identifiers: dict[str, str] = {}
    for given in input.identifiers or []:
        kind = value_of(given.kind)
        if kind in identifiers and identifiers[kind] != given.value:
            raise InvalidInputError("identifiers", f"two different {kind} values; give one")
        identifiers[kind] = given.value
    return await intake(
        identifiers,
        data,
        actor=info.context.actor,
        full_name=input.full_name,
        external_id=input.external_id,
    )
