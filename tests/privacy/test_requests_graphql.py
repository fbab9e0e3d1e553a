"""Data subject requests through GraphQL (admin only) and the audit log they leave."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from cdp.config import Settings
from tests.privacy import person
from tests.privacy.test_erasure import build_person
from tests.schema.conftest import Gql

EXPORT = """mutation($id: ID!) { exportProfile(id: $id) { __typename
  ... on ProfileExport { profileId document } ... on Forbidden { message } } }"""
ERASE = """mutation($id: ID!) { eraseProfile(input: {profileId: $id, requestedBy: "dpo",
  reason: "ticket DSR-7"}) { __typename
  ... on ProfileErased { receipt { id profiles records rowsByTable suppressed actor } }
  ... on NotFound { id } ... on Forbidden { message } } }"""
AUDIT = """query($after: String) { auditLog(first: 2, after: $after, filter: {action: "privacy."}) {
  nodes { action actor keyId targetType outcome } endCursor hasNextPage } }"""


def test_export_holds_every_channel_and_erase_leaves_a_receipt_and_audit_entries(
    gql: Gql, settings: Settings, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    profile_id = build_person(settings, session_factory, tmp_path)

    exported = gql(EXPORT, {"id": profile_id})["data"]["exportProfile"]
    denied = gql(EXPORT, {"id": profile_id}, role="app")["data"]["exportProfile"]
    erased = gql(ERASE, {"id": profile_id})["data"]["eraseProfile"]
    again = gql(ERASE, {"id": profile_id})["data"]["eraseProfile"]
    first = gql(AUDIT, {})["data"]["auditLog"]
    second = gql(AUDIT, {"after": first["endCursor"]})["data"]["auditLog"]

    document = exported["document"]
    assert exported["profileId"] == profile_id
    assert {"source_records", "identifiers", "events", "orders", "order_items", "feedback",
            "consents", "interactions", "merge_log"} <= set(document["tables"])  # fmt: skip
    assert f"email:{person.EMAIL_NORM}" in document["identifiers"]
    assert len(document["merged_profile_ids"]) == 1
    assert {d["purpose"] for d in document["consent"]["in_force"]} >= {"email_marketing"}
    assert denied["__typename"] == "Forbidden"
    assert erased["__typename"] == "ProfileErased"
    assert erased["receipt"]["profiles"] == 2
    assert erased["receipt"]["actor"].startswith("dpo (key:")
    assert again == {"__typename": "NotFound", "id": profile_id}
    entries = [(n["action"], n["outcome"]) for n in first["nodes"] + second["nodes"]]
    assert entries == [  # newest first; the app's refused export is kept as denied
        ("privacy.erase", "ok"), ("privacy.export", "denied"), ("privacy.export", "ok"),
    ]  # fmt: skip
    assert first["hasNextPage"] is True
    assert second["hasNextPage"] is False
    assert all(n["keyId"] is not None for n in first["nodes"] + second["nodes"])


def test_audit_log_is_for_admins_only(gql: Gql) -> None:
    body = gql(AUDIT, {}, role="analyst")

    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
