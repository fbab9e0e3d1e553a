"""Access (GDPR article 15): everything held about a person, as one JSON document.

    document = export_profile(session, "p_...", actor="alice")

The document holds the golden record of the person (and of every profile merged into it),
their consent (in force and the full history), then every row of every table that refers to
them, found from the metadata like an erasure (`cdp.privacy.tables`): identifiers, source
records with their raw payloads, events, orders and their items, interactions, feedback,
traits, segment memberships, identity links and the merge history, and any table added
later. Quarantined records whose raw text carries one of their identifiers are included.
The export is audited (`privacy.export`).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, or_, select
from sqlalchemy.orm import Session

from cdp import audit, models
from cdp.consent import consent_in_force
from cdp.privacy.erasure import find_person, person_identifiers
from cdp.privacy.tables import PersonSet, child_rows, linked_tables, person_condition
from cdp.types import utcnow

__all__ = ["EXPORT_FORMAT", "export_profile", "to_json_value"]

EXPORT_FORMAT = "cdp.privacy.export/1"


def to_json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {str(k): to_json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json_value(v) for v in value]
    return value


def _rows(session: Session, table: Table, condition: Any) -> list[dict[str, Any]]:
    order = list(table.primary_key.columns)
    result = session.execute(select(table).where(condition).order_by(*order)).mappings()
    return [{key: to_json_value(value) for key, value in row.items()} for row in result]


def _tables(session: Session, person: PersonSet) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}

    def add(table: Table, condition: Any) -> None:
        rows = _rows(session, table, condition)
        if rows:
            seen = found.setdefault(table.name, [])
            seen.extend(row for row in rows if row not in seen)

    records = models.Base.metadata.tables["source_records"]
    add(records, records.c.id.in_(person.record_ids))
    for link in linked_tables():
        condition = person_condition(link, person)
        add(link.table, condition)
        for child, child_condition in child_rows(link.table, condition):
            add(child, child_condition)
    return dict(sorted(found.items()))


def _quarantined(session: Session, values: set[str]) -> list[dict[str, Any]]:
    q = models.Base.metadata.tables["quarantine"]
    needles = sorted(v for v in values if len(v) >= 5)
    if not needles:
        return []
    return _rows(session, q, or_(*(q.c.raw.contains(v, autoescape=True) for v in needles)))


def export_profile(
    session: Session, profile_id: str, *, actor: str, key_id: int | None = None
) -> dict[str, Any]:
    """Everything held about the person `profile_id` names (merged ids follow to the
    survivor); raises `NotFoundError` for an unknown id."""
    person = find_person(session, profile_id)
    p = models.Base.metadata.tables["profiles"]
    profiles = _rows(session, p, p.c.id.in_(person.profile_ids))
    c = models.Consent
    history = list(
        session.scalars(
            select(c).where(c.profile_id.in_(person.profile_ids)).order_by(c.occurred_at, c.id)
        )
    )
    identifiers = person_identifiers(session, person)
    document = {
        "format": EXPORT_FORMAT,
        "generated_at": utcnow().isoformat(),
        "profile_id": person.survivor,
        "merged_profile_ids": [pid for pid in person.profile_ids if pid != person.survivor],
        "golden_record": next((row for row in profiles if row["id"] == person.survivor), None),
        "profiles": profiles,
        "identifiers": sorted({f"{kind}:{value}" for kind, value, _ in identifiers}),
        "consent": {
            "in_force": [
                {
                    "purpose": d.purpose,
                    "channel": d.channel,
                    "status": d.status,
                    "occurred_at": d.occurred_at.isoformat(),
                }
                for d in consent_in_force(history)
            ],
            "history_rows": len(history),
        },
        "tables": _tables(session, person),
        "quarantine": _quarantined(
            session, {v for _, v, _ in identifiers} | {raw for _, _, raw in identifiers}
        ),
    }
    audit.record(
        session,
        actor=actor,
        action="privacy.export",
        target_type="profile",
        target_id=person.survivor,
        details={"profiles": len(person.profile_ids), "records": len(person.record_ids)},
        key_id=key_id,
    )
    return document
