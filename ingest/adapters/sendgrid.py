"""`email.sendgrid`: SendGrid Event Webhook events, from exported JSON arrays or the webhook.

Every event is an `event` record (`email.open`, `email.click`...). `unsubscribe`,
`group_unsubscribe` and `spamreport` are also revocations of `email_marketing` on the email
channel, and `group_resubscribe` a grant: those are `consent` records (an unsubscribe from one
group withdraws email marketing as a whole: the safe reading; the group is in the reason).
The custom args `campaign_id` and `customer_id` become the event's campaign and a
`customer_id` identifier; an event with no `campaign_id` is of the campaign its (first)
`category` names, so campaign figures work for senders who only set categories
(docs/campaigns.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from ingest.adapter import Adapter
from ingest.errors import SkippableRecordError
from ingest.fields import optional_str, parse_unix_timestamp, require_str, require_text
from ingest.observation import ConsentFact, EventFact, Fact, Identifier, Observation, Person

__all__ = ["SENDGRID_EVENTS", "SendGridAdapter"]

SENDGRID_EVENTS = (
    "processed",
    "delivered",
    "open",
    "click",
    "bounce",
    "dropped",
    "deferred",
    "spamreport",
    "unsubscribe",
    "group_unsubscribe",
    "group_resubscribe",
)
_CONSENT: dict[str, Literal["granted", "revoked"]] = {
    "unsubscribe": "revoked",
    "group_unsubscribe": "revoked",
    "spamreport": "revoked",
    "group_resubscribe": "granted",
}
_PROPERTY_KEYS = ("sg_message_id", "category", "url", "reason", "status", "asm_group_id", "type")


class SendGridAdapter(Adapter):
    name = "email.sendgrid"
    channel = "email"
    primary_key = "sg_event_id"
    file_format = "json_array"

    def to_observation(self, record: Mapping[str, Any]) -> Observation:
        event = require_str(record, "event")
        if event not in SENDGRID_EVENTS:
            raise SkippableRecordError(
                f"unknown SendGrid event type; expected one of {', '.join(SENDGRID_EVENTS)}",
                field="event",
                value=event,
            )
        email = require_text(record, "email")
        occurred_at = parse_unix_timestamp(record.get("timestamp"), "timestamp")
        identifiers = [Identifier("email", email)]
        customer_id = optional_str(record, "customer_id")
        if customer_id:
            identifiers.append(Identifier("customer_id", customer_id))
        properties = {key: record[key] for key in _PROPERTY_KEYS if key in record}
        facts: list[Fact] = [
            EventFact(
                type=f"email.{event}",
                name=event,
                campaign_id=optional_str(record, "campaign_id") or _first_category(record),
                properties=properties,
            )
        ]
        if event in _CONSENT:
            facts.append(_consent(record, event))
        return Observation(
            external_id=require_str(record, "sg_event_id"),
            kind="consent" if event in _CONSENT else "event",
            occurred_at=occurred_at,
            identifiers=tuple(identifiers),
            person=Person(email=email),
            facts=tuple(facts),
        )


def _first_category(record: Mapping[str, Any]) -> str | None:
    category = record.get("category")
    if isinstance(category, list):
        category = category[0] if category else None
    return category.strip()[:200] or None if isinstance(category, str) else None


def _consent(record: Mapping[str, Any], event: str) -> ConsentFact:
    group = optional_str(record, "asm_group_id")
    reason = f"sendgrid {event}" + (
        f" (group {group})" if event.startswith("group_") and group else ""
    )
    return ConsentFact("email_marketing", _CONSENT[event], reason, "email")
