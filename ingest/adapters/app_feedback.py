"""`app.feedback`: feedback a product app sent through GraphQL naming its customer by
identifiers (email, phone, customer id...) rather than a profile id.

The composition root (`cdp.web.feedback_intake`) stores each such submission as a source
record of this adapter, one source per channel (`app-feedback-web`, ...), and resolves it
like any record, so an identifier nobody has seen yet creates a profile and a known one joins
it. The payload:

    {"id": "…", "occurred_at": "2026-12-07T10:00:00Z", "identifiers": {"email": "a@b.io"},
     "full_name": "Ann Lee", "feedback": {"kind": "review", "text": "…", "rating": 4, "nps": null,
     "csat": null, "topic": null, "product_ref": "SKU-1", "order_ref": null}}

It is not in the adapter registry: nothing reads it from files or an API.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ingest.adapter import Adapter
from ingest.errors import SkippableRecordError
from ingest.fields import optional_str, parse_timestamp, require_mapping, require_str
from ingest.observation import FeedbackFact, Identifier, Observation, Person

__all__ = ["AppFeedbackAdapter"]


def _score(feedback: Mapping[str, Any], field: str) -> int | None:
    value = feedback.get(field)
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise SkippableRecordError("expected a whole number", field=f"feedback.{field}", value=value)


class AppFeedbackAdapter(Adapter):
    name = "app.feedback"
    channel = "web"
    primary_key = "id"

    def to_observation(self, record: Mapping[str, Any]) -> Observation:
        identifiers = require_mapping(record, "identifiers")
        found = tuple(
            Identifier(str(kind), str(value))
            for kind, value in identifiers.items()
            if isinstance(value, str) and value.strip()
        )
        if not found:
            raise SkippableRecordError(
                "expected at least one identifier", field="identifiers", value=identifiers
            )
        feedback = require_mapping(record, "feedback")
        fact = FeedbackFact(
            kind=require_str(feedback, "kind"),
            text=optional_str(feedback, "text"),
            rating=_score(feedback, "rating"),
            nps=_score(feedback, "nps"),
            csat=_score(feedback, "csat"),
            topic=optional_str(feedback, "topic"),
            product_ref=optional_str(feedback, "product_ref"),
            order_ref=optional_str(feedback, "order_ref"),
        )
        person = Person(
            full_name=optional_str(record, "full_name"),
            email=identifiers.get("email") if isinstance(identifiers.get("email"), str) else None,
            phone=identifiers.get("phone") if isinstance(identifiers.get("phone"), str) else None,
        )
        return Observation(
            external_id=require_str(record, "id"),
            kind="feedback",
            occurred_at=parse_timestamp(record.get("occurred_at"), "occurred_at"),
            identifiers=found,
            person=person,
            facts=(fact,),
        )
