"""The plain reading of Segment messages through the `ingest.fields` helpers only.

This is `ingest.adapters.segment` before its hot path read dicts directly; the tests check
that the fast `SegmentAdapter` reads every message (valid or not) exactly as this does, so it
is kept here as the executable specification. What the fast path did not change (the message
types, orders and their items, a person from the traits) is the adapter's own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ingest.adapter import Adapter
from ingest.adapters.segment import ORDER_COMPLETED, SEGMENT_TYPES, _order, _person
from ingest.errors import SkippableRecordError
from ingest.fields import (
    get_path,
    optional_str,
    parse_timestamp,
    require_mapping,
    require_str,
)
from ingest.observation import EventFact, Fact, Identifier, Observation

__all__ = ["ReferenceSegmentAdapter"]


class ReferenceSegmentAdapter(Adapter):
    name = "web.segment_reference"
    channel = "web"
    primary_key = "messageId"
    file_format = "jsonl"

    def to_observation(self, record: Mapping[str, Any]) -> Observation:
        kind = require_str(record, "type")
        if kind not in SEGMENT_TYPES:
            raise SkippableRecordError(
                f"unknown Segment message type; expected one of {', '.join(SEGMENT_TYPES)}",
                field="type",
                value=kind,
            )
        occurred_at = parse_timestamp(_timestamp(record), "timestamp")
        identifiers = _identifiers(record, kind)
        if not any(i.kind in ("user_id", "anonymous_id") for i in identifiers):
            raise SkippableRecordError("a message needs a userId or an anonymousId", field="userId")
        facts: tuple[Fact, ...] = ()
        record_kind: Any = "profile" if kind in ("identify", "alias") else "event"
        if kind not in ("identify", "alias"):
            facts = (_event(record, kind),)
        if kind == "track" and record.get("event") == ORDER_COMPLETED:
            record_kind = "order"
            facts = (*facts, _order(record, occurred_at))
        if kind == "identify":
            return Observation(
                external_id=require_str(record, "messageId"),
                kind=record_kind,
                occurred_at=occurred_at,
                identifiers=identifiers,
                person=_person(_traits(record)),
                facts=facts,
            )
        return Observation(
            require_str(record, "messageId"), record_kind, occurred_at, identifiers, facts=facts
        )


def _timestamp(record: Mapping[str, Any]) -> Any:
    for name in ("timestamp", "originalTimestamp", "sentAt", "receivedAt"):
        if record.get(name):
            return record[name]
    return None


def _traits(record: Mapping[str, Any]) -> Mapping[str, Any]:
    context_traits = require_mapping(record, "context.traits")
    return {**context_traits, **require_mapping(record, "traits")}


def _identifiers(record: Mapping[str, Any], kind: str) -> tuple[Identifier, ...]:
    found: list[Identifier] = []
    for kind_name, path in (("user_id", "userId"), ("anonymous_id", "anonymousId")):
        value = optional_str(record, path)
        if value:
            found.append(Identifier(kind_name, value))
    if kind == "alias" and optional_str(record, "previousId"):
        found.append(Identifier("anonymous_id", str(record["previousId"])))
    traits = _traits(record)
    for kind_name, key in (("email", "email"), ("phone", "phone")):
        value = optional_str(traits, key)
        if value:
            found.append(Identifier(kind_name, value))
    handle = optional_str(traits, "x_handle")
    if handle:
        found.append(Identifier("social_handle", f"x:{handle.lstrip('@')}"))
    return tuple(found)


def _event(record: Mapping[str, Any], kind: str) -> EventFact:
    properties = dict(require_mapping(record, "properties"))
    if kind == "track":
        name: str | None = require_str(record, "event")
    elif kind == "group":
        name = optional_str(record, "groupId")
        properties = dict(require_mapping(record, "traits"))
    else:
        page = require_mapping(record, "context.page")
        name = optional_str(record, "name") or optional_str(page, "path")
        for key in ("url", "path", "title"):
            if key in page and key not in properties:
                properties[key] = page[key]
    campaign = get_path(record, "context.campaign.name")
    return EventFact(
        type=kind,
        name=name,
        campaign_id=str(campaign) if isinstance(campaign, str | int) else None,
        properties=properties,
    )
