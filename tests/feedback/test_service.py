"""The feedback services on both backends: submit, the status workflow and its history,
the analysis batch step, filters, and the analytics figures computed in SQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from cdp.db import unit_of_work
from cdp.errors import ConflictError, InvalidInputError, NotFoundError
from cdp.feedback import analytics, queries, workflow
from cdp.feedback.batch import analyze_pending
from cdp.feedback.service import FeedbackSubmission, submit_feedback
from tests.schema.factories import make_profile

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday
Sessions = async_sessionmaker[AsyncSession]


async def _submit(sessions: Sessions, profile_id: str, **fields: object) -> int:
    data = FeedbackSubmission(**{"channel": "web", "kind": "review", **fields})  # type: ignore[arg-type]
    async with sessions.begin() as session:
        row = await submit_feedback(session, profile_id, data, actor="test")
        return row.id


def _profiles(session_factory: sessionmaker[Session], count: int) -> list[str]:
    with unit_of_work(session_factory) as session:
        return [make_profile(session).id for _ in range(count)]


async def test_submit_stores_language_sentiment_topics_and_refined_kind(
    session_factory: sessionmaker[Session], async_session_factory: Sessions
) -> None:
    (profile_id,) = _profiles(session_factory, 1)

    feedback_id = await _submit(
        async_session_factory, profile_id, kind="comment", text="快递太慢了，客服也不回消息"
    )

    async with async_session_factory() as session:
        row = await queries.find_feedback(session, feedback_id)
    assert row is not None
    assert (row.kind, row.language, row.sentiment_label, row.status) == (
        "complaint", "zh", "negative", "open",
    )  # fmt: skip
    assert sorted(t.topic for t in row.topics) == ["delivery", "service"]


async def test_submit_for_unknown_profile_is_not_found(async_session_factory: Sessions) -> None:
    with pytest.raises(NotFoundError):
        await _submit(async_session_factory, "p_nobody", text="hello")


async def test_workflow_records_every_change_and_refuses_bad_moves(
    session_factory: sessionmaker[Session], async_session_factory: Sessions
) -> None:
    (profile_id,) = _profiles(session_factory, 1)
    feedback_id = await _submit(async_session_factory, profile_id, kind="complaint", text="Late")

    async with async_session_factory.begin() as session:
        await workflow.assign_feedback(session, feedback_id, "mia", actor="lead")
    async with async_session_factory.begin() as session:
        with pytest.raises(InvalidInputError, match="resolving needs a resolution note"):
            await workflow.change_status(session, feedback_id, "resolved", actor="mia")
    async with async_session_factory.begin() as session:
        await workflow.change_status(
            session, feedback_id, "resolved", actor="mia", note="Refunded shipping"
        )
    async with async_session_factory.begin() as session:
        await workflow.change_status(session, feedback_id, "closed", actor="mia")
    async with async_session_factory.begin() as session:
        with pytest.raises(ConflictError, match="is 'closed' and cannot move to 'resolved'"):
            await workflow.change_status(session, feedback_id, "resolved", actor="mia")

    async with async_session_factory() as session:
        row = await queries.find_feedback(session, feedback_id)
        history = (await workflow.feedback_history(session, [feedback_id]))[feedback_id]
    assert row is not None
    assert (row.status, row.assignee, row.resolution_note) == ("closed", "mia", "Refunded shipping")
    assert row.resolved_at is not None
    assert [(h.from_status, h.to_status, h.actor, h.note) for h in history] == [
        ("open", "in_progress", "lead", "assigned to mia"),
        ("in_progress", "resolved", "mia", "Refunded shipping"),
        ("resolved", "closed", "mia", None),
    ]


async def test_reopening_clears_the_resolution_time(
    session_factory: sessionmaker[Session], async_session_factory: Sessions
) -> None:
    (profile_id,) = _profiles(session_factory, 1)
    feedback_id = await _submit(async_session_factory, profile_id, kind="complaint", text="Bad")
    async with async_session_factory.begin() as session:
        await workflow.change_status(session, feedback_id, "closed", actor="a")
        row = await workflow.change_status(session, feedback_id, "open", actor="a", note="again")

    assert (row.status, row.resolved_at) == ("open", None)


async def test_unknown_status_and_unknown_feedback_are_refused(
    async_session_factory: Sessions,
) -> None:
    async with async_session_factory.begin() as session:
        with pytest.raises(InvalidInputError, match="'done' is not one of open"):
            await workflow.change_status(session, 1, "done", actor="a")
        with pytest.raises(NotFoundError):
            await workflow.change_status(session, 999_999, "closed", actor="a")


def test_analyze_pending_fills_rows_ingest_stored_and_can_redo_all(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        profile = make_profile(session)
        for text in ("Love it, thanks!", "包装破损，很失望", None):
            session.add(
                models.Feedback(
                    profile_id=profile.id,
                    channel="social",
                    kind="comment",
                    text=text,
                    rating=2 if text is None else None,
                    occurred_at=T0,
                )
            )

    with unit_of_work(session_factory) as session:
        first = analyze_pending(session)
    with unit_of_work(session_factory) as session:
        again = analyze_pending(session)
    with unit_of_work(session_factory) as session:
        redo = analyze_pending(session, everything=True, batch_size=2)

    with session_factory() as session:
        rows = session.scalars(select(models.Feedback).order_by(models.Feedback.id)).all()
        found = [(r.kind, r.language, r.sentiment_label) for r in rows]
        topics = session.scalars(select(models.FeedbackTopic.topic)).all()
    assert (first.analysed, again.analysed, redo.analysed) == (3, 0, 3)
    assert first.by_label == {"positive": 1, "negative": 2}
    assert found == [
        ("praise", "en", "positive"),
        ("complaint", "zh", "negative"),
        ("comment", "und", "negative"),
    ]
    # 包装 (packaging) is a weak delivery word: 破损 (damaged) names quality, so quality alone
    assert sorted(topics) == ["quality"]


async def _world(session_factory: sessionmaker[Session], sessions: Sessions) -> dict[str, object]:
    """Five people: NPS 10, 9, 9, 7, 2 and CSAT 5, 4, 2 over two weeks; two complaints, one
    resolved after 10 hours, one after 30 (median 20 hours); three people in a segment."""
    people = _profiles(session_factory, 5)
    ids = []
    for day, (person, nps, text) in enumerate(
        zip(people, (10, 9, 9, 7, 2), ("Great", "Fast delivery", "好", "ok", "Awful"), strict=True)
    ):
        at = T0 + timedelta(days=day * 3)
        ids.append(await _submit(sessions, person, kind="survey", nps=nps, text=text,
                                 occurred_at=at))  # fmt: skip
    for person, csat in zip(people, (5, 4, 2), strict=False):
        await _submit(sessions, person, kind="survey", csat=csat, occurred_at=T0)
    late = await _submit(sessions, people[4], kind="complaint", text="Parcel late", occurred_at=T0)
    broken = await _submit(sessions, people[3], kind="complaint", text="Broken", occurred_at=T0)
    await _submit(sessions, people[2], kind="complaint", text="Still waiting", occurred_at=T0)
    async with sessions.begin() as session:
        await workflow.change_status(session, late, "resolved", actor="a", note="x",
                                     at=T0 + timedelta(hours=10))  # fmt: skip
        await workflow.change_status(session, broken, "closed", actor="a",
                                     at=T0 + timedelta(hours=30))  # fmt: skip
    with unit_of_work(session_factory) as session:
        segment = models.Segment(name="vip", definition={})
        session.add(segment)
        session.flush()
        for person in people[2:]:
            session.add(models.SegmentMembership(segment_id=segment.id, profile_id=person))
        segment_id = segment.id
    return {"people": people, "segment_id": segment_id}


async def test_summary_has_nps_csat_and_resolution_figures(
    session_factory: sessionmaker[Session], async_session_factory: Sessions
) -> None:
    await _world(session_factory, async_session_factory)

    async with async_session_factory() as session:
        summary = await analytics.summarize(session, where=queries.FeedbackFilter())

    assert (summary.promoters, summary.passives, summary.detractors) == (3, 1, 1)
    assert summary.nps == 40.0
    assert summary.average_csat == pytest.approx(11 / 3, abs=1e-3)
    assert summary.csat_satisfied_share == pytest.approx(2 / 3)
    assert (summary.complaints, summary.complaints_resolved) == (3, 2)
    assert summary.resolved_share == pytest.approx(2 / 3)
    assert summary.median_seconds_to_resolve == pytest.approx(20 * 3600, abs=1)
    assert summary.total == 11


async def test_figures_per_segment_count_only_current_members(
    session_factory: sessionmaker[Session], async_session_factory: Sessions
) -> None:
    world = await _world(session_factory, async_session_factory)
    where = queries.FeedbackFilter(segment_id=int(world["segment_id"]))  # type: ignore[call-overload]

    async with async_session_factory() as session:
        summary = await analytics.summarize(session, where=where)
        kinds = await analytics.breakdown(session, where=where, by="kind")

    assert (summary.promoters, summary.passives, summary.detractors) == (1, 1, 1)
    assert summary.nps == 0.0
    assert summary.average_csat == 2.0
    assert (summary.complaints, summary.complaints_resolved) == (3, 2)
    assert {(b.key, b.count) for b in kinds} == {("survey", 4), ("complaint", 3)}


async def test_counts_per_day_and_week_by_each_dimension(
    session_factory: sessionmaker[Session], async_session_factory: Sessions
) -> None:
    await _world(session_factory, async_session_factory)
    where = queries.FeedbackFilter(kinds=("survey",))

    async with async_session_factory() as session:
        weekly = await analytics.breakdown(session, where=where, by="channel", interval="week")
        daily = await analytics.breakdown(session, where=where, by="language", interval="day")
        topics = await analytics.breakdown(session, where=queries.FeedbackFilter(), by="topic")
        trend = await analytics.summary_trend(session, where=where, interval="week")

    monday = T0.date()
    assert [(b.period, b.key, b.count) for b in weekly] == [
        (monday, "web", 6), (monday + timedelta(days=7), "web", 2),
    ]  # fmt: skip
    assert (daily[0].period, daily[0].key) == (monday, "en")
    assert sum(b.count for b in daily) == 8
    assert {(b.key, b.count) for b in topics} == {("delivery", 2), ("quality", 1)}
    assert [(s.period, s.promoters, s.detractors) for s in trend] == [
        (monday, 3, 0), (monday + timedelta(days=7), 0, 1),
    ]  # fmt: skip


async def test_list_filters_and_pages(
    session_factory: sessionmaker[Session], async_session_factory: Sessions
) -> None:
    await _world(session_factory, async_session_factory)
    negative_en = queries.FeedbackFilter(sentiments=("negative",), languages=("en",))
    since = queries.FeedbackFilter(since=T0 + timedelta(days=5), until=T0 + timedelta(days=13))

    async with async_session_factory() as session:
        first = await queries.list_feedback(session, where=negative_en, first=2)
        rest = await queries.list_feedback(
            session, where=negative_en, first=2, after=first.end_cursor
        )
        window = await queries.list_feedback(session, where=since, first=10)
        delivery = await queries.list_feedback(
            session, where=queries.FeedbackFilter(topics=("delivery",)), first=10
        )

    texts = [r.text for r in first.items + rest.items]
    assert first.has_next
    assert not rest.has_next
    assert sorted(texts) == sorted(["Awful", "Parcel late", "Broken", "Still waiting"])
    assert [r.nps for r in window.items] == [2, 7, 9]
    assert sorted(r.text or "" for r in delivery.items) == ["Fast delivery", "Parcel late"]


async def test_unknown_segment_and_reversed_range_are_refused(
    async_session_factory: Sessions,
) -> None:
    async with async_session_factory() as session:
        with pytest.raises(NotFoundError):
            await analytics.summarize(session, where=queries.FeedbackFilter(segment_id=424242))
        with pytest.raises(InvalidInputError, match="is not before until"):
            await queries.list_feedback(
                session, where=queries.FeedbackFilter(since=T0, until=T0), first=1
            )
