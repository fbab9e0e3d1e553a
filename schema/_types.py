"""Object types for what hangs off a profile: identifiers, records, events, orders, consents..."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from cdp import models
from cdp.consent import ANY_CHANNEL
from cdp.services.profile_facts import IdentifierSummary
from schema._access import (
    ONLY_ADMIN,
    mask_attributes,
    mask_evidence,
    mask_identifier,
    mask_json,
    mask_text,
    mask_url,
    requires,
)
from schema._context import Context
from schema._enums import Channel, ConsentState, IdentifierKind, channel_of


@strawberry.type(description="An amount of money, exact, in minor units of its currency.")
class Money:
    amount_minor: int = strawberry.field(description="The amount in minor units (cents).")
    currency: str = strawberry.field(description="ISO 4217 currency code.")

    @strawberry.field(description="The amount as a decimal string, e.g. `12.50`.")
    def amount(self) -> str:
        sign = "-" if self.amount_minor < 0 else ""
        whole, cents = divmod(abs(self.amount_minor), 100)
        return f"{sign}{whole}.{cents:02d}"


@strawberry.type(description="An identifier of a profile as one source reported it.")
class ProfileIdentifier:
    kind: IdentifierKind = strawberry.field(description="What kind of identifier this is.")
    value: str = strawberry.field(
        description="The normalised value (partially masked for analysts when personal)."
    )
    source: str = strawberry.field(description="The source that reported it.")
    channel: Channel = strawberry.field(description="The channel of that source.")
    records: int = strawberry.field(description="How many of the source's records carry it.")
    first_seen_at: datetime | None = strawberry.field(description="When it was first seen.")
    last_seen_at: datetime | None = strawberry.field(description="When it was last seen.")

    @classmethod
    def from_summary(cls, row: IdentifierSummary, *, masked: bool) -> ProfileIdentifier:
        return cls(
            kind=IdentifierKind(row.kind),
            value=mask_identifier(row.kind, row.value) if masked else row.value,
            source=row.source,
            channel=channel_of(row.channel),
            records=row.records,
            first_seen_at=row.first_seen_at,
            last_seen_at=row.last_seen_at,
        )


@strawberry.type(description="A record as a source sent it, behind a profile.")
class SourceRecord:
    id: strawberry.ID = strawberry.field(description="The record's id in this platform.")
    external_id: str = strawberry.field(description="The record's id in its source.")
    kind: str = strawberry.field(
        description="event, order, feedback, consent, interaction or profile."
    )
    occurred_at: datetime | None = strawberry.field(description="When it happened at source.")
    received_at: datetime = strawberry.field(description="When this platform received it.")
    version: int = strawberry.field(description="How many times the source replaced it.")
    attributes: JSON = strawberry.field(
        description="Person attributes as the source gave them (masked for analysts)."
    )
    source_id: strawberry.Private[int]
    raw: strawberry.Private[dict[str, Any]]

    @strawberry.field(
        description="The raw payload as received (admin only).",
        permission_classes=requires(ONLY_ADMIN),
    )
    def payload(self) -> JSON:
        return JSON(self.raw)

    @strawberry.field(description="The source's name.")
    async def source(self, info: strawberry.Info[Context, None]) -> str:
        source = await info.context.loaders.source.load(self.source_id)
        return source.name if source is not None else ""

    @strawberry.field(description="The channel of the source.")
    async def channel(self, info: strawberry.Info[Context, None]) -> Channel | None:
        source = await info.context.loaders.source.load(self.source_id)
        return channel_of(source.channel) if source is not None else None

    @classmethod
    def from_model(cls, row: models.SourceRecord, *, masked: bool) -> SourceRecord:
        return cls(
            id=strawberry.ID(str(row.id)),
            external_id=row.external_id,
            kind=row.kind,
            occurred_at=row.occurred_at,
            received_at=row.received_at,
            version=row.version,
            attributes=JSON(mask_attributes(row.attributes) if masked else row.attributes),
            source_id=row.source_id,
            raw=row.payload,
        )


@strawberry.type(description="A behavioural event: page view, tracked action, email open...")
class Event:
    id: strawberry.ID = strawberry.field(description="The event's id.")
    channel: Channel = strawberry.field(description="Where it happened.")
    type: str = strawberry.field(description="page, track, email_open, email_click...")
    name: str | None = strawberry.field(description="The event or page name.")
    campaign_id: str | None = strawberry.field(description="The campaign it belongs to.")
    occurred_at: datetime = strawberry.field(description="When it happened.")
    properties: JSON = strawberry.field(description="Event properties as sent.")
    record_id: strawberry.ID = strawberry.field(description="The source record behind it.")

    @classmethod
    def from_model(cls, row: models.Event, *, masked: bool = False) -> Event:
        return cls(
            id=strawberry.ID(str(row.id)),
            channel=channel_of(row.channel),
            type=row.type,
            name=row.name,
            campaign_id=row.campaign_id,
            occurred_at=row.occurred_at,
            properties=JSON(mask_json(row.properties) if masked else row.properties),
            record_id=strawberry.ID(str(row.record_id)),
        )


@strawberry.type(description="A line of an order.")
class OrderItem:
    sku: str | None = strawberry.field(description="Stock keeping unit.")
    product_id: str | None = strawberry.field(description="Product id at the store.")
    name: str = strawberry.field(description="Product name.")
    quantity: int = strawberry.field(description="How many.")
    unit_price: Money = strawberry.field(description="Price of one.")
    category: str | None = strawberry.field(description="Product category.")


@strawberry.type(description="An order from any store channel, with its items.")
class Order:
    id: strawberry.ID = strawberry.field(description="The order's id in this platform.")
    external_id: str = strawberry.field(description="The order's id at its store.")
    channel: Channel = strawberry.field(description="The channel of the store.")
    sales_channel: str | None = strawberry.field(description="web, pos, app... at the store.")
    status: str | None = strawberry.field(description="Fulfilment status at the store.")
    financial_status: str | None = strawberry.field(description="paid, refunded...")
    total: Money = strawberry.field(description="Order total.")
    subtotal: Money | None = strawberry.field(description="Total before tax and shipping.")
    refunded: Money = strawberry.field(description="Amount refunded so far.")
    placed_at: datetime = strawberry.field(description="When it was placed.")
    updated_at: datetime | None = strawberry.field(description="Last update at the store.")

    @strawberry.field(description="The order's lines.")
    async def items(self, info: strawberry.Info[Context, None]) -> list[OrderItem]:
        rows = await info.context.loaders.order_items.load(int(self.id)) or []
        return [
            OrderItem(
                sku=row.sku,
                product_id=row.product_id,
                name=row.name,
                quantity=row.quantity,
                unit_price=Money(amount_minor=row.unit_price_minor, currency=self.total.currency),
                category=row.category,
            )
            for row in rows
        ]

    @classmethod
    def from_model(cls, row: models.Order) -> Order:
        def money(minor: int) -> Money:
            return Money(amount_minor=minor, currency=row.currency)

        return cls(
            id=strawberry.ID(str(row.id)),
            external_id=row.external_id,
            channel=channel_of(row.channel),
            sales_channel=row.sales_channel,
            status=row.status,
            financial_status=row.financial_status,
            total=money(row.total_minor),
            subtotal=money(row.subtotal_minor) if row.subtotal_minor is not None else None,
            refunded=money(row.refunded_minor),
            placed_at=row.placed_at,
            updated_at=row.updated_at,
        )


@strawberry.type(description="A conversational touch point: a social mention, a lead form...")
class Interaction:
    id: strawberry.ID = strawberry.field(description="The interaction's id.")
    channel: Channel = strawberry.field(description="Where it happened.")
    type: str = strawberry.field(description="mention, reply, lead_form...")
    text: str | None = strawberry.field(description="What was said, if anything.")
    url: str | None = strawberry.field(description="Link to it at the source.")
    occurred_at: datetime = strawberry.field(description="When it happened.")
    properties: JSON = strawberry.field(description="Other properties as sent.")

    @classmethod
    def from_model(cls, row: models.Interaction, *, masked: bool = False) -> Interaction:
        text, url = row.text, row.url
        return cls(
            id=strawberry.ID(str(row.id)),
            channel=channel_of(row.channel),
            type=row.type,
            text=mask_text(text) if masked and text else text,
            url=mask_url(url) if masked and url else url,
            occurred_at=row.occurred_at,
            properties=JSON(mask_json(row.properties) if masked else row.properties),
        )


@strawberry.type(
    description="A consent decision for one purpose, as a channel or an app reported it, with "
    "its evidence."
)
class Consent:
    purpose: str = strawberry.field(description="What the consent is for, e.g. `email_marketing`.")
    status: ConsentState = strawberry.field(description="Granted, denied or revoked.")
    channel: Channel | None = strawberry.field(
        description="The channel the decision covers; null: every channel."
    )
    reason: str | None = strawberry.field(description="Why, when the channel said.")
    occurred_at: datetime = strawberry.field(description="When the person gave or withdrew it.")
    record_id: strawberry.ID | None = strawberry.field(
        description="The source record it came from (null: set through the API)."
    )
    actor: str | None = strawberry.field(description="Who set it through the API, if anyone.")
    evidence: JSON = strawberry.field(description="What it came from (the API call, the key).")

    @classmethod
    def from_model(cls, row: models.Consent) -> Consent:
        return cls(
            purpose=row.purpose,
            status=ConsentState(row.status),
            channel=None if row.channel == ANY_CHANNEL else channel_of(row.channel),
            reason=row.reason,
            occurred_at=row.occurred_at,
            record_id=strawberry.ID(str(row.record_id)) if row.record_id is not None else None,
            actor=row.actor,
            evidence=JSON(row.evidence or {}),
        )


@strawberry.type(description="One merge or split a profile took part in, with its evidence.")
class MergeEvent:
    action: str = strawberry.field(description="`merge` or `split`.")
    profile_id: strawberry.ID = strawberry.field(
        description="The profile that survived the merge (or was split)."
    )
    other_profile_id: strawberry.ID | None = strawberry.field(
        description="The profile merged away (or split off)."
    )
    record_ids: list[strawberry.ID] = strawberry.field(description="The records that moved.")
    actor: str = strawberry.field(description="Who did it: the resolver, or a person's key.")
    reason: str | None = strawberry.field(description="Why, as the actor wrote it.")
    evidence: JSON = strawberry.field(
        description="The rule and identifiers, or per-field levels and match weights."
    )
    created_at: datetime = strawberry.field(description="When.")

    @classmethod
    def from_model(cls, row: models.MergeLog, *, masked: bool) -> MergeEvent:
        return cls(
            action=row.action,
            profile_id=strawberry.ID(row.profile_id),
            other_profile_id=strawberry.ID(row.other_profile_id) if row.other_profile_id else None,
            record_ids=[strawberry.ID(str(r)) for r in row.record_ids],
            actor=row.actor,
            reason=row.reason,
            evidence=JSON(mask_evidence(row.evidence) if masked else row.evidence),
            created_at=row.created_at,
        )
