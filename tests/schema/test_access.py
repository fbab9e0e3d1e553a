from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from cdp import models
from cdp.db import unit_of_work
from cdp.services.keys import create_key
from tests.schema.conftest import Gql
from tests.schema.factories import make_identifier, make_profile, make_record, make_source

PERSON = """query($id: ID!) { profile(id: $id) {
  givenName familyName email phone birthDate address { line1 city postcode }
  identifiers { kind value }
  sourceRecords { nodes { attributes } }
} }"""


def _jane(session_factory: sessionmaker[Session]) -> str:
    with unit_of_work(session_factory) as session:
        jane = make_profile(
            session,
            email="jane.doe@example.com",
            phone="+14155550123",
            attributes={
                "birth_date": "1990-04-02",
                "address": {"line1": "1 Main St", "city": "Springfield", "postcode": "12345"},
            },
        )
        record = make_record(
            session,
            source=make_source(session),
            profile=jane,
            attributes={"email": "jane.doe@example.com", "given_name": "Jane"},
        )
        make_identifier(session, record=record, kind="email", value="jane.doe@example.com")
        make_identifier(session, record=record, kind="customer_id", value="C-1")
        return jane.id


def test_analyst_sees_personal_data_partially_when_reading_profile(
    gql: Gql, session_factory: sessionmaker[Session]
) -> None:
    profile_id = _jane(session_factory)

    profile = gql(PERSON, {"id": profile_id}, role="analyst")["data"]["profile"]

    assert profile["givenName"] == "J***"
    assert profile["familyName"] == "D***"
    assert profile["email"] == "j***@e***.com"
    assert profile["phone"] == "+*********23"
    assert profile["birthDate"] == "1990-**-**"
    assert profile["address"] == {"line1": "***", "city": "Springfield", "postcode": "12***"}
    assert {"kind": "EMAIL", "value": "j***@e***.com"} in profile["identifiers"]
    assert {"kind": "CUSTOMER_ID", "value": "C-1"} in profile["identifiers"]
    assert profile["sourceRecords"]["nodes"][0]["attributes"] == {
        "email": "j***@e***.com",
        "given_name": "J***",
    }


@pytest.mark.parametrize("role", ["admin", "app"])
def test_full_personal_data_shown_when_role_is_not_analyst(
    gql: Gql, session_factory: sessionmaker[Session], role: str
) -> None:
    profile_id = _jane(session_factory)

    profile = gql(PERSON, {"id": profile_id}, role=role)["data"]["profile"]

    assert profile["email"] == "jane.doe@example.com"
    assert profile["address"]["line1"] == "1 Main St"


@pytest.mark.parametrize(("role", "allowed"), [("admin", True), ("analyst", False), ("app", False)])
def test_raw_payload_is_admin_only_when_requested(
    gql: Gql, session_factory: sessionmaker[Session], role: str, allowed: bool
) -> None:
    profile_id = _jane(session_factory)

    body = gql(
        "query($id: ID!) { profile(id: $id) { sourceRecords { nodes { payload } } } }",
        {"id": profile_id},
        role=role,
    )

    if allowed:
        assert "errors" not in body
    else:
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert body["errors"][0]["message"] == (
            f"the {role} role may not use payload; it needs one of: admin"
        )


def test_app_may_not_search_when_it_tries(gql: Gql, backend: str) -> None:
    body = gql('{ searchProfiles(text: "jane") { score } }', role="app")

    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_request_without_key_is_told_how_to_authenticate(gql: Gql, backend: str) -> None:
    body = gql('{ profile(id: "x") { id } }', role=None)

    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "'Authorization: Bearer KEY'" in body["errors"][0]["message"]


def test_unknown_key_gets_401_when_sent(app_client: TestClient) -> None:
    response = app_client.post(
        "/graphql",
        json={"query": "{ stats { profiles } }"},
        headers={"Authorization": "Bearer cdp_abc_def"},
    )

    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == "unknown key"


def test_open_mode_answers_without_key_when_enabled(
    client_factory,
    session_factory: sessionmaker[Session],  # type: ignore[no-untyped-def]
) -> None:
    profile_id = _jane(session_factory)
    client = client_factory(open_mode=True)

    response = client.post(
        "/graphql", json={"query": f'{{ profile(id: "{profile_id}") {{ email }} }}'}
    )

    assert response.json() == {"data": {"profile": {"email": "jane.doe@example.com"}}}


FEEDBACK = """mutation($input: SubmitFeedbackInput!) { submitFeedback(input: $input) {
  __typename
  ... on FeedbackSubmitted { feedback { profileId rating kind } }
  ... on Problem { message }
  ... on InvalidInput { field }
} }"""


