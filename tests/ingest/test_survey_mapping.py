"""The shipped survey mapping (ingest/mappings/survey.toml) through `cdp ingest`: NPS,
CSAT and comments become analysed survey feedback of resolved profiles; bad rows are
quarantined with the reason."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from cdp.cli import cli
from tests.ingest.conftest import FIXTURES

SURVEY_MAPPING = Path(__file__).parents[2] / "ingest" / "mappings" / "survey.toml"
RESPONSES = FIXTURES / "survey" / "responses.csv"


def test_survey_export_becomes_analysed_feedback_of_resolved_profiles(
    db_url: str, tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    args = ["ingest", "--mapping", str(SURVEY_MAPPING), "--source", "survey", "--json"]
    env = {"CDP_DATABASE_URL": db_url, "CDP_SOURCES_FILE": str(tmp_path / "cdp.toml")}

    result = CliRunner().invoke(cli, [*args, str(RESPONSES)], env=env)

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["read"], summary["stored"], summary["quarantined"]) == (6, 5, 1)
    with session_factory() as session:
        rows = {
            f.order_ref: (f.kind, f.nps, f.csat, f.language, f.sentiment_label, f.status)
            for f in session.scalars(select(models.Feedback))
        }
        topics = {
            f.order_ref: sorted(t.topic for t in f.topics)
            for f in session.scalars(select(models.Feedback))
        }
        unresolved = session.scalar(
            select(models.Feedback.id).where(models.Feedback.profile_id.is_(None))
        )
        reasons = sorted(session.scalars(select(models.Quarantine.reason)))
    assert rows == {
        "SO-88121": ("survey", 10, 5, "en", "positive", "open"),
        "SO-88130": ("survey", 3, 2, "en", "negative", "open"),
        "SO-88133": ("survey", 8, 4, "zh", "positive", "open"),
        "SO-88140": ("survey", 6, None, "und", "negative", "open"),
        None: ("survey", 9, 5, "en", "positive", "open"),
    }
    assert topics["SO-88130"] == ["delivery", "service"]
    assert topics["SO-88133"] == ["delivery"]
    assert unresolved is None
    assert any("feedback.nps" in reason and "'11'" in reason for reason in reasons), reasons
    assert len(reasons) == 1
