"""Writing consent changes that an app reports for a profile (feedback: `cdp.feedback`).

A change follows merges (for a merged-away id it lands on the survivor), validates every
field and raises `InvalidInputError` naming the first bad one, and leaves an audit trail. It
adds rows through the caller's session and never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from cdp import models
from cdp.errors import InvalidInputError, NotFoundError
from cdp.services.profiles import resolve_profile
from cdp.types import utcnow

__all__ = ["CONSENT_STATUSES", "ConsentChange", "record_consent"]

CONSENT_STATUSES = ("granted", "revoked")
_CHANNELS = tuple(channel.value for channel in models.Channel)


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
