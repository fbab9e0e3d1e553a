"""GraphQL types of customer feedback: enums made from the core's one definition of kinds,
statuses and labels (`cdp.feedback.kinds`), the `Feedback` object, inputs and figures."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.dataloader import DataLoader

from cdp import models
from cdp.feedback import analytics, queries, workflow
from cdp.feedback.kinds import (
    FEEDBACK_KINDS,
    FEEDBACK_STATUSES,
    KIND_DESCRIPTIONS,
    STATUS_DESCRIPTIONS,
)
from cdp.masking import mask_text
from cdp.services.paging import Page
from schema._context import Context
from schema._enums import Channel, IdentifierKind, channel_of, value_of
from schema._paging import Edge, PageInfo, aware

if TYPE_CHECKING:
    from collections.abc import Sequence

Info = strawberry.Info[Context, None]


def _enum(name: str, values: dict[str, str], description: str) -> Any:
    """A GraphQL enum of the core's values, each with its description."""
    members = {
        key.upper(): strawberry.enum_value(key, description=text) for key, text in values.items()
    }
    made: Any = enum.Enum(name, members)  # type: ignore[misc]
    return strawberry.enum(made, description=description)


if TYPE_CHECKING:  # made at run time from the core's tuples; to mypy, plain enums

    class FeedbackKind(enum.Enum): ...

    class FeedbackStatus(enum.Enum): ...

else:
    FeedbackKind = _enum("FeedbackKind", dict(KIND_DESCRIPTIONS), "Kinds of customer feedback.")
    FeedbackStatus = _enum(
        "FeedbackStatus", dict(STATUS_DESCRIPTIONS), "Where a feedback item is in its workflow."
    )


@strawberry.enum(description="The overall attitude of a piece of feedback.")
class Sentiment(enum.Enum):
    POSITIVE = strawberry.enum_value("positive", description="Satisfied, praising.")
    NEUTRAL = strawberry.enum_value("neutral", description="A question or no clear attitude.")
    NEGATIVE = strawberry.enum_value("negative", description="Dissatisfied, reporting a problem.")


@strawberry.enum(description="What feedback counts are grouped by.")
class FeedbackDimension(enum.Enum):
    KIND = strawberry.enum_value("kind", description="Complaint, praise, question...")
    TOPIC = strawberry.enum_value("topic", description="Taxonomy topic (one row per topic).")
    SENTIMENT = strawberry.enum_value("sentiment", description="Positive, neutral, negative.")
    CHANNEL = strawberry.enum_value("channel", description="Web, social, email, store.")
    LANGUAGE = strawberry.enum_value("language", description="Detected language (en, zh...).")
    STATUS = strawberry.enum_value("status", description="Open, in progress, resolved, closed.")


@strawberry.enum(description="The width of a time bucket (UTC; weeks start on Monday).")
class TimeInterval(enum.Enum):
    DAY = strawberry.enum_value("day", description="Calendar days.")
    WEEK = strawberry.enum_value("week", description="ISO weeks, labelled by their Monday.")


assert {m.value for m in FeedbackKind} == set(FEEDBACK_KINDS)
assert {m.value for m in FeedbackStatus} == set(FEEDBACK_STATUSES)


@strawberry.type(description="One change of a feedback item's status or assignee.")
class FeedbackStatusChange:
    from_status: FeedbackStatus | None = strawberry.field(description="Status before.")
    to_status: FeedbackStatus = strawberry.field(description="Status after.")
    actor: str = strawberry.field(description="Who changed it (an API key, a person).")
    note: str | None = strawberry.field(description="Why, or the resolution note.")
    changed_at: datetime = strawberry.field(description="When.")


def _history_loader(info: Info) -> DataLoader[int, list[models.FeedbackStatusChange]]:
    """One query for the history of every feedback item a request shows."""
    loader: DataLoader[int, list[models.FeedbackStatusChange]] | None = getattr(
        info.context, "_feedback_history", None
    )
    if loader is None:
        readers = info.context.readers

        async def load(ids: Sequence[int]) -> list[list[models.FeedbackStatusChange]]:
            async with readers() as session:
                found = await workflow.feedback_history(session, list(ids))
            return [found[i] for i in ids]

        loader = DataLoader(load_fn=load)
        info.context._feedback_history = loader  # type: ignore[attr-defined]
    return loader


