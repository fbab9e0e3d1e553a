"""What a destination's sender gets and answers: `Outgoing` deliveries in, `Outcome`s out.

A sender is built from a destination row (`cdp.activation.senders.sender_for`) and sends a
batch of deliveries of that destination; it never touches the database. The worker turns its
outcomes into state: delivered, retried later (with backoff), dead, or skipped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, Literal, Protocol

import httpx

from cdp.types import utcnow

__all__ = ["Outcome", "Outgoing", "Sender", "outcome_of_error", "outcome_of_response"]

#: HTTP statuses worth retrying; any other 4xx is the request's fault and never will succeed
RETRYABLE_STATUSES = frozenset({408, 409, 425, 429})


@dataclass(frozen=True)
class Outgoing:
    """One delivery to send: its idempotency key, the change, and the profile it is about."""

    delivery_id: int
    key: str
    topic: str
    data: Mapping[str, Any]
    profile: Mapping[str, Any] | None
    changed_at: datetime
    attempt: int

    def envelope(self) -> dict[str, Any]:
        """The JSON document a webhook or file receives."""
        return {
            "id": self.key,
            "type": self.topic,
            "occurred_at": self.changed_at.isoformat(),
            "attempt": self.attempt,
            "profile": dict(self.profile) if self.profile is not None else None,
            "data": dict(self.data),
        }


@dataclass(frozen=True)
class Outcome:
    """delivered; retry (a transient failure); failed (permanent: never retried); skipped
    (nothing to send, e.g. a profile without the email address the tool needs)."""

    status: Literal["delivered", "retry", "failed", "skipped"]
    detail: str | None = None
    retry_after: float | None = None


class Sender(Protocol):
    def send(self, items: Sequence[Outgoing]) -> list[Outcome]: ...

    def close(self) -> None: ...


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("Retry-After")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(raw) - utcnow()).total_seconds())
    except (TypeError, ValueError):
        return None


def outcome_of_response(response: httpx.Response) -> Outcome:
    """2xx delivered; 408/409/425/429 and 5xx retried (honouring Retry-After); other failed."""
    if response.is_success:
        return Outcome("delivered")
    detail = f"HTTP {response.status_code}: {response.text[:300]}"
    if response.status_code in RETRYABLE_STATUSES or response.status_code >= 500:
        return Outcome("retry", detail, _retry_after(response))
    return Outcome("failed", detail)


def outcome_of_error(exc: httpx.HTTPError) -> Outcome:
    """A transport failure (refused, reset, timed out) is transient."""
    return Outcome("retry", f"{type(exc).__name__}: {exc}")
