"""Storing feedback a product app sends for a known profile, analysed on the way in.

`check_submission` is the one validation of a submission, used here and by the composition
root's intake for feedback that names its customer by an identifier (which stores a source
record and resolves it instead; see `cdp.app`). `submit_feedback` follows merges (feedback
for a merged-away id lands on the survivor), writes the row with its language, sentiment and
topics, and an audit entry, through the caller's session; it never commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from cdp import models
from cdp.errors import InvalidInputError, NotFoundError
from cdp.feedback.analysis import analyze, refine_kind
from cdp.feedback.kinds import FEEDBACK_KINDS
from cdp.feedback.taxonomy import Taxonomy
from cdp.normalize import IDENTIFIER_KINDS
from cdp.services.profiles import resolve_profile
from cdp.types import utcnow

__all__ = [
    "CHANNELS",
    "FeedbackIntake",
    "FeedbackSubmission",
    "check_identifiers",
    "check_submission",
    "submit_feedback",
]

CHANNELS = tuple(channel.value for channel in models.Channel)
MAX_TEXT = 10_000


@dataclass(frozen=True)
class FeedbackSubmission:
    """What a customer said: a text, a score (stars, NPS, CSAT) or both."""

    channel: str
    kind: str
    text: str | None = None
    rating: int | None = None
    nps: int | None = None
    csat: int | None = None
    topic: str | None = None
    product_ref: str | None = None
    order_ref: str | None = None
    occurred_at: datetime | None = None


class FeedbackIntake(Protocol):
    """Stores feedback whose customer is named by identifiers, the way pushed records are
    stored: a source record, resolved by identity (an unknown identifier creates a profile,
    a known one joins it), then analysed. Returns the feedback row's id. The composition root
    provides it (`cdp.web.feedback_intake`); the GraphQL layer calls it."""

    async def __call__(
        self,
        identifiers: Mapping[str, str],
        data: FeedbackSubmission,
        *,
        actor: str,
        full_name: str | None = None,
        external_id: str | None = None,
    ) -> int: ...


def check_identifiers(identifiers: Mapping[str, str]) -> dict[str, str]:
    """The identifiers trimmed; `InvalidInputError` for none, an unknown kind or a blank."""
    if not identifiers:
        raise InvalidInputError("identifiers", "give at least one identifier (email, phone...)")
    cleaned: dict[str, str] = {}
    for kind, value in identifiers.items():
        if kind not in IDENTIFIER_KINDS:
            known = ", ".join(IDENTIFIER_KINDS)
            raise InvalidInputError("identifiers", f"{kind!r} is not one of {known}")
        if not value.strip() or len(value) > 320:
            raise InvalidInputError("identifiers", f"{kind} {value!r} must be 1 to 320 characters")
        cleaned[kind] = value.strip()
    return cleaned


def _in_range(field: str, value: int | None, low: int, high: int, what: str) -> None:
    if value is not None and not low <= value <= high:
        raise InvalidInputError(field, f"{value} is out of range; expected {what} {low} to {high}")


def _short(field: str, value: str | None, limit: int) -> None:
    if value is not None and len(value) > limit:
        raise InvalidInputError(field, f"{len(value)} characters is too long; at most {limit}")


def check_submission(data: FeedbackSubmission) -> datetime:
    """Raise `InvalidInputError` naming the first bad field; returns the time it happened."""
    if data.channel not in CHANNELS:
        raise InvalidInputError("channel", f"{data.channel!r} is not one of {', '.join(CHANNELS)}")
    if data.kind not in FEEDBACK_KINDS:
        known = ", ".join(FEEDBACK_KINDS)
        raise InvalidInputError("kind", f"{data.kind!r} is not one of {known}")
    _in_range("rating", data.rating, 1, 5, "stars")
    _in_range("nps", data.nps, 0, 10, "a likelihood to recommend from")
    _in_range("csat", data.csat, 1, 5, "a satisfaction score from")
    scores = (data.rating, data.nps, data.csat)
    if all(score is None for score in scores) and not (data.text or "").strip():
        raise InvalidInputError(
            "text", "feedback needs a text, a score (rating, nps, csat) or both"
        )
    _short("text", data.text, MAX_TEXT)
    _short("topic", data.topic, 100)
    _short("productRef", data.product_ref, 200)
    _short("orderRef", data.order_ref, 200)
    if data.occurred_at is None:
        return utcnow()
    if data.occurred_at.tzinfo is None:
        value = data.occurred_at.isoformat()
        raise InvalidInputError("occurredAt", f"{value!r} has no time zone; add e.g. 'Z'")
    return data.occurred_at


async def submit_feedback(
    session: AsyncSession,
    profile_id: str,
    data: FeedbackSubmission,
    *,
    actor: str,
    taxonomy: Taxonomy | None = None,
) -> models.Feedback:
    """Add one analysed feedback row for the (surviving) profile; returns it with its id."""
    occurred_at = check_submission(data)
    resolved = await resolve_profile(session, profile_id)
    if resolved is None:
        raise NotFoundError("profile", profile_id)
    survivor = resolved.profile.id
    found = analyze(
        data.text,
        rating=data.rating,
        nps=data.nps,
        csat=data.csat,
        stated_topic=data.topic,
        taxonomy=taxonomy,
    )
    row = models.Feedback(
        profile_id=survivor,
        channel=data.channel,
        kind=refine_kind(data.kind, data.text, found),
        rating=data.rating,
        nps=data.nps,
        csat=data.csat,
        text=data.text,
        topic=data.topic,
        product_ref=data.product_ref,
        order_ref=data.order_ref,
        occurred_at=occurred_at,
        language=found.language,
        sentiment=found.sentiment,
        sentiment_label=found.label,
        status="open",
        topics=[models.FeedbackTopic(topic=topic) for topic in found.topics],
    )
    session.add(row)
    details = {"kind": row.kind, "channel": data.channel}
    session.add(
        models.AuditLog(
            actor=actor,
            action="feedback.submit",
            target_type="profile",
            target_id=survivor,
            details=details,
        )
    )
    await session.flush()
    return row
