"""Writing consent decisions that an app or an admin reports for a profile (reads: `cdp.consent`).

A decision follows merges (for a merged-away id it lands on the survivor, and remembers the id
it was made for so a split gives it back), validates every field and raises
`InvalidInputError` naming the first bad one, keeps its evidence (the API call and the key)
and leaves an audit entry. It adds rows through the caller's session and never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from cdp import audit, models
from cdp.consent import ANY_CHANNEL, STATUSES
from cdp.errors import InvalidInputError, NotFoundError
from cdp.services.profiles import resolve_profile
from cdp.types import utcnow

__all__ = ["CONSENT_STATUSES", "ConsentChange", "record_consent"]

CONSENT_STATUSES = STATUSES
_CHANNELS = (*models.BUILT_IN_CHANNELS, ANY_CHANNEL)


@dataclass(frozen=True)
class ConsentChange:
    profile_id: str
    channel: str
    purpose: str
    status: str
    reason: str | None = None
    occurred_at: datetime | None = None
    #: the API call it came from, kept as the decision's evidence
    via: str = "graphql setConsent"


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
    session: AsyncSession,
    change: ConsentChange,
    *,
    actor: str,
    purposes: tuple[str, ...] | None = None,
    key_id: int | None = None,
) -> models.Consent:
    """Add one decision; the latest per purpose (and channel) is the one in force. With
    `purposes` (the configured list), a purpose outside it is refused."""
    _check_choice("channel", change.channel, _CHANNELS)
    _check_choice("status", change.status, CONSENT_STATUSES)
    purpose = change.purpose.strip().lower()
    if not purpose or len(purpose) > 50:
        raise InvalidInputError("purpose", f"{change.purpose!r} must be 1 to 50 characters")
    if purposes is not None:
        _check_choice("purpose", purpose, purposes)
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
        actor=actor[:200],
        evidence={"via": change.via, "actor": actor[:200], "key_id": key_id},
        origin_profile_id=profile_id,
    )
    session.add(row)
    details = {"purpose": purpose, "status": change.status, "channel": change.channel}
    session.add(
        audit.entry(
            actor=actor,
            action="consent.set",
            target_type="profile",
            target_id=profile_id,
            details=details,
            key_id=key_id,
        )
    )
    await session.flush()
    return row
