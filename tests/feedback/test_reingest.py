"""Regression: re-ingesting a changed record used to replace its feedback rows, losing their
status, assignee, resolution and history (and their ids). Through the real survey mapping on
both backends."""

from __future__ import annotations

import asyncio
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from cdp.cli import cli
from cdp.feedback import workflow

SURVEY_MAPPING = Path(__file__).parents[2] / "ingest" / "mappings" / "survey.toml"
HEADER = (
    "Response ID,Submitted At,Name,Email,Customer ID,"
    "How likely are you to recommend us to a friend? (0-10),"
    "How satisfied are you with your last order? (1-5),Comment,Order Number\n"
)
FIRST = "r-1,2026-11-02 09:15:00,Ann Lee,ann@example.com,C-1,3,2,The parcel arrived late,SO-1\n"
CHANGED = (
    "r-1,2026-11-02 09:15:00,Ann Lee,ann@example.com,C-1,2,1,"
    "The courier was late and the box was crushed,SO-1\n"
)


async def _work_on(factory: async_sessionmaker[AsyncSession], feedback_id: int) -> None:
    async with factory.begin() as session:
        await workflow.assign_feedback(session, feedback_id, "sam", actor="key:sam")
    async with factory.begin() as session:
        await workflow.change_status(
            session, feedback_id, "resolved", actor="key:sam", note="refunded shipping"
        )


def test_reingesting_a_changed_survey_answer_keeps_its_id_status_assignee_and_history(
    db_url: str,
    tmp_path: Path,
    session_factory: sessionmaker[Session],
    async_session_factory: async_sessionmaker[AsyncSession],
) -> None:
    export = tmp_path / "responses.csv"
    env = {"CDP_DATABASE_URL": db_url, "CDP_SOURCES_FILE": str(tmp_path / "cdp.toml")}
    args = ["ingest", "--mapping", str(SURVEY_MAPPING), "--source", "survey", str(export)]
    export.write_text(HEADER + FIRST, encoding="utf-8")
    assert CliRunner().invoke(cli, args, env=env).exit_code == 0
    with session_factory() as session:
        feedback_id = session.scalars(select(models.Feedback.id)).one()
    asyncio.run(_work_on(async_session_factory, feedback_id))

    export.write_text(HEADER + CHANGED, encoding="utf-8")
    result = CliRunner().invoke(cli, args, env=env)

    assert result.exit_code == 0, result.output
    with session_factory() as session:
        row = session.scalars(select(models.Feedback)).one()
        history = [
            (c.from_status, c.to_status, c.actor)
            for c in session.scalars(
                select(models.FeedbackStatusChange).order_by(models.FeedbackStatusChange.id)
            )
        ]
        topics = sorted(t.topic for t in row.topics)
    assert row.id == feedback_id
    assert (row.text, row.nps, row.csat) == ("The courier was late and the box was crushed", 2, 1)
    assert (row.status, row.assignee, row.resolution_note) == (
        "resolved",
        "sam",
        "refunded shipping",
    )
    assert row.resolved_at is not None
    assert history == [("open", "in_progress", "key:sam"), ("in_progress", "resolved", "key:sam")]
    assert row.sentiment_label == "negative"  # the new text was analysed again
    assert "delivery" in topics
