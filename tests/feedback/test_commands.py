"""`cdp feedback analyze` on both backends: pending rows, then `--all` with a new taxonomy."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from cdp.cli import cli
from cdp.db import unit_of_work
from tests.schema.factories import make_profile


def test_analyze_fills_pending_rows_and_all_redoes_them_with_a_new_taxonomy(
    db_url: str, tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(session_factory) as session:
        profile = make_profile(session)
        for text in ("The espresso was cold and the courier late", "咖啡很好喝"):
            session.add(
                models.Feedback(
                    profile_id=profile.id,
                    channel="store",
                    kind="review",
                    text=text,
                    occurred_at=datetime(2026, 11, 1, tzinfo=UTC),
                )
            )
    topics = tmp_path / "topics.toml"
    topics.write_text('[topics.coffee]\nen = ["espresso"]\nzh = ["咖啡"]\n', encoding="utf-8")
    env = {"CDP_DATABASE_URL": db_url}

    first = CliRunner().invoke(cli, ["feedback", "analyze"], env=env)
    nothing = CliRunner().invoke(cli, ["feedback", "analyze"], env=env)
    with session_factory() as session:
        before = sorted(session.scalars(select(models.FeedbackTopic.topic)))
    redo = CliRunner().invoke(
        cli, ["feedback", "analyze", "--all"], env={**env, "CDP_FEEDBACK_TOPICS": str(topics)}
    )

    assert first.exit_code == 0, first.output
    assert first.stdout.strip() == "analysed 2 feedback rows (1 negative, 1 positive)"
    assert nothing.stdout.strip() == "analysed 0 feedback rows"
    assert before == ["delivery"]
    assert redo.exit_code == 0, redo.output
    with session_factory() as session:
        after = sorted(session.scalars(select(models.FeedbackTopic.topic)))
    assert after == ["coffee", "coffee"]
