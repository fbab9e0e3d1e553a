"""The intake for feedback a product app names its customer for by identifiers (the
composition root's side of `submitFeedback(input: {identifiers: ...})`).

The GraphQL layer may not import ingest or identity, so the app hands the schema context
`make_feedback_intake(...)`: a callable that stores the submission as a source record of the
`app.feedback` adapter (one source per channel, `app-feedback-<channel>`) through the same
push path the webhooks use (`ingest.ingest_push`), resolves it (`identity.resolve_records`:
an identifier nobody has seen creates a profile, a known one joins its profile) and analyses
the feedback, all in one transaction, so a failure leaves nothing half-written and no row
without a profile. A resent submission with the same `external_id` returns the row stored
the first time and changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

import identity
from cdp import models
from cdp.errors import ConflictError, InvalidInputError
from cdp.feedback.batch import analyze_pending
from cdp.feedback.service import (
    FeedbackIntake,
    FeedbackSubmission,
    check_identifiers,
    check_submission,
)
from cdp.feedback.taxonomy import Taxonomy
from cdp.pending import lock_statement
from cdp.refresh import after_resolution
from ingest import ensure_source, ingest_push
from ingest.adapters.app_feedback import AppFeedbackAdapter

__all__ = ["make_feedback_intake"]


def make_feedback_intake(
    factory: async_sessionmaker[AsyncSession], *, default_region: str, taxonomy: Taxonomy
) -> FeedbackIntake:
    async def intake(
        identifiers: Mapping[str, str],
        data: FeedbackSubmission,
        *,
        actor: str,
        full_name: str | None = None,
        external_id: str | None = None,
    ) -> int:
        occurred_at = check_submission(data)
        payload = {
            "id": external_id or str(uuid.uuid4()),
            "occurred_at": occurred_at.isoformat(),
            "identifiers": check_identifiers(identifiers),
            "full_name": full_name,
            "feedback": {
                "kind": data.kind,
                "text": data.text,
                "rating": data.rating,
                "nps": data.nps,
                "csat": data.csat,
                "topic": data.topic,
                "product_ref": data.product_ref,
                "order_ref": data.order_ref,
            },
        }
        async with factory.begin() as session:
            # resolution is serialised across processes (`cdp.pending`); awaited here, so the
            # event loop serves other requests while another process holds the lock
            dialect = session.get_bind().dialect.name
            await session.execute(text(lock_statement(dialect)))
            return await session.run_sync(
                lambda sync: _store(sync, payload, data.channel, actor, default_region, taxonomy)
            )

    return intake


def _store(
    session: Session,
    payload: dict[str, Any],
    channel: str,
    actor: str,
    region: str,
    taxonomy: Taxonomy,
) -> int:
    source = ensure_source(
        session,
        name=f"app-feedback-{channel}",
        channel=channel,
        adapter=AppFeedbackAdapter.name,
        config={},
    )
    stored = _stored_feedback(session, source.id, payload["id"])
    if stored is not None:  # a resent submission: the first one stands
        return stored
    result = ingest_push(
        session,
        AppFeedbackAdapter(),
        source,
        [payload],
        position="graphql submitFeedback",
        default_region=region,
    )
    if result.rejected:
        reason = result.errors[0].split(": ", 1)[-1]
        raise InvalidInputError("identifiers", reason)
    if not result.record_ids:  # the same externalId, sent at the same time, won the race
        stored = _stored_feedback(session, source.id, payload["id"])
        if stored is None:
            raise ConflictError(f"feedback {payload['id']!r} is being stored; retry")
        return stored
    (record_id,) = result.record_ids
    resolved = identity.resolve_records(session, [record_id], default_region=region)
    after_resolution(session, [record_id], resolved.merges)
    analyze_pending(session, taxonomy=taxonomy, record_ids=[record_id])
    feedback_id, profile_id, kind = session.execute(
        select(models.Feedback.id, models.Feedback.profile_id, models.Feedback.kind).where(
            models.Feedback.record_id == record_id
        )
    ).one()
    session.add(
        models.AuditLog(
            actor=actor,
            action="feedback.submit",
            target_type="profile",
            target_id=profile_id,
            details={"kind": kind, "channel": channel},
        )
    )
    return int(feedback_id)


def _stored_feedback(session: Session, source_id: int, external_id: str) -> int | None:
    r, f = models.SourceRecord, models.Feedback
    found = session.scalar(
        select(f.id)
        .join(r, r.id == f.record_id)
        .where(r.source_id == source_id, r.external_id == external_id)
    )
    return None if found is None else int(found)
