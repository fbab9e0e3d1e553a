"""Exporting a segment's members as CSV for a stated purpose.

Only members whose latest consent decision for the purpose (on the channel, when one is
given) is a grant are written (`cdp.consent.consented_profiles`: unknown means no); the others
are left out and counted. Every export leaves an audit record with the purpose and counts.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TextIO

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cdp import models
from cdp.consent import consented_profiles
from cdp.errors import InvalidInputError

__all__ = ["COLUMNS", "ExportResult", "export_members", "export_rows"]

COLUMNS = ("profile_id", "given_name", "family_name", "email", "phone", "entered_at")


@dataclass(frozen=True)
class ExportResult:
    segment_id: int
    purpose: str
    exported: int
    left_out: int


def _check_purpose(purpose: str) -> str:
    cleaned = purpose.strip()
    if not cleaned or len(cleaned) > 50:
        raise InvalidInputError(
            "purpose", f"expected a purpose such as email_marketing, got {purpose!r}"
        )
    return cleaned


def export_rows(
    session: Session, segment: models.Segment, purpose: str, channel: str | None = None
) -> Iterator[tuple[object, ...]]:
    """The consented members' rows (COLUMNS), by profile id, streamed."""
    m, p = models.SegmentMembership, models.Profile
    query = (
        select(p.id, p.given_name, p.family_name, p.email, p.phone, m.added_at)
        .join(m, m.profile_id == p.id)
        .where(m.segment_id == segment.id)
        .where(p.id.in_(consented_profiles(_check_purpose(purpose), channel)))
        .order_by(p.id)
        .execution_options(yield_per=1_000)
    )
    for row in session.execute(query):
        yield (*row[:5], row[5].isoformat())


def export_members(
    session: Session,
    segment: models.Segment,
    purpose: str,
    out: TextIO,
    *,
    actor: str,
    channel: str | None = None,
) -> ExportResult:
    """Write the consented members to `out` as CSV (a header, then a row each); count those
    left out for want of consent; audit the export."""
    purpose = _check_purpose(purpose)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    exported = 0
    for row in export_rows(session, segment, purpose, channel):
        writer.writerow(row)
        exported += 1
    m = models.SegmentMembership
    total = (
        session.scalar(select(func.count()).select_from(m).where(m.segment_id == segment.id)) or 0
    )
    result = ExportResult(segment.id, purpose, exported, total - exported)
    session.add(
        models.AuditLog(
            actor=actor,
            action="segment.export",
            target_type="segment",
            target_id=str(segment.id),
            details={
                "purpose": purpose,
                "channel": channel,
                "exported": result.exported,
                "left_out": result.left_out,
            },
        )
    )
    session.flush()
    return result


def export_text(
    session: Session,
    segment: models.Segment,
    purpose: str,
    *,
    actor: str,
    channel: str | None = None,
) -> tuple[str, ExportResult]:
    """The export as one string (for GraphQL)."""
    buffer = io.StringIO()
    result = export_members(session, segment, purpose, buffer, actor=actor, channel=channel)
    return buffer.getvalue(), result
