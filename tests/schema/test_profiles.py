from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from cdp.db import unit_of_work
from tests.schema.conftest import Gql
from tests.schema.factories import (
    T0,
    make_consent,
    make_event,
    make_identifier,
    make_interaction,
    make_merge,
    make_order,
    make_order_item,
    make_profile,
    make_record,
    make_source,
)

PROFILE_360 = """
query($id: ID!) {
  profile(id: $id) {
    id requestedId isRedirected status givenName familyName fullName email phone
    address { line1 city postcode country }
    channels
    identifiers { kind value source channel records firstSeenAt lastSeenAt }
    sourceRecords(first: 5) { nodes { externalId kind source channel attributes } }
    events(first: 2) {
      edges { cursor node { type occurredAt } }
      pageInfo { hasNextPage endCursor }
    }
    orders {
      nodes {
        externalId total { amount currency }
        items { name quantity unitPrice { amountMinor } }
      }
    }
    interactions { nodes { type text } }
    consents { purpose status channel }
    consentStatus { purpose status }
    mergeHistory { action profileId otherProfileId actor evidence }
  }
}
"""


def _world(session_factory: sessionmaker[Session]) -> dict[str, str]:
    with unit_of_work(session_factory) as session:
        web = make_source(session, channel="web")
        store = make_source(session, channel="store")
        jane = make_profile(
            session,
            email="jane@example.com",
            phone="+14155550123",
            attributes={
                "address": {"line1": "1 Main St", "city": "Springfield", "postcode": "12345"}
            },
        )
        old = make_profile(session, status="merged", merged_into_id=jane.id)
        make_merge(session, winner=jane, loser=old)
        signup = make_record(
            session, source=web, profile=jane, attributes={"email": "jane@example.com"}
        )
        make_identifier(session, record=signup, kind="email", value="jane@example.com")
        till = make_record(session, source=store, profile=jane, kind="order")
        make_identifier(
            session, record=till, kind="email", value="jane@example.com", at=T0 + timedelta(days=3)
        )
        make_identifier(session, record=till, kind="loyalty_id", value="L-77")
        for minutes in range(3):
            make_event(
                session,
                record=make_record(session, source=web, profile=jane, kind="event"),
                at=T0 + timedelta(minutes=minutes),
            )
        order = make_order(session, record=till)
        make_order_item(session, order=order)
        make_interaction(
            session, record=make_record(session, source=web, profile=jane, kind="interaction")
        )
        make_consent(session, profile=jane, status="granted", at=T0)
        make_consent(session, profile=jane, status="revoked", at=T0 + timedelta(days=1))
        return {"jane": jane.id, "old": old.id}


def test_profile_360_shows_everything_behind_a_profile_when_admin_asks(
    gql: Gql, session_factory: sessionmaker[Session]
) -> None:
    ids = _world(session_factory)

    body = gql(PROFILE_360, {"id": ids["jane"]})

    assert "errors" not in body, body
    profile = body["data"]["profile"]
    assert profile["email"] == "jane@example.com"
    assert profile["fullName"] == "Jane Doe"
    assert profile["address"]["line1"] == "1 Main St"
    assert profile["channels"] == ["STORE", "WEB"]
    email_rows = [i for i in profile["identifiers"] if i["kind"] == "EMAIL"]
    assert {row["channel"] for row in email_rows} == {"WEB", "STORE"}
    assert [i["value"] for i in profile["identifiers"] if i["kind"] == "LOYALTY_ID"] == ["L-77"]
    assert len(profile["events"]["edges"]) == 2
    assert profile["events"]["pageInfo"]["hasNextPage"] is True
    assert profile["orders"]["nodes"][0]["total"] == {"amount": "12.50", "currency": "EUR"}
    assert profile["orders"]["nodes"][0]["items"][0]["unitPrice"]["amountMinor"] == 625
    assert [c["status"] for c in profile["consents"]] == ["REVOKED", "GRANTED"]
    assert profile["consentStatus"] == [{"purpose": "email_marketing", "status": "REVOKED"}]
    assert profile["mergeHistory"][0]["otherProfileId"] == ids["old"]
    assert profile["mergeHistory"][0]["evidence"]["rule"] == "email"


