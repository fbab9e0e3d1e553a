"""Writing customer feedback and consent changes that an app reports for a profile.

Both follow merges (feedback for a merged-away id lands on the survivor), validate every field
and raise `InvalidInputError` naming the first bad one, and leave an audit trail. They add rows
through the caller's session and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from cdp import models
from cdp.errors import InvalidInputError, NotFoundError
from cdp.services.profiles import resolve_profile
from cdp.types import utcnow

__all__ = [
    "CONSENT_STATUSES",
    "FEEDBACK_KINDS",
    "ConsentChange",
    "FeedbackInput",
    "record_consent",
    "submit_feedback",
]

FEEDBACK_KINDS = ("review", "survey", "rating", "complaint", "comment")
CONSENT_STATUSES = ("granted", "revoked")
_CHANNELS = tuple(channel.value for channel in models.Channel)


@dataclass(frozen=True)
class FeedbackInput:
    profile_id: str
    channel: str
    kind: str
    rating: int | None = None
    text: str | None = None
    topic: str | None = None
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class ConsentChange:
    profile_id: str
    channel: str
    purpose: str
    status: str
    reason: str | None = None
    occurred_at: datetime | None = None


def _check_choice(field: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise InvalidInputError(field, f"{value!r} is not one of {', '.join(allowed)}")


def _check_length(field: str, value: str | None, limit: int) -> None:
    if value is not None and len(value) > limit:
        raise InvalidInputError(field, f"{len(value)} characters is too long; at most {limit}")


def _check_time(field: str, value: datetime | None) -> datetime:
    if value is None:
        return utcnow()
    if value.tzinfo is None:
        raise InvalidInputError(field, f"{value.isoformat()!r} has no time zone; add e.g. 'Z'")
    return value


async def _survivor_id(session: AsyncSession, profile_id: str) -> str:
    resolved = await resolve_profile(session, profile_id)
    if resolved is None:
        raise NotFoundError("profile", profile_id)
    return resolved.profile.id


async def submit_feedback(
    session: AsyncSession, data: FeedbackInput, *, actor: str
) -> models.Feedback:
    """Add one feedback row for the (surviving) profile; returns it with its id."""
    _check_choice("channel", data.channel, _CHANNELS)
    _check_choice("kind", data.kind, FEEDBACK_KINDS)
    if data.rating is not None and not 1 <= data.rating <= 5:
        raise InvalidInputError("rating", f"{data.rating} is out of range; expected 1 to 5")
    if data.rating is None and not (data.text or "").strip():
        raise InvalidInputError("text", "feedback needs a rating, a text, or both")
    if data.text is not None and len(data.text) > 10_000:
        raise InvalidInputError("text", f"{len(data.text)} characters is too long; at most 10000")
    _check_length("topic", data.topic, 100)
    occurred_at = _check_time("occurredAt", data.occurred_at)
    profile_id = await _survivor_id(session, data.profile_id)
    row = models.Feedback(
        profile_id=profile_id,
        channel=data.channel,
        kind=data.kind,
        rating=data.rating,
        text=data.text,
        topic=data.topic,
        occurred_at=occurred_at,
    )
    session.add(row)
    session.add(_audit(actor, "feedback.submit", profile_id, {"kind": data.kind}))
    await session.flush()
    return row


async def record_consent(
    session: AsyncSession, change: ConsentChange, *, actor: str
) -> models.Consent:
    """Add one consent change; the latest change per purpose is the one in force."""
    _check_choice("channel", change.channel, _CHANNELS)
    _check_choice("status", change.status, CONSENT_STATUSES)
    purpose = change.purpose.strip().lower()
    if not purpose or len(purpose) > 50:
        raise InvalidInputError("purpose", f"{change.purpose!r} must be 1 to 50 characters")
    _check_length("reason", change.reason, 200)
    occurred_at = _check_time("occurredAt", change.occurred_at)
    profile_id = await _survivor_id(session, change.profile_id)
    row = models.Consent(
        profile_id=profile_id,
        channel=change.channel,
        purpose=purpose,
        status=change.status,
        reason=change.reason,
        occurred_at=occurred_at,
    )
    session.add(row)
    details = {"purpose": purpose, "status": change.status, "channel": change.channel}
    session.add(_audit(actor, "consent.set", profile_id, details))
    await session.flush()
    return row


def _audit(actor: str, action: str, profile_id: str, details: dict[str, str]) -> models.AuditLog:
    return models.AuditLog(
        actor=actor, action=action, target_type="profile", target_id=profile_id, details=details
    )
