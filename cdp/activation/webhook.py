"""The webhook destination: each delivery is one signed JSON POST (`cdp.activation.signing`).

Headers: `Content-Type: application/json`, the Standard Webhooks `webhook-id` (the delivery's
idempotency key, the same on every retry), `webhook-timestamp` and `webhook-signature`, and
`Idempotency-Key` (the same key, for receivers that dedupe on that header).
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx
import orjson

from cdp.activation._sender import Outcome, Outgoing, outcome_of_error, outcome_of_response
from cdp.activation.signing import signature_headers

__all__ = ["WebhookSender"]

USER_AGENT = "cdp-activation/1"


class WebhookSender:
    def __init__(self, url: str, secret: str, client: httpx.Client) -> None:
        self.url = url
        self.secret = secret
        self.client = client

    def send(self, items: Sequence[Outgoing]) -> list[Outcome]:
        return [self._send_one(item) for item in items]

    def _send_one(self, item: Outgoing) -> Outcome:
        body = orjson.dumps(item.envelope())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "Idempotency-Key": item.key,
            **signature_headers(self.secret, item.key, body),
        }
        try:
            response = self.client.post(self.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return outcome_of_error(exc)
        return outcome_of_response(response)

    def close(self) -> None:
        self.client.close()