def test_profile_answers_with_survivor_when_asked_for_merged_id(
    gql: Gql, session_factory: sessionmaker[Session]
) -> None:
    ids = _world(session_factory)

    body = gql(
        "query($id: ID!) { profile(id: $id) { id requestedId isRedirected } }", {"id": ids["old"]}
    )

    assert body["data"]["profile"] == {
        "id": ids["jane"],
        "requestedId": ids["old"],
        "isRedirected": True,
    }


def test_profile_is_null_when_id_unknown(gql: Gql, backend: str) -> None:
    body = gql('{ profile(id: "nobody") { id } }')

    assert body == {"data": {"profile": None}}


def test_events_page_on_from_end_cursor_when_more_follow(
    gql: Gql, session_factory: sessionmaker[Session]
) -> None:
    ids = _world(session_factory)
    query = """query($id: ID!, $after: String) { profile(id: $id) {
        events(first: 2, after: $after) {
          nodes { occurredAt } pageInfo { hasNextPage endCursor } } } }"""

    first = gql(query, {"id": ids["jane"]})["data"]["profile"]["events"]
    second = gql(query, {"id": ids["jane"], "after": first["pageInfo"]["endCursor"]})["data"][
        "profile"
    ]["events"]

    assert [n["occurredAt"] for n in first["nodes"]] == [
        "2026-01-01T00:02:00+00:00",
        "2026-01-01T00:01:00+00:00",
    ]
    assert [n["occurredAt"] for n in second["nodes"]] == ["2026-01-01T00:00:00+00:00"]
    assert second["pageInfo"]["hasNextPage"] is False


def test_events_filter_by_time_and_type_when_asked(
    gql: Gql, session_factory: sessionmaker[Session]
) -> None:
    ids = _world(session_factory)
    query = """query($id: ID!, $since: DateTime) { profile(id: $id) {
        a: events(since: $since) { nodes { occurredAt } }
        b: events(types: ["track"]) { nodes { type } } } }"""

    body = gql(query, {"id": ids["jane"], "since": "2026-01-01T00:01:00Z"})

    assert len(body["data"]["profile"]["a"]["nodes"]) == 2
    assert body["data"]["profile"]["b"]["nodes"] == []


def test_profile_by_identifier_normalises_value_when_looking_up(
    gql: Gql, session_factory: sessionmaker[Session]
) -> None:
    ids = _world(session_factory)

    body = gql('{ profileByIdentifier(kind: EMAIL, value: "  Jane@EXAMPLE.com ") { id } }')

    assert body["data"]["profileByIdentifier"] == {"id": ids["jane"]}


def test_profile_by_identifier_explains_when_value_is_junk(gql: Gql, backend: str) -> None:
    body = gql('{ profileByIdentifier(kind: EMAIL, value: "not-an-email") { id } }')

    assert body["data"] is None or body["data"]["profileByIdentifier"] is None
    assert body["errors"][0]["message"] == "value: 'not-an-email' is not a usable email"
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_profile_by_identifier_follows_merge_when_identifier_points_at_merged_profile(
    gql: Gql, session_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(session_factory) as session:
        survivor = make_profile(session)
        old = make_profile(session, status="merged", merged_into_id=survivor.id)
        record = make_record(session, source=make_source(session), profile=old)
        make_identifier(session, record=record, kind="loyalty_id", value="L-9")

    body = gql(
        '{ profileByIdentifier(kind: LOYALTY_ID, value: "L-9") { id requestedId isRedirected } }'
    )

    assert body["data"]["profileByIdentifier"] == {
        "id": survivor.id,
        "requestedId": old.id,
        "isRedirected": True,
    }
