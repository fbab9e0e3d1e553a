"""Consent per purpose and channel through GraphQL: decisions with evidence, `canContact`,
configured purposes, and consent histories through a merge and a split."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import identity
from cdp import models
from cdp.consent import can_contact, status_in_force
from cdp.db import unit_of_work
from tests.identity.factories import make_record
from tests.schema.conftest import Gql

SET = """mutation($input: SetConsentInput!) { setConsent(input: $input) {
  __typename ... on ConsentSet { profileId status } ... on InvalidInput { field message } } }"""
CAN = """query($id: ID!) { profile(id: $id) {
  email: canContact(purpose: "email_marketing", channel: EMAIL)
  web: canContact(purpose: "email_marketing", channel: WEB)
  anyChannel: canContact(purpose: "email_marketing")
  analytics: canContact(purpose: "analytics", channel: WEB)
  sms: canContact(purpose: "sms_marketing")
  consents { purpose status channel actor evidence recordId }
} }"""


def _profiles(session_factory: sessionmaker[Session], count: int) -> list[str]:
    with unit_of_work(session_factory) as session:
        records = [
            make_record(session, external_id=f"c{i}", identifiers={"customer_id": f"cust-{i}"})
            for i in range(count)
        ]
        ids = [r.id for r in records]
    with unit_of_work(session_factory) as session:
        identity.resolve_records(session, ids)
    with session_factory() as session:
        found = [session.get(models.SourceRecord, i).profile_id for i in ids]  # type: ignore[union-attr]
    assert all(found)
    assert len(set(found)) == count
    return [str(p) for p in found]


def _set(gql: Gql, profile_id: str, **fields: Any) -> dict[str, Any]:
    body = gql(SET, {"input": {"profileId": profile_id, **fields}})
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["setConsent"]
    return result


def test_can_contact_follows_the_latest_decision_per_purpose_and_channel(
    gql: Gql, session_factory: sessionmaker[Session]
) -> None:
    (pid,) = _profiles(session_factory, 1)
    t = "2026-02-0{}T10:00:00Z"
    _set(gql, pid, purpose="email_marketing", status="GRANTED", occurredAt=t.format(1))
    _set(
        gql, pid, purpose="email_marketing", status="REVOKED", channel="WEB", occurredAt=t.format(2)
    )
    _set(gql, pid, purpose="analytics", status="DENIED", occurredAt=t.format(3))

    profile = gql(CAN, {"id": pid})["data"]["profile"]

    assert (profile["email"], profile["web"], profile["anyChannel"]) == (True, False, False)
    assert (profile["analytics"], profile["sms"]) == (False, False)  # denied; unknown means no
    assert {c["status"] for c in profile["consents"]} == {"GRANTED", "REVOKED", "DENIED"}
    granted = next(c for c in profile["consents"] if c["status"] == "GRANTED")
    assert granted["channel"] is None  # every channel
    assert granted["actor"].startswith("key:")
    assert granted["evidence"]["via"] == "graphql setConsent"
    assert granted["recordId"] is None
    with session_factory() as session:
        assert can_contact(session, pid, "email_marketing", "email")
        assert not can_contact(session, pid, "email_marketing", "web")
        rows = list(session.scalars(select(models.Consent)))
        assert status_in_force(rows, "email_marketing", "web") == "revoked"
        entry = session.scalars(
            select(models.AuditLog).where(models.AuditLog.action == "consent.set")
        ).first()
        assert entry is not None
        assert entry.key_id is not None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"purpose": "newsletter_of_doom", "status": "GRANTED"}, "purpose"),
        ({"purpose": "", "status": "GRANTED"}, "purpose"),
    ],
    ids=["unconfigured-purpose", "empty-purpose"],
)
def test_set_consent_names_the_bad_field_when_purpose_is_not_configured(
    gql: Gql, session_factory: sessionmaker[Session], fields: dict[str, str], field: str
) -> None:
    (pid,) = _profiles(session_factory, 1)

    result = _set(gql, pid, **fields)

    assert result["__typename"] == "InvalidInput"
    assert result["field"] == field


MERGE = """mutation($w: ID!, $o: ID!) { mergeProfiles(input: {winnerId: $w, otherId: $o,
  force: true}) { __typename } }"""
SPLIT = """mutation($p: ID!, $r: [ID!]!) { splitProfile(input: {profileId: $p, recordIds: $r}) {
  __typename ... on ProfileSplit { newProfile { id } } } }"""
CONSENTS = """query($id: ID!) { profile(id: $id) { id consents { purpose status }
  email: canContact(purpose: "email_marketing") analytics: canContact(purpose: "analytics") } }"""


def test_merge_combines_histories_and_split_gives_each_side_its_own(
    gql: Gql, session_factory: sessionmaker[Session]
) -> None:
    a, b = _profiles(session_factory, 2)
    _set(gql, a, purpose="email_marketing", status="GRANTED", occurredAt="2026-02-01T10:00:00Z")
    _set(gql, b, purpose="email_marketing", status="REVOKED", occurredAt="2026-02-02T10:00:00Z")
    _set(gql, b, purpose="analytics", status="GRANTED", occurredAt="2026-02-03T10:00:00Z")

    assert gql(MERGE, {"w": a, "o": b})["data"]["mergeProfiles"]["__typename"] == "ProfilesMerged"
    merged = gql(CONSENTS, {"id": a})["data"]["profile"]
    assert len(merged["consents"]) == 3
    assert (merged["email"], merged["analytics"]) == (False, True)  # the latest decision wins

    with session_factory() as session:
        b_record = session.scalars(
            select(models.SourceRecord.id).where(models.SourceRecord.external_id == "c1")
        ).one()
    split = gql(SPLIT, {"p": a, "r": [str(b_record)]})["data"]["splitProfile"]
    assert split["__typename"] == "ProfileSplit", split
    new_id = split["newProfile"]["id"]

    left = gql(CONSENTS, {"id": a})["data"]["profile"]
    right = gql(CONSENTS, {"id": new_id})["data"]["profile"]
    assert new_id == b
    assert left["consents"] == [{"purpose": "email_marketing", "status": "GRANTED"}]
    assert sorted(c["purpose"] for c in right["consents"]) == ["analytics", "email_marketing"]
    assert (left["email"], right["email"], right["analytics"]) == (True, False, True)