@strawberry.type(description="A piece of customer feedback, analysed, with its workflow state.")
class Feedback:
    id: strawberry.ID = strawberry.field(description="The feedback's id.")
    profile_id: strawberry.ID = strawberry.field(description="The profile it belongs to.")
    channel: Channel = strawberry.field(description="Where it was given.")
    kind: FeedbackKind = strawberry.field(description="What kind of feedback.")
    written: strawberry.Private[str | None]
    rating: int | None = strawberry.field(description="Stars, 1 to 5.")
    nps: int | None = strawberry.field(description="Likelihood to recommend, 0 to 10.")
    csat: int | None = strawberry.field(description="Satisfaction, 1 to 5.")
    language: str | None = strawberry.field(description="Detected language: en, zh, ja, ko, und.")
    sentiment: float | None = strawberry.field(description="-1 (negative) to 1 (positive).")
    sentiment_label: Sentiment | None = strawberry.field(
        description="Positive, neutral or negative (null only while waiting for analysis)."
    )
    topics: list[str] = strawberry.field(description="Taxonomy topics it is about.")
    topic: str | None = strawberry.field(description="The source's own topic field, if any.")
    product_ref: str | None = strawberry.field(description="The product it is about.")
    order_ref: str | None = strawberry.field(description="The order it is about.")
    status: FeedbackStatus = strawberry.field(description="Workflow status.")
    assignee: str | None = strawberry.field(description="Who works on it.")
    resolution_note: str | None = strawberry.field(description="What was done about it.")
    resolved_at: datetime | None = strawberry.field(description="When it was resolved/closed.")
    occurred_at: datetime = strawberry.field(description="When it was given.")

    @strawberry.field(
        description="What the customer wrote (emails and phone numbers in it masked for analysts)."
    )
    def text(self, info: Info) -> str | None:
        if self.written and info.context.is_masked:
            return mask_text(self.written)
        return self.written

    @strawberry.field(description="Its status changes, oldest first.")
    async def history(self, info: Info) -> list[FeedbackStatusChange]:
        rows = await _history_loader(info).load(int(self.id))
        return [
            FeedbackStatusChange(
                from_status=FeedbackStatus(r.from_status) if r.from_status else None,
                to_status=FeedbackStatus(r.to_status),
                actor=r.actor,
                note=r.note,
                changed_at=r.changed_at,
            )
            for r in rows
        ]

    @classmethod
    def from_model(cls, row: models.Feedback, topics: list[str] | None = None) -> Feedback:
        label = row.sentiment_label
        return cls(
            id=strawberry.ID(str(row.id)),
            profile_id=strawberry.ID(row.profile_id or ""),
            channel=channel_of(row.channel),
            kind=FeedbackKind(row.kind),
            written=row.text,
            rating=row.rating,
            nps=row.nps,
            csat=row.csat,
            language=row.language,
            sentiment=row.sentiment,
            sentiment_label=Sentiment(label) if label else None,
            topics=topics if topics is not None else sorted(t.topic for t in row.topics),
            topic=row.topic,
            product_ref=row.product_ref,
            order_ref=row.order_ref,
            status=FeedbackStatus(row.status),
            assignee=row.assignee,
            resolution_note=row.resolution_note,
            resolved_at=row.resolved_at,
            occurred_at=row.occurred_at,
        )


@strawberry.input(description="Conditions on feedback, combined with AND; a list means any of.")
class FeedbackFilter:
    kinds: list[FeedbackKind] | None = strawberry.field(default=None, description="Kinds.")
    topics: list[str] | None = strawberry.field(default=None, description="Taxonomy topics.")
    sentiments: list[Sentiment] | None = strawberry.field(default=None, description="Labels.")
    channels: list[Channel] | None = strawberry.field(default=None, description="Channels.")
    statuses: list[FeedbackStatus] | None = strawberry.field(default=None, description="Statuses.")
    languages: list[str] | None = strawberry.field(default=None, description="e.g. en, zh.")
    since: datetime | None = strawberry.field(default=None, description="Given at or after this.")
    until: datetime | None = strawberry.field(default=None, description="Given before this.")
    segment_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only feedback of the segment's current members."
    )
    profile_id: strawberry.ID | None = strawberry.field(default=None, description="One profile.")
    assignee: str | None = strawberry.field(default=None, description="Assigned to this person.")

    def to_service(self) -> queries.FeedbackFilter:
        return queries.FeedbackFilter(
            kinds=tuple(value_of(k) for k in self.kinds or ()),
            topics=tuple(self.topics or ()),
            sentiments=tuple(value_of(s) for s in self.sentiments or ()),
            channels=tuple(value_of(c) for c in self.channels or ()),
            statuses=tuple(value_of(s) for s in self.statuses or ()),
            languages=tuple(self.languages or ()),
            since=aware("since", self.since),
            until=aware("until", self.until),
            segment_id=_segment_id(self.segment_id),
            profile_id=str(self.profile_id) if self.profile_id else None,
            assignee=self.assignee,
        )


