"""Feedback through the real ASGI app: submitting by profile id or by identifiers (stored
as a record and resolved), the status workflow, the list with its filters, and the
analytics per segment."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from cdp.db import unit_of_work
from tests.schema.conftest import Gql
from tests.schema.factories import make_profile

SUBMIT = """mutation($input: SubmitFeedbackInput!) { submitFeedback(input: $input) {
  __typename
  ... on FeedbackSubmitted { feedback { id profileId kind language sentimentLabel topics status
                                        nps csat orderRef } }
  ... on Problem { message }
  ... on InvalidInput { field }
} }"""
STATUS = """mutation($id: ID!, $status: FeedbackStatus!, $note: String) {
  changeFeedbackStatus(id: $id, status: $status, note: $note) {
    __typename
    ... on FeedbackUpdated { feedback { status resolutionNote resolvedAt
                                        history { fromStatus toStatus actor note } } }
    ... on Problem { message }
  } }"""
ASSIGN = """mutation($id: ID!, $who: String) { assignFeedback(id: $id, assignee: $who) {
  __typename ... on FeedbackUpdated { feedback { status assignee } } } }"""
PROFILE = """query($v: String!) { profileByIdentifier(kind: EMAIL, value: $v) { id } }"""


def _submit(gql: Gql, role: str = "app", **fields: Any) -> dict[str, Any]:
    data = {"channel": "WEB", "kind": "COMMENT", **fields}
    body = gql(SUBMIT, {"input": data}, role=role)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["submitFeedback"]
    return result


def test_feedback_by_profile_id_is_analysed_on_the_way_in(
    gql: Gql, session_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(session_factory) as session:
        profile_id = make_profile(session).id

    result = _submit(gql, profileId=profile_id, text="The app keeps crashing at checkout!")

    assert result["__typename"] == "FeedbackSubmitted"
    assert result["feedback"] | {"id": None} == {
        "id": None, "profileId": profile_id, "kind": "COMPLAINT", "language": "en",
        "sentimentLabel": "NEGATIVE", "topics": ["website"], "status": "OPEN",
        "nps": None, "csat": None, "orderRef": None,
    }  # fmt: skip


def test_an_unseen_identifier_creates_a_profile_and_a_known_one_joins_it(
    gql: Gql, session_factory: sessionmaker[Session]
) -> None:
    first = _submit(
        gql,
        identifiers=[{"kind": "EMAIL", "value": "New.Person@Example.com"}],
        fullName="New Person",
        kind="SURVEY",
        nps=3,
        text="物流太慢了",
        orderRef="SO-1",
    )
    second = _submit(
        gql,
        identifiers=[
            {"kind": "EMAIL", "value": "new.person@example.com"},
            {"kind": "PHONE", "value": "+1 415 555 0199"},
        ],
        kind="PRAISE",
        csat=5,
    )

    found = gql(PROFILE, {"v": "new.person@example.com"})["data"]["profileByIdentifier"]
    assert found is not None
    assert first["feedback"]["profileId"] == second["feedback"]["profileId"] == found["id"]
    assert first["feedback"]["language"] == "zh"
    assert first["feedback"]["sentimentLabel"] == "NEGATIVE"
    assert first["feedback"]["topics"] == ["delivery"]
    assert (first["feedback"]["nps"], first["feedback"]["orderRef"]) == (3, "SO-1")
    with session_factory() as session:
        unresolved = session.scalar(
            select(func.count())
            .select_from(models.Feedback)
            .where(models.Feedback.profile_id.is_(None))
        )
        sources = set(session.scalars(select(models.Source.name)))
    assert unresolved == 0
    assert "app-feedback-web" in sources


def test_resending_the_same_external_id_stores_nothing_new(
    gql: Gql, session_factory: sessionmaker[Session]
) -> None:
    fields = {"identifiers": [{"kind": "CUSTOMER_ID", "value": "C-77"}], "text": "Love it",
              "externalId": "app-fb-1"}  # fmt: skip

    first = _submit(gql, **fields)
    again = _submit(gql, **fields)

    assert first["feedback"]["id"] == again["feedback"]["id"]
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(models.Feedback)) == 1


def test_customer_must_be_named_exactly_once(gql: Gql) -> None:
    neither = _submit(gql, text="hi")
    both = _submit(
        gql, text="hi", profileId="p_x", identifiers=[{"kind": "EMAIL", "value": "a@b.io"}]
    )
    bad_identifier = _submit(gql, text="hi", identifiers=[{"kind": "EMAIL", "value": "  "}])

    assert neither["__typename"] == both["__typename"] == "InvalidInput"
    assert "exactly one" in neither["message"]
    assert bad_identifier["__typename"] == "InvalidInput"
    assert bad_identifier["field"] == "identifiers"


def test_analyst_may_not_submit(gql: Gql) -> None:
    result = _submit(gql, role="analyst", identifiers=[{"kind": "EMAIL", "value": "a@b.io"}])

    assert result["__typename"] == "Forbidden"


def test_status_workflow_through_graphql(gql: Gql, session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        profile_id = make_profile(session).id
    feedback_id = _submit(gql, profileId=profile_id, kind="COMPLAINT", text="Late again")[
        "feedback"
    ]["id"]

    assigned = gql(ASSIGN, {"id": feedback_id, "who": "mia"})["data"]["assignFeedback"]
    no_note = gql(STATUS, {"id": feedback_id, "status": "RESOLVED"})["data"]
    resolved = gql(STATUS, {"id": feedback_id, "status": "RESOLVED", "note": "Refunded"})["data"]
    closed = gql(STATUS, {"id": feedback_id, "status": "CLOSED"})["data"]
    backwards = gql(STATUS, {"id": feedback_id, "status": "IN_PROGRESS"})["data"]
    missing = gql(STATUS, {"id": "999999", "status": "CLOSED"})["data"]

    assert assigned == {"__typename": "FeedbackUpdated",
                        "feedback": {"status": "IN_PROGRESS", "assignee": "mia"}}  # fmt: skip
    assert no_note["changeFeedbackStatus"]["__typename"] == "InvalidInput"
    feedback = resolved["changeFeedbackStatus"]["feedback"]
    assert (feedback["status"], feedback["resolutionNote"]) == ("RESOLVED", "Refunded")
    assert feedback["resolvedAt"] is not None
    history = closed["changeFeedbackStatus"]["feedback"]["history"]
    assert [(h["fromStatus"], h["toStatus"], h["note"]) for h in history] == [
        ("OPEN", "IN_PROGRESS", "assigned to mia"),
        ("IN_PROGRESS", "RESOLVED", "Refunded"),
        ("RESOLVED", "CLOSED", None),
    ]
    assert all(h["actor"].startswith("key:") for h in history)
    assert backwards["changeFeedbackStatus"]["__typename"] == "Conflict"
    assert "may move to: open" in backwards["changeFeedbackStatus"]["message"]
    assert missing["changeFeedbackStatus"]["__typename"] == "NotFound"


LIST = """query($f: FeedbackFilter, $after: String) {
  feedbackList(filter: $f, first: 2, after: $after) {
    totalCount nodes { text kind sentimentLabel language topics }
    pageInfo { hasNextPage endCursor } } }"""
ANALYTICS = """query($segment: ID) { feedbackAnalytics(segmentId: $segment) {
  summary { total nps promoters detractors averageCsat complaints resolvedShare }
  byTopic: counts(by: TOPIC) { key count }
  weekly: counts(by: SENTIMENT, interval: WEEK) { period key count }
  trend(interval: DAY) { period total }
} }"""


def _seed(gql: Gql, session_factory: sessionmaker[Session]) -> str:
    with unit_of_work(session_factory) as session:
        members = [make_profile(session).id for _ in range(2)]
        other = make_profile(session).id
        segment = models.Segment(name="detractors", definition={})
        session.add(segment)
        session.flush()
        session.add_all(
            models.SegmentMembership(segment_id=segment.id, profile_id=p) for p in members
        )
        segment_id = str(segment.id)
    at = "2026-11-03T10:00:00Z"
    _submit(gql, profileId=members[0], kind="SURVEY", nps=2, text="Delivery was late",
            occurredAt=at)  # fmt: skip
    _submit(gql, profileId=members[1], kind="SURVEY", nps=6, csat=2, text="质量太差了",
            occurredAt=at)  # fmt: skip
    _submit(gql, profileId=other, kind="SURVEY", nps=10, csat=5, text="Great prices",
            occurredAt="2026-11-11T10:00:00Z")  # fmt: skip
    _submit(gql, profileId=other, text="Where is my parcel?", occurredAt=at)
    return segment_id


def test_list_filters_by_sentiment_language_topic_and_segment(
    gql: Gql, session_factory: sessionmaker[Session]
) -> None:
    segment_id = _seed(gql, session_factory)

    negative = gql(LIST, {"f": {"sentiments": ["NEGATIVE"]}})["data"]["feedbackList"]
    chinese = gql(LIST, {"f": {"languages": ["zh"]}})["data"]["feedbackList"]
    questions = gql(LIST, {"f": {"kinds": ["QUESTION"], "topics": ["delivery"]}})["data"]
    members = gql(LIST, {"f": {"segmentId": segment_id}})["data"]["feedbackList"]
    after = members["pageInfo"]["endCursor"]
    rest = gql(LIST, {"f": {"segmentId": segment_id}, "after": after})["data"]["feedbackList"]

    assert negative["totalCount"] == 2
    assert [n["text"] for n in chinese["nodes"]] == ["质量太差了"]
    assert chinese["nodes"][0]["topics"] == ["quality"]
    assert [n["text"] for n in questions["feedbackList"]["nodes"]] == ["Where is my parcel?"]
    assert members["totalCount"] == 2
    assert members["pageInfo"]["hasNextPage"] is False
    assert rest["nodes"] == []


def test_analytics_for_all_and_for_a_segment(
    gql: Gql, session_factory: sessionmaker[Session]
) -> None:
    segment_id = _seed(gql, session_factory)

    everyone = gql(ANALYTICS, {})["data"]["feedbackAnalytics"]
    segment = gql(ANALYTICS, {"segment": segment_id})["data"]["feedbackAnalytics"]
    unknown = gql(ANALYTICS, {"segment": "987654"})

    assert everyone["summary"] | {"averageCsat": None} == {
        "total": 4, "nps": -33.33, "promoters": 1, "detractors": 2, "averageCsat": None,
        "complaints": 0, "resolvedShare": None,
    }  # fmt: skip
    assert everyone["summary"]["averageCsat"] == 3.5
    assert {(c["key"], c["count"]) for c in everyone["byTopic"]} == {
        ("delivery", 2), ("quality", 1), ("price", 1),
    }  # fmt: skip
    assert {(c["period"], c["key"], c["count"]) for c in everyone["weekly"]} == {
        ("2026-11-02", "negative", 2), ("2026-11-02", "neutral", 1),
        ("2026-11-09", "positive", 1),
    }  # fmt: skip
    assert everyone["trend"] == [{"period": "2026-11-03", "total": 3},
                                 {"period": "2026-11-11", "total": 1}]  # fmt: skip
    assert segment["summary"]["nps"] == -100.0
    assert segment["summary"]["total"] == 2
    assert unknown["errors"][0]["extensions"]["code"] == "NOT_FOUND"
