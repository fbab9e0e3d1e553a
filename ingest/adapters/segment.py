"""`web.segment`: Segment Spec messages, from JSON Lines files or the tracking API (push).

`identify` and `alias` are `profile` records; `track`, `page`, `screen` and `group` are
`event` records, except `track "Order Completed"` (e-commerce spec), an `order` record with
its products as items. An identify carrying both `userId` and `anonymousId` yields both
identifiers on one record: that is how an anonymous visitor joins a person.

Consent: `context.consent.categoryPreferences` (Segment's consent management: `{"Analytics":
true, "Advertising": false}`) on an `identify` or on the `Segment Consent Preference Updated`
track event becomes one decision per category, for every channel (`true` granted, `false`
denied), the category's name as the purpose (lower case, `_` between words; `personalization`
spelled `personalisation`). Other messages carry the same preferences on every event; they
are not read again.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, Literal

from ingest.adapter import Adapter
from ingest.errors import SkippableRecordError
from ingest.fields import (
    currency_code,
    get_path,
    optional_str,
    parse_iso,
    parse_timestamp,
    require_mapping,
    require_str,
    to_minor_units,
)
from ingest.observation import (
    Address,
    ConsentFact,
    EventFact,
    Fact,
    Identifier,
    Observation,
    OrderFact,
    OrderItemFact,
    Person,
)

__all__ = ["SEGMENT_TYPES", "SegmentAdapter"]

SEGMENT_TYPES = ("identify", "track", "page", "screen", "alias", "group")
ORDER_COMPLETED = "Order Completed"
CONSENT_UPDATED = "Segment Consent Preference Updated"


class SegmentAdapter(Adapter):
    name = "web.segment"
    channel = "web"
    primary_key = "messageId"
    file_format = "jsonl"

    def to_observation(self, record: Mapping[str, Any]) -> Observation:
        # The hot path of web ingest: plain dict reads where the value has the expected type,
        # and the `ingest.fields` helpers (which name the field and value) for anything else,
        # so a malformed message fails exactly as it would through the helpers alone.
        kind = record.get("type")
        if kind not in SEGMENT_TYPES:
            kind = require_str(record, "type")
            if kind not in SEGMENT_TYPES:
                raise SkippableRecordError(
                    f"unknown Segment message type; expected one of {', '.join(SEGMENT_TYPES)}",
                    field="type",
                    value=kind,
                )
        occurred_at = parse_timestamp(_timestamp(record), "timestamp")
        context = record.get("context")
        if context is not None and type(context) is not dict:
            context = context if isinstance(context, Mapping) else None
        identifiers, traits = _identifiers(record, kind, context)
        if kind == "identify":
            external_id = _key(record)
            person = _person(traits)
            consents = _consents(context)
            return Observation(external_id, "profile", occurred_at, identifiers, person, consents)
        if kind == "alias":
            return Observation(_key(record), "profile", occurred_at, identifiers)
        event = _event(record, kind, context)
        if kind == "track" and record.get("event") == ORDER_COMPLETED:
            facts: tuple[Fact, ...] = (event, _order(record, occurred_at))
            return Observation(_key(record), "order", occurred_at, identifiers, facts=facts)
        if kind == "track" and record.get("event") == CONSENT_UPDATED:
            facts = (event, *_consents(context))
            return Observation(_key(record), "consent", occurred_at, identifiers, facts=facts)
        return Observation(_key(record), "event", occurred_at, identifiers, facts=(event,))

    def on_receive(self, record: Mapping[str, Any], received_at: datetime) -> Mapping[str, Any]:
        """As Segment's tracking API does: `receivedAt` is the server's time; `timestamp` is
        optional (the receive time stands in); when the client says when it sent the message
        (`sentAt`), its clock's skew is taken out: `timestamp = receivedAt - (sentAt -
        timestamp)`, the client's own time kept as `originalTimestamp`."""
        out = dict(record)
        out["receivedAt"] = received_at.isoformat()
        if record.get("originalTimestamp") is not None:
            return out
        stated, sent = parse_iso(record.get("timestamp")), parse_iso(record.get("sentAt"))
        if record.get("timestamp") in (None, ""):
            out["timestamp"] = received_at.isoformat()
        elif stated is not None and sent is not None:
            out["originalTimestamp"] = record["timestamp"]
            out["timestamp"] = (received_at - (sent - stated)).isoformat()
        return out


_NOTHING: Mapping[str, Any] = MappingProxyType({})
_PURPOSE_SPELLINGS = {"personalization": "personalisation"}


def _consents(context: Mapping[str, Any] | None) -> tuple[ConsentFact, ...]:
    consent = None if context is None else context.get("consent")
    preferences = consent.get("categoryPreferences") if isinstance(consent, Mapping) else None
    if not isinstance(preferences, Mapping):
        return ()
    found: list[ConsentFact] = []
    for name, value in preferences.items():
        if not isinstance(value, bool) or not isinstance(name, str):
            continue
        purpose = "_".join(name.strip().lower().replace("-", " ").split())[:50]
        if not purpose:
            continue
        purpose = _PURPOSE_SPELLINGS.get(purpose, purpose)
        status: Literal["granted", "denied"] = "granted" if value else "denied"
        found.append(ConsentFact(purpose, status, "segment categoryPreferences", "any"))
    return tuple(found)


def _str(record: Mapping[str, Any], key: str) -> str | None:
    """`optional_str(record, key)` for a key without dots, fast when the value is a string."""
    value = record.get(key)
    if value is None:
        return None
    if type(value) is str:
        return value.strip() or None
    return optional_str(record, key)


def _key(record: Mapping[str, Any]) -> str:
    value = record.get("messageId")
    if type(value) is str:
        text = value.strip()
        if text and len(text) <= 255:
            return text
    return require_str(record, "messageId")


def _timestamp(record: Mapping[str, Any]) -> Any:
    for name in ("timestamp", "originalTimestamp", "sentAt", "receivedAt"):
        if record.get(name):
            return record[name]
    return None


def _traits(record: Mapping[str, Any], context: Mapping[str, Any] | None) -> Mapping[str, Any]:
    own = record.get("traits")
    nested = None if context is None else context.get("traits")
    if own is None and nested is None:
        return _NOTHING
    return {**require_mapping(record, "context.traits"), **require_mapping(record, "traits")}


def _identifiers(
    record: Mapping[str, Any], kind: str, context: Mapping[str, Any] | None
) -> tuple[tuple[Identifier, ...], Mapping[str, Any]]:
    """The message's identifiers, and its traits (which some of them come from)."""
    found: list[Identifier] = []
    user_id = _str(record, "userId")
    if user_id:
        found.append(Identifier("user_id", user_id))
    anonymous_id = _str(record, "anonymousId")
    if anonymous_id:
        found.append(Identifier("anonymous_id", anonymous_id))
    if kind == "alias" and _str(record, "previousId"):
        found.append(Identifier("anonymous_id", str(record["previousId"])))
    has_id = bool(found)
    traits = _traits(record, context)
    if traits:
        for kind_name, key in (("email", "email"), ("phone", "phone")):
            value = _str(traits, key)
            if value:
                found.append(Identifier(kind_name, value))
        handle = _str(traits, "x_handle")
        if handle:
            found.append(Identifier("social_handle", f"x:{handle.lstrip('@')}"))
    if not has_id:
        raise SkippableRecordError("a message needs a userId or an anonymousId", field="userId")
    return tuple(found), traits


def _person(traits: Mapping[str, Any]) -> Person:
    address = require_mapping(traits, "address")
    return Person(
        given_name=optional_str(traits, "firstName"),
        family_name=optional_str(traits, "lastName"),
        full_name=optional_str(traits, "name"),
        email=optional_str(traits, "email"),
        phone=optional_str(traits, "phone"),
        address=Address(
            line1=optional_str(address, "street"),
            city=optional_str(address, "city"),
            region=optional_str(address, "state"),
            postcode=optional_str(address, "postalCode"),
            country=optional_str(address, "country"),
        )
        if address
        else None,
        birth_date=optional_str(traits, "birthday"),
        gender=optional_str(traits, "gender"),
    )


def _mapping_copy(record: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = record.get(key)
    if value is None:
        return {}
    if type(value) is dict:
        return value.copy()
    return dict(require_mapping(record, key))


def _event(record: Mapping[str, Any], kind: str, context: Mapping[str, Any] | None) -> EventFact:
    properties = _mapping_copy(record, "properties")
    if kind == "track":
        name = record.get("event")
        if type(name) is str and name.strip() and len(name.strip()) <= 255:
            name = name.strip()
        else:
            name = require_str(record, "event")
    elif kind == "group":
        name = _str(record, "groupId")
        properties = _mapping_copy(record, "traits")
    else:
        page = _NOTHING if context is None else context.get("page")
        if type(page) is not dict:
            page = require_mapping(record, "context.page") if page is not None else _NOTHING
        name = _str(record, "name") or (_str(page, "path") if page else None)
        for key in ("url", "path", "title"):
            if key in page and key not in properties:
                properties[key] = page[key]
    campaign = None if context is None else context.get("campaign")
    if campaign is not None:
        campaign = campaign.get("name") if type(campaign) is dict else get_path(campaign, "name")
    return EventFact(
        type=kind,
        name=name,
        campaign_id=str(campaign) if isinstance(campaign, str | int) else None,
        properties=properties,
    )


def _order(record: Mapping[str, Any], occurred_at: Any) -> OrderFact:
    properties = require_mapping(record, "properties")
    currency = currency_code(optional_str(properties, "currency") or "USD", "properties.currency")
    amount = properties.get("total", properties.get("revenue"))
    if amount is None:
        raise SkippableRecordError("an order needs a total or revenue", field="properties.total")
    products = properties.get("products") or []
    if not isinstance(products, list):
        raise SkippableRecordError("expected a list", field="properties.products", value=products)
    return OrderFact(
        external_id=require_str(properties, "order_id"),
        currency=currency,
        total_minor=to_minor_units(amount, "properties.total", currency),
        placed_at=occurred_at,
        sales_channel="web",
        items=tuple(_item(p, i, currency) for i, p in enumerate(products)),
    )


def _item(product: Any, index: int, currency: str) -> OrderItemFact:
    where = f"properties.products[{index}]"
    if not isinstance(product, Mapping):
        raise SkippableRecordError("expected an object", field=where, value=product)
    quantity = product.get("quantity", 1)
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
        raise SkippableRecordError(
            "expected a whole quantity", field=f"{where}.quantity", value=quantity
        )
    return OrderItemFact(
        name=optional_str(product, "name") or optional_str(product, "sku") or "item",
        quantity=quantity,
        unit_price_minor=to_minor_units(product.get("price", 0), f"{where}.price", currency),
        sku=optional_str(product, "sku"),
        product_id=optional_str(product, "product_id"),
        category=optional_str(product, "category"),
    )
