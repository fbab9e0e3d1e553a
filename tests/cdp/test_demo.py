from __future__ import annotations

import csv
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from cdp.cli import cli


def _count(factory: sessionmaker[Session], entity: type[models.Base], *where: object) -> int:
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(entity).where(*where)) or 0)


def test_demo_ingests_every_channel_and_resolves_when_run_twice(
    db_url: str, tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    world = tmp_path / "world"
    args = ["demo", "--no-serve", "--people", "60", "--world", str(world)]
    env = {"CDP_DATABASE_URL": db_url}

    first = CliRunner().invoke(cli, args, env=env)
    second = CliRunner().invoke(cli, args, env=env)

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    with (world / "truth.csv").open() as handle:
        truth = list(csv.DictReader(handle))
    adapters = {row["adapter"].split(".")[0] for row in truth}
    assert adapters == {"web", "email", "store", "social"}
    assert _count(session_factory, models.SourceRecord) == len(truth)
    assert (
        _count(session_factory, models.SourceRecord, models.SourceRecord.profile_id.is_(None)) == 0
    )
    people = len({row["person_id"] for row in truth})
    profiles = _count(session_factory, models.Profile, models.Profile.status == "active")
    assert people <= profiles <= people * 1.2
    assert "reusing" in second.stderr
    assert "duplicates" in second.stderr


def test_demo_feedback_is_analysed_with_mixed_sentiment_languages_and_topics(
    db_url: str, tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    args = ["demo", "--no-serve", "--people", "400", "--world", str(tmp_path / "world")]

    result = CliRunner().invoke(cli, args, env={"CDP_DATABASE_URL": db_url})

    assert result.exit_code == 0, result.output
    assert "feedback:" in result.stderr
    with session_factory() as session:
        labels = set(session.scalars(select(models.Feedback.sentiment_label)))
        languages = set(session.scalars(select(models.Feedback.language)))
        kinds = set(session.scalars(select(models.Feedback.kind)))
        topics = set(session.scalars(select(models.FeedbackTopic.topic)))
    assert labels == {"positive", "neutral", "negative"}
    assert languages == {"en", "zh"}
    assert {"complaint", "praise", "question"} <= kinds
    assert len(topics) >= 5
    assert _count(session_factory, models.Feedback, models.Feedback.profile_id.is_(None)) == 0