def _segment_id(value: strawberry.ID | None) -> int | None:
    from cdp.errors import InvalidInputError

    if value is None:
        return None
    if not str(value).isdigit():
        raise InvalidInputError("segmentId", f"{value!r} is not a segment id (a number)")
    return int(value)


@strawberry.input(description="An identifier naming the customer.")
class IdentifierInput:
    kind: IdentifierKind = strawberry.field(description="Its kind.")
    value: str = strawberry.field(description="The identifier as the app knows it.")


@strawberry.input(
    description=(
        "Feedback an app received. Name the customer by `profileId` or by `identifiers` "
        "(exactly one of them): identifiers go through identity resolution like any record, "
        "so one nobody has seen yet creates a profile and a known one joins it."
    )
)
class SubmitFeedbackInput:
    channel: Channel = strawberry.field(description="Where it was given.")
    kind: FeedbackKind = strawberry.field(description="What kind (COMMENT when unknown).")
    profile_id: strawberry.ID | None = strawberry.field(
        default=None, description="Whose feedback (merged ids follow)."
    )
    identifiers: list[IdentifierInput] | None = strawberry.field(
        default=None, description="Or: identifiers of the customer (email, phone, customer id)."
    )
    full_name: str | None = strawberry.field(
        default=None, description="The customer's name, with `identifiers`."
    )
    external_id: str | None = strawberry.field(
        default=None,
        description="Your id of this feedback, with `identifiers`; resending it adds nothing.",
    )
    text: str | None = strawberry.field(default=None, description="What the customer wrote.")
    rating: int | None = strawberry.field(default=None, description="Stars, 1 to 5.")
    nps: int | None = strawberry.field(default=None, description="Likelihood to recommend, 0-10.")
    csat: int | None = strawberry.field(default=None, description="Satisfaction, 1 to 5.")
    topic: str | None = strawberry.field(default=None, description="Your own topic, if any.")
    product_ref: str | None = strawberry.field(default=None, description="Product it is about.")
    order_ref: str | None = strawberry.field(default=None, description="Order it is about.")
    occurred_at: datetime | None = strawberry.field(
        default=None, description="When it was given (default: now)."
    )


@strawberry.type(description="A page of feedback, newest first.")
class FeedbackConnection:
    edges: list[Edge[Feedback]] = strawberry.field(description="Feedback with cursors.")
    nodes: list[Feedback] = strawberry.field(description="The feedback alone.")
    page_info: PageInfo = strawberry.field(description="How to get the next page.")
    where: strawberry.Private[queries.FeedbackFilter]

    @strawberry.field(description="How many match the filter in all.")
    async def total_count(self, info: Info) -> int:
        async with info.context.readers() as session:
            summary = await analytics.summarize(session, where=self.where)
        return summary.total

    @classmethod
    def from_page(
        cls, page: Page[models.Feedback], where: queries.FeedbackFilter, after: str | None
    ) -> FeedbackConnection:
        nodes = [Feedback.from_model(row) for row in page.items]
        return cls(
            edges=[Edge(cursor=c, node=n) for c, n in zip(page.cursors, nodes, strict=True)],
            nodes=nodes,
            page_info=PageInfo(
                has_next_page=page.has_next,
                has_previous_page=after is not None,
                start_cursor=page.cursors[0] if page.cursors else None,
                end_cursor=page.end_cursor,
            ),
            where=where,
        )


