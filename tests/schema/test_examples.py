from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from cdp.db import unit_of_work
from cdp.feedback.batch import analyze_pending
from identity import resolve
from schema import example_queries
from tests.identity.factories import make_record, person
from tests.schema.conftest import Gql


def test_examples_are_the_three_analyst_questions() -> None:
    assert sorted(example_queries()) == [
        "feedback_analytics", "profile_360", "seen_in_all_channels", "why_merged",
    ]  # fmt: skip


@pytest.mark.parametrize("name", sorted(example_queries()))
def test_example_query_runs_without_errors_on_resolved_data(
    gql: Gql, session_factory: sessionmaker[Session], name: str
) -> None:
    with unit_of_work(session_factory) as session:
        for source, channel in (
            ("shop", "store"),
            ("site", "web"),
            ("mail", "email"),
            ("x", "social"),
        ):
            make_record(
                session,
                source=source,
                channel=channel,
                attributes=person("Jane", "Doe", email="jane.doe@example.com"),
                identifiers={"email": "jane.doe@example.com"},
            )
    with unit_of_work(session_factory) as session:
        resolve(session)
        profile_id = session.scalars(select(models.Profile.id)).one()
        session.add(
            models.Feedback(
                profile_id=profile_id, channel="social", kind="comment", nps=3,
                text="快递太慢了", occurred_at=datetime(2026, 11, 2, tzinfo=UTC),
            )
        )  # fmt: skip
        session.flush()
        analyze_pending(session)
        record_ids = [str(i) for i in session.scalars(select(models.SourceRecord.id)).all()]
    query = (
        example_queries()[name]
        .replace('"p-000001"', f'"{profile_id}"')
        .replace('left: "1", right: "2"', f'left: "{record_ids[0]}", right: "{record_ids[1]}"')
    )

    body = gql(query, role="analyst")

    assert "errors" not in body, body
    data = body["data"]
    if name == "profile_360":
        assert data["profileByIdentifier"]["id"] == profile_id
        assert data["profileByIdentifier"]["channels"] == ["EMAIL", "SOCIAL", "STORE", "WEB"]
    elif name == "seen_in_all_channels":
        assert data["profiles"]["totalCount"] == 1
    elif name == "feedback_analytics":
        assert data["feedbackAnalytics"]["summary"]["nps"] == -100.0
        assert data["feedbackAnalytics"]["byTopic"] == [{"key": "delivery", "count": 1}]
        assert data["feedbackList"]["nodes"][0]["language"] == "zh"
    else:
        assert data["explainProfile"]["__typename"] == "ProfileExplanation"
        assert data["compare"]["sameProfile"] is True
        assert data["reviewList"] == []
