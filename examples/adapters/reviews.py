"""store.reviews: product reviews exported as JSON Lines, one review per line."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ingest import (
    Adapter,
    FeedbackFact,
    Identifier,
    Observation,
    Person,
    SkippableRecordError,
)
from ingest.fields import optional_str, parse_timestamp, require_str


class ReviewsAdapter(Adapter):
    name = "store.reviews"  # unique registry key
    channel = "store"  # web, social, email or store
    primary_key = "review_id"  # the field holding each record's natural key
    file_format = "jsonl"  # one JSON object per line

    def to_observation(self, record: Mapping[str, Any]) -> Observation:
        stars = record.get("stars")
        if not isinstance(stars, int) or not 1 <= stars <= 5:
            raise SkippableRecordError("expected 1 to 5 stars", field="stars", value=stars)
        email = require_str(record, "email")
        return Observation(
            external_id=require_str(record, "review_id"),
            kind="feedback",
            occurred_at=parse_timestamp(record.get("created_at"), "created_at"),
            identifiers=(Identifier("email", email),),
            person=Person(full_name=optional_str(record, "name"), email=email),
            facts=(
                FeedbackFact(
                    kind="review",
                    rating=stars,
                    text=optional_str(record, "body"),
                    topic=optional_str(record, "product"),
                ),
            ),
        )
