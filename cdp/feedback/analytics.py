"""Feedback figures, computed in SQL on both backends: counts by kind, topic, sentiment,
channel, language or status per day or week; NPS, CSAT, ratings and sentiment; the share of
complaints resolved and the median time to resolve them. Each takes a `FeedbackFilter`, so
every figure is also available per segment, channel, time range...

Definitions (docs/feedback.md): NPS = % promoters (9-10) - % detractors (0-6) of the answers
with an NPS; CSAT average of the 1-5 answers and the satisfied share (4-5); a complaint is
resolved when its status is `resolved` or `closed`; time to resolve runs from when the
feedback was given (`occurred_at`) to `resolved_at`, and the median is taken in SQL (the
middle row, or the mean of the two middle rows, by `row_number()`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from cdp import models
from cdp.feedback.kinds import CLOSED_STATUSES, NPS_BANDS
from cdp.feedback.queries import FeedbackFilter, check_segment, filter_conditions

__all__ = [
    "DIMENSIONS",
    "INTERVALS",
    "CountBucket",
    "FeedbackSummary",
    "breakdown",
    "summarize",
    "summary_trend",
]

DIMENSIONS = ("kind", "topic", "sentiment", "channel", "language", "status")
INTERVALS = ("day", "week")


@dataclass(frozen=True)
class CountBucket:
    period: date | None
    key: str
    count: int


@dataclass(frozen=True)
class FeedbackSummary:
    period: date | None
    total: int
    positive: int
    neutral: int
    negative: int
    average_sentiment: float | None
    average_rating: float | None
    ratings: int
    nps_responses: int
    promoters: int
    passives: int
    detractors: int
    csat_responses: int
    average_csat: float | None
    csat_satisfied: int
    complaints: int
    complaints_resolved: int
    median_seconds_to_resolve: float | None = None

    @property
    def nps(self) -> float | None:
        if not self.nps_responses:
            return None
        return round(100.0 * (self.promoters - self.detractors) / self.nps_responses, 2)

    @property
    def csat_satisfied_share(self) -> float | None:
        return self.csat_satisfied / self.csat_responses if self.csat_responses else None

    @property
    def resolved_share(self) -> float | None:
        return self.complaints_resolved / self.complaints if self.complaints else None


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _period(dialect: str, interval: str) -> ColumnElement[Any]:
    """The day or the Monday of the week a row happened, as 'YYYY-MM-DD' (UTC)."""
    at = models.Feedback.occurred_at
    if interval not in INTERVALS:
        raise ValueError(f"interval {interval!r} is not one of {', '.join(INTERVALS)}")
    if dialect == "postgresql":
        utc = func.timezone("UTC", at)
        return func.to_char(func.date_trunc(interval, utc), "YYYY-MM-DD")
    if interval == "week":
        return func.date(at, "weekday 0", "-6 days")
    return func.date(at)


def _key(by: str) -> ColumnElement[Any]:
    f = models.Feedback
    columns: dict[str, Any] = {
        "kind": f.kind,
        "sentiment": func.coalesce(f.sentiment_label, "pending"),
        "channel": f.channel,
        "language": func.coalesce(f.language, "pending"),
        "status": f.status,
        "topic": models.FeedbackTopic.topic,
    }
    if by not in columns:
        raise ValueError(f"dimension {by!r} is not one of {', '.join(DIMENSIONS)}")
    chosen: ColumnElement[Any] = columns[by]
    return chosen


async def breakdown(
    session: AsyncSession, *, where: FeedbackFilter, by: str, interval: str | None = None
) -> list[CountBucket]:
    """Counts of matching feedback per value of `by` (per day or week when `interval`)."""
    await check_segment(session, where)
    key = _key(by).label("key")
    period = _period(_dialect(session), interval).label("period") if interval else None
    columns: list[ColumnElement[Any]] = [key, func.count().label("n")]
    if period is not None:
        columns.insert(0, period)
    statement = select(*columns).select_from(models.Feedback)
    if by == "topic":
        t = models.FeedbackTopic
        statement = statement.join(t, t.feedback_id == models.Feedback.id)
    groups = [period, key] if period is not None else [key]
    statement = statement.where(*filter_conditions(where)).group_by(*groups).order_by(*groups)
    rows = (await session.execute(statement)).all()
    return [
        CountBucket(
            period=date.fromisoformat(row.period) if period is not None else None,
            key=str(row.key),
            count=int(row.n),
        )
        for row in rows
    ]


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _summary_columns() -> list[ColumnElement[Any]]:
    f = models.Feedback
    complaint = f.kind == "complaint"
    return [
        func.count().label("total"),
        _count_if(f.sentiment_label == "positive").label("positive"),
        _count_if(f.sentiment_label == "neutral").label("neutral"),
        _count_if(f.sentiment_label == "negative").label("negative"),
        func.avg(f.sentiment).label("average_sentiment"),
        func.avg(f.rating).label("average_rating"),
        func.count(f.rating).label("ratings"),
        func.count(f.nps).label("nps_responses"),
        _count_if(f.nps.between(*NPS_BANDS["promoter"])).label("promoters"),
        _count_if(f.nps.between(*NPS_BANDS["passive"])).label("passives"),
        _count_if(f.nps.between(*NPS_BANDS["detractor"])).label("detractors"),
        func.count(f.csat).label("csat_responses"),
        func.avg(f.csat).label("average_csat"),
        _count_if(f.csat >= 4).label("csat_satisfied"),
        _count_if(complaint).label("complaints"),
        _count_if(complaint & f.status.in_(CLOSED_STATUSES)).label("complaints_resolved"),
    ]


def _summary(row: Any, period: date | None, median: float | None) -> FeedbackSummary:
    def number(value: Any) -> float | None:
        return None if value is None else round(float(value), 4)

    return FeedbackSummary(
        period=period,
        total=int(row.total),
        positive=int(row.positive),
        neutral=int(row.neutral),
        negative=int(row.negative),
        average_sentiment=number(row.average_sentiment),
        average_rating=number(row.average_rating),
        ratings=int(row.ratings),
        nps_responses=int(row.nps_responses),
        promoters=int(row.promoters),
        passives=int(row.passives),
        detractors=int(row.detractors),
        csat_responses=int(row.csat_responses),
        average_csat=number(row.average_csat),
        csat_satisfied=int(row.csat_satisfied),
        complaints=int(row.complaints),
        complaints_resolved=int(row.complaints_resolved),
        median_seconds_to_resolve=median,
    )


def _seconds_to_resolve(dialect: str) -> ColumnElement[Any]:
    f = models.Feedback
    if dialect == "postgresql":
        return func.extract("epoch", f.resolved_at - f.occurred_at)
    return (func.julianday(f.resolved_at) - func.julianday(f.occurred_at)) * literal(86400.0)


def _median_statement(dialect: str, where: FeedbackFilter) -> Select[Any]:
    f = models.Feedback
    seconds = _seconds_to_resolve(dialect)
    ranked = (
        select(
            seconds.label("seconds"),
            func.row_number().over(order_by=seconds).label("position"),
            func.count().over().label("size"),
        )
        .where(*filter_conditions(where), f.kind == "complaint", f.resolved_at.is_not(None))
        .where(f.status.in_(CLOSED_STATUSES))
        .subquery()
    )
    middle = (ranked.c.position == (ranked.c.size + 1) // 2) | (
        ranked.c.position == (ranked.c.size + 2) // 2
    )
    return select(func.avg(ranked.c.seconds)).where(middle)


async def summarize(session: AsyncSession, *, where: FeedbackFilter) -> FeedbackSummary:
    """The headline figures of the matching feedback."""
    await check_segment(session, where)
    dialect = _dialect(session)
    statement = select(*_summary_columns()).select_from(models.Feedback)
    row = (await session.execute(statement.where(*filter_conditions(where)))).one()
    median = await session.scalar(_median_statement(dialect, where))
    return _summary(row, None, None if median is None else round(float(median), 1))


async def summary_trend(
    session: AsyncSession, *, where: FeedbackFilter, interval: str
) -> list[FeedbackSummary]:
    """The headline figures per day or week (the median time to resolve is left out)."""
    await check_segment(session, where)
    period = _period(_dialect(session), interval).label("period")
    statement = (
        select(period, *_summary_columns())
        .select_from(models.Feedback)
        .where(*filter_conditions(where))
        .group_by(period)
        .order_by(period)
    )
    rows = (await session.execute(statement)).all()
    return [_summary(row, date.fromisoformat(row.period), None) for row in rows]