@strawberry.type(description="How many feedback items have one value (in one time bucket).")
class FeedbackCount:
    period: date | None = strawberry.field(description="The day or week's Monday; null: all.")
    key: str = strawberry.field(description="The value (a kind, a topic, `negative`...).")
    count: int = strawberry.field(description="How many.")


@strawberry.type(description="Headline feedback figures (of a time bucket, or of all).")
class FeedbackSummary:
    period: date | None = strawberry.field(description="The day or week's Monday; null: all.")
    total: int = strawberry.field(description="Feedback items.")
    positive: int = strawberry.field(description="With positive sentiment.")
    neutral: int = strawberry.field(description="With neutral sentiment.")
    negative: int = strawberry.field(description="With negative sentiment.")
    average_sentiment: float | None = strawberry.field(description="Mean score, -1 to 1.")
    average_rating: float | None = strawberry.field(description="Mean stars of those rated.")
    nps: float | None = strawberry.field(
        description="Net Promoter Score: % promoters (9-10) minus % detractors (0-6), -100..100."
    )
    nps_responses: int = strawberry.field(description="Answers with an NPS.")
    promoters: int = strawberry.field(description="NPS 9-10.")
    passives: int = strawberry.field(description="NPS 7-8.")
    detractors: int = strawberry.field(description="NPS 0-6.")
    average_csat: float | None = strawberry.field(description="Mean CSAT, 1 to 5.")
    csat_responses: int = strawberry.field(description="Answers with a CSAT.")
    csat_satisfied_share: float | None = strawberry.field(description="Share of CSAT 4-5.")
    complaints: int = strawberry.field(description="Complaints.")
    complaints_resolved: int = strawberry.field(description="Complaints resolved or closed.")
    resolved_share: float | None = strawberry.field(description="Share of complaints resolved.")
    median_hours_to_resolve: float | None = strawberry.field(
        description="Median hours from a complaint to its resolution (null in a trend)."
    )

    @classmethod
    def from_service(cls, s: analytics.FeedbackSummary) -> FeedbackSummary:
        seconds = s.median_seconds_to_resolve
        return cls(
            period=s.period,
            total=s.total,
            positive=s.positive,
            neutral=s.neutral,
            negative=s.negative,
            average_sentiment=s.average_sentiment,
            average_rating=s.average_rating,
            nps=s.nps,
            nps_responses=s.nps_responses,
            promoters=s.promoters,
            passives=s.passives,
            detractors=s.detractors,
            average_csat=s.average_csat,
            csat_responses=s.csat_responses,
            csat_satisfied_share=s.csat_satisfied_share,
            complaints=s.complaints,
            complaints_resolved=s.complaints_resolved,
            resolved_share=s.resolved_share,
            median_hours_to_resolve=None if seconds is None else round(seconds / 3600, 2),
        )


@strawberry.type(description="Feedback figures for a filter (a segment, a channel, a period).")
class FeedbackAnalytics:
    where: strawberry.Private[queries.FeedbackFilter]

    @strawberry.field(description="Headline figures: sentiment, NPS, CSAT, resolution.")
    async def summary(self, info: Info) -> FeedbackSummary:
        async with info.context.readers() as session:
            found = await analytics.summarize(session, where=self.where)
        return FeedbackSummary.from_service(found)

    @strawberry.field(description="Counts per value of a dimension, per day or week if asked.")
    async def counts(
        self,
        info: Info,
        by: Annotated[FeedbackDimension, strawberry.argument(description="Group by this.")],
        interval: Annotated[
            TimeInterval | None,
            strawberry.argument(description="Per day or week; null: over the whole filter."),
        ] = None,
    ) -> list[FeedbackCount]:
        async with info.context.readers() as session:
            found = await analytics.breakdown(
                session,
                where=self.where,
                by=value_of(by),
                interval=value_of(interval) if interval else None,
            )
        return [FeedbackCount(period=b.period, key=b.key, count=b.count) for b in found]

    @strawberry.field(description="The headline figures per day or week (NPS trend...).")
    async def trend(
        self,
        info: Info,
        interval: Annotated[TimeInterval, strawberry.argument(description="Day or week.")],
    ) -> list[FeedbackSummary]:
        async with info.context.readers() as session:
            found = await analytics.summary_trend(
                session, where=self.where, interval=value_of(interval)
            )
        return [FeedbackSummary.from_service(s) for s in found]
