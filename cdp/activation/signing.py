"""Webhook signatures, in the Standard Webhooks scheme (https://www.standardwebhooks.com/):

    webhook-id:        the delivery's idempotency key (the same on every retry)
    webhook-timestamp: seconds since the epoch when this attempt was signed
    webhook-signature: "v1," + base64(HMAC-SHA256(secret, f"{id}.{timestamp}.{body}"))

A receiver recomputes the signature with the shared secret, refuses a timestamp outside its
tolerance (a replayed request is old) and remembers the ids it has processed (a replay within
the tolerance, or a retry, is a duplicate). A secret written `whsec_<base64>` (the form
Standard Webhooks libraries generate) is the decoded bytes; any other is its UTF-8 bytes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Mapping

__all__ = ["SignatureError", "secret_bytes", "sign", "signature_headers", "verify"]

TOLERANCE_SECONDS = 300


class SignatureError(Exception):
    """The request's signature headers are missing, stale or do not match."""


def secret_bytes(secret: str) -> bytes:
    if secret.startswith("whsec_"):
        return base64.b64decode(secret.removeprefix("whsec_"))
    return secret.encode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_headers(
    secret: str, message_id: str, body: bytes, *, now: float | None = None
) -> dict[str, str]:
    timestamp = int(time.time() if now is None else now)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, message_id, timestamp, body),
    }


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> str:
    """Check a received webhook; returns its id, raises `SignatureError` naming the problem."""
    lowered = {k.lower(): v for k, v in headers.items()}
    message_id = lowered.get("webhook-id")
    raw_timestamp = lowered.get("webhook-timestamp")
    signatures = lowered.get("webhook-signature")
    if not message_id or not raw_timestamp or not signatures:
        raise SignatureError("missing webhook-id, webhook-timestamp or webhook-signature")
    try:
        timestamp = int(raw_timestamp)
    except ValueError:
        raise SignatureError(f"webhook-timestamp {raw_timestamp!r} is not an integer") from None
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise SignatureError(
            f"webhook-timestamp {timestamp} is {current - timestamp:+.0f}s from now, "
            f"outside the {tolerance}s tolerance (a replay?)"
        )
    expected = sign(secret, message_id, timestamp, body)
    if not any(hmac.compare_digest(expected, s) for s in signatures.split(" ")):
        raise SignatureError("no signature in webhook-signature matches the body")
    return message_id