def test_app_submits_feedback_to_survivor_when_profile_was_merged(
    gql: Gql, session_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(session_factory) as session:
        survivor = make_profile(session)
        old = make_profile(session, status="merged", merged_into_id=survivor.id)
    data = {"profileId": old.id, "channel": "STORE", "kind": "REVIEW", "rating": 4, "text": "ok"}

    body = gql(FEEDBACK, {"input": data}, role="app")

    assert body["data"]["submitFeedback"] == {
        "__typename": "FeedbackSubmitted",
        "feedback": {"profileId": survivor.id, "rating": 4, "kind": "REVIEW"},
    }
    with unit_of_work(session_factory) as session:
        stored = session.scalars(select(models.Feedback)).one()
        audit = session.scalars(select(models.AuditLog)).one()
    assert (stored.profile_id, stored.text) == (survivor.id, "ok")
    assert (audit.action, audit.target_id) == ("feedback.submit", survivor.id)


@pytest.mark.parametrize(
    ("change", "typename", "message"),
    [
        ({"rating": 9}, "InvalidInput", "rating: 9 is out of range; expected stars 1 to 5"),
        ({"profileId": "ghost"}, "NotFound", "profile 'ghost' not found"),
        (
            {"rating": None, "text": " "},
            "InvalidInput",
            "text: feedback needs a text, a score (rating, nps, csat) or both",
        ),
    ],
    ids=["rating", "unknown-profile", "empty"],
)
def test_feedback_is_refused_with_typed_result_when_input_is_bad(
    gql: Gql,
    session_factory: sessionmaker[Session],
    change: dict[str, object],
    typename: str,
    message: str,
) -> None:
    with unit_of_work(session_factory) as session:
        profile_id = make_profile(session).id
    data = {"profileId": profile_id, "channel": "WEB", "kind": "RATING", "rating": 3, **change}

    result = gql(FEEDBACK, {"input": data}, role="app")["data"]["submitFeedback"]

    assert (result["__typename"], result["message"]) == (typename, message)
    with unit_of_work(session_factory) as session:
        assert session.scalars(select(models.Feedback)).all() == []


def test_analyst_may_not_set_consent_and_is_told_so(
    gql: Gql, session_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(session_factory) as session:
        profile_id = make_profile(session).id
    data = {"profileId": profile_id, "purpose": "sms", "status": "GRANTED", "channel": "WEB"}

    body = gql(
        """mutation($input: SetConsentInput!) { setConsent(input: $input) {
          __typename ... on Forbidden { role message } } }""",
        {"input": data},
        role="analyst",
    )

    assert body["data"]["setConsent"] == {
        "__typename": "Forbidden",
        "role": "analyst",
        "message": "the analyst role may not use setConsent; it needs one of: admin, app",
    }


def test_app_sets_consent_and_it_is_in_force_when_read_back(
    gql: Gql, session_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(session_factory) as session:
        profile_id = make_profile(session).id
    data = {
        "profileId": profile_id,
        "purpose": "SMS_Marketing",
        "status": "REVOKED",
        "channel": "STORE",
    }

    gql(
        "mutation($input: SetConsentInput!) { setConsent(input: $input) { __typename } }",
        {"input": data},
        role="app",
    )
    body = gql(
        "query($id: ID!) { profile(id: $id) { consentStatus { purpose status channel } } }",
        {"id": profile_id},
        role="app",
    )

    assert body["data"]["profile"]["consentStatus"] == [
        {"purpose": "sms_marketing", "status": "REVOKED", "channel": "STORE"}
    ]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (
            "Basic abc",
            "the Authorization header must be 'Bearer KEY' with a key from `cdp keys create`",
        ),
        ("Bearer nonsense", "malformed key; expected 'cdp_<prefix>_<secret>'"),
    ],
    ids=["not-bearer", "malformed"],
)
def test_bad_authorization_header_gets_401_with_reason(
    app_client: TestClient, header: str, message: str
) -> None:
    response = app_client.post(
        "/graphql", json={"query": "{ stats { profiles } }"}, headers={"Authorization": header}
    )

    assert (response.status_code, response.json()["errors"][0]["message"]) == (401, message)


def test_write_key_is_refused_for_graphql_when_sent(
    app_client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(session_factory) as session:
        source = make_source(session)
        write_key = create_key(session, role="write", name="push", source_name=source.name).key

    response = app_client.post(
        "/graphql",
        json={"query": "{ stats { profiles } }"},
        headers={"Authorization": f"Bearer {write_key}"},
    )

    assert response.status_code == 401
    assert (
        response.json()["errors"][0]["message"]
        == "a 'write' key cannot query GraphQL; use an admin, app or analyst key"
    )


def test_feedback_topic_too_long_is_invalid_input(
    gql: Gql, session_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(session_factory) as session:
        profile_id = make_profile(session).id
    data = {"profileId": profile_id, "channel": "WEB", "kind": "COMMENT", "text": "hi"}

    result = gql(FEEDBACK, {"input": {**data, "topic": "t" * 101}}, role="app")

    assert result["data"]["submitFeedback"] == {
        "__typename": "InvalidInput",
        "message": "topic: 101 characters is too long; at most 100",
        "field": "topic",
    }
