"""The audit log: every administrative action, with actor, key id, time, target and outcome.

Append-only: this module is the only writer, and nothing in the platform (CLI, GraphQL, any
service) updates or deletes an entry. Details hold ids and counts, never personal data (an
erasure is logged against its receipt id, not the person).

    record(session, actor="key:ab12", action="privacy.erase", target_type="erasure",
           target_id=receipt.id, details={"records": 12}, key_id=3)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from cdp import models

__all__ = ["OUTCOMES", "AuditFilter", "audit_query", "entry", "list_entries", "record"]

OUTCOMES = ("ok", "denied", "failed")


def entry(
    *,
    actor: str,
    action: str,
    target_type: str,
    target_id: str,
    details: dict[str, Any] | None = None,
    key_id: int | None = None,
    outcome: str = "ok",
) -> models.AuditLog:
    """A new entry (not yet added): for async callers, which `session.add` it themselves."""
    if outcome not in OUTCOMES:
        raise ValueError(f"audit outcome {outcome!r} is not one of {', '.join(OUTCOMES)}")
    return models.AuditLog(
        actor=actor[:200],
        action=action[:100],
        target_type=target_type[:50],
        target_id=target_id[:100],
        details=details or {},
        key_id=key_id,
        outcome=outcome,
    )


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    target_type: str,
    target_id: str,
    details: dict[str, Any] | None = None,
    key_id: int | None = None,
    outcome: str = "ok",
) -> models.AuditLog:
    """Add one entry in the caller's unit of work."""
    row = entry(
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id,
        details=details,
        key_id=key_id,
        outcome=outcome,
    )
    session.add(row)
    return row


@dataclass(frozen=True)
class AuditFilter:
    """Narrows a listing; every field is optional. `action` matches a prefix (`privacy.`)."""

    action: str | None = None
    actor: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def audit_query(filters: AuditFilter, *, limit: int, before_id: int | None = None) -> Select[Any]:
    """Entries newest first, keyset-paginated by id (`before_id`: the last id already seen)."""
    a = models.AuditLog
    query = select(a)
    if filters.action:
        query = query.where(a.action.startswith(filters.action, autoescape=True))
    if filters.actor:
        query = query.where(a.actor == filters.actor)
    if filters.target_type:
        query = query.where(a.target_type == filters.target_type)
    if filters.target_id:
        query = query.where(a.target_id == filters.target_id)
    if filters.since:
        query = query.where(a.created_at >= filters.since)
    if filters.until:
        query = query.where(a.created_at < filters.until)
    if before_id is not None:
        query = query.where(a.id < before_id)
    return query.order_by(a.id.desc()).limit(limit)


def list_entries(
    session: Session, filters: AuditFilter, *, limit: int = 100, before_id: int | None = None
) -> Sequence[models.AuditLog]:
    return session.scalars(audit_query(filters, limit=limit, before_id=before_id)).all()
