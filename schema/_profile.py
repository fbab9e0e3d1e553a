"""The `Profile` type: one person's golden record and everything behind it.

Relations resolve through the request's DataLoaders, so a page of profiles with nested lists
costs one query per relation, not one per profile. New areas (traits, segments, feedback,
privacy) attach here as new fields, which existing clients never notice.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON

from cdp import models
from cdp.consent import ANY_CHANNEL, is_allowed, status_in_force
from cdp.masking import mask_birth_date
from cdp.services.profiles import ProfileRow
from cdp.value.settings import cached_value_settings
from schema._access import mask_address, mask_attributes, mask_email, mask_name, mask_phone
from schema._context import Context
from schema._enums import Channel, ConsentState, IdentifierKind, ProfileStatus, channel_of, value_of
from schema._paging import Connection, fact_query, to_connection
from schema._recommend import RecommendedProduct, recommended_products
from schema._traits import ProfileTraits

if TYPE_CHECKING:
    from schema._segment_types import ProfileSegmentMembership
from schema._types import (
    Consent,
    Event,
    Interaction,
    MergeEvent,
    Order,
    ProfileIdentifier,
    SourceRecord,
)

Info = strawberry.Info[Context, None]
First = Annotated[
    int | None,
    strawberry.argument(description="Page size (default and maximum set by the server)."),
]
After = Annotated[
    str | None, strawberry.argument(description="Return items after this cursor (`endCursor`).")
]
Since = Annotated[
    datetime | None, strawberry.argument(description="Only items at or after this time.")
]
Until = Annotated[datetime | None, strawberry.argument(description="Only items before this time.")]
Channels = Annotated[
    list[Channel] | None, strawberry.argument(description="Only items from these channels.")
]


@strawberry.type(description="A postal address (street lines masked for analysts).")
class Address:
    line1: str | None = strawberry.field(description="Street and number.")
    line2: str | None = strawberry.field(description="Apartment, floor...")
    city: str | None = strawberry.field(description="City.")
    region: str | None = strawberry.field(description="State, province or county.")
    postcode: str | None = strawberry.field(description="Postal code.")
    country: str | None = strawberry.field(description="Country (ISO code when known).")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Address:
        def text(key: str) -> str | None:
            value = data.get(key)
            return None if value is None else str(value)

        return cls(
            line1=text("line1"),
            line2=text("line2"),
            city=text("city"),
            region=text("region"),
            postcode=text("postcode"),
            country=text("country"),
        )


@strawberry.type(description="The consent in force for one purpose: the latest change wins.")
class ConsentStatus:
    purpose: str = strawberry.field(description="What the consent is for.")
    status: ConsentState = strawberry.field(description="Granted, denied or revoked.")
    channel: Channel | None = strawberry.field(
        description="The channel the latest decision covers (null: every channel)."
    )
    updated_at: datetime = strawberry.field(description="When it last changed.")


@strawberry.type(
    description=(
        "A unified customer profile: the golden record built from every source record "
        "resolved to one person, with identifiers, facts, consents and merge history."
    )
)
class Profile:
    id: strawberry.ID = strawberry.field(description="Stable profile id.")
    status: ProfileStatus = strawberry.field(description="active, merged or erased.")
    requested_id: strawberry.ID = strawberry.field(
        description="The id this profile was looked up by (differs from `id` after a merge)."
    )
    given_name: str | None = strawberry.field(description="Given name (masked for analysts).")
    family_name: str | None = strawberry.field(description="Family name (masked for analysts).")
    email: str | None = strawberry.field(description="Best email (masked for analysts).")
    phone: str | None = strawberry.field(description="Best phone, E.164 (masked for analysts).")
    address: Address | None = strawberry.field(description="Best postal address.")
    birth_date: str | None = strawberry.field(
        description="Date of birth, ISO 8601 (only the year for analysts)."
    )
    gender: str | None = strawberry.field(description="Gender as the sources gave it.")
    attributes: JSON = strawberry.field(
        description="The whole golden record as stored (masked for analysts)."
    )
    record_count: int = strawberry.field(description="Source records resolved to this profile.")
    channel_count: int = strawberry.field(description="Channels it was seen in.")
    first_seen_at: datetime | None = strawberry.field(description="Earliest record time.")
    last_seen_at: datetime | None = strawberry.field(description="Latest record time.")
    created_at: datetime = strawberry.field(description="When the profile was created.")
    updated_at: datetime = strawberry.field(description="When the golden record last changed.")
    masked: strawberry.Private[bool]

    @strawberry.field(
        description="True when `requestedId` was merged into this profile (an old id redirected)."
    )
    def is_redirected(self) -> bool:
        return self.requested_id != self.id

    @strawberry.field(description="Full name, given then family (masked for analysts).")
    def full_name(self) -> str | None:
        parts = [p for p in (self.given_name, self.family_name) if p]
        return " ".join(parts) or None

    @strawberry.field(description="Channels this profile was seen in.")
    async def channels(self, info: Info) -> list[Channel]:
        return [channel_of(c) for c in await info.context.loaders.channels.load(self.id) or []]

    @strawberry.field(description="Every identifier with its source and first/last seen times.")
    async def identifiers(
        self,
        info: Info,
        kinds: Annotated[
            list[IdentifierKind] | None, strawberry.argument(description="Only these kinds.")
        ] = None,
    ) -> list[ProfileIdentifier]:
        rows = await info.context.loaders.identifiers.load(self.id) or []
        wanted = {value_of(k) for k in kinds} if kinds is not None else None
        return [
            ProfileIdentifier.from_summary(row, masked=self.masked)
            for row in rows
            if wanted is None or row.kind in wanted
        ]

    @strawberry.field(description="The source records behind this profile, newest first.")
    async def source_records(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        since: Since = None,
        until: Until = None,
        kinds: Annotated[
            list[str] | None, strawberry.argument(description="Only records of these kinds.")
        ] = None,
    ) -> Connection[SourceRecord]:
        query = fact_query(info, first=first, after=after, since=since, until=until, types=kinds)
        page = await info.context.loaders.records.load((self.id, query))
        return to_connection(
            page, lambda r: SourceRecord.from_model(r, masked=self.masked), after=after
        )

    @strawberry.field(description="Behavioural events, newest first.")
    async def events(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        since: Since = None,
        until: Until = None,
        types: Annotated[
            list[str] | None, strawberry.argument(description="Only these event types.")
        ] = None,
        channels: Channels = None,
    ) -> Connection[Event]:
        query = fact_query(
            info, first=first, after=after, since=since, until=until, types=types, channels=channels
        )
        page = await info.context.loaders.events.load((self.id, query))
        return to_connection(page, lambda r: Event.from_model(r, masked=self.masked), after=after)

    @strawberry.field(description="Orders with their items, newest first.")
    async def orders(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        since: Since = None,
        until: Until = None,
        statuses: Annotated[
            list[str] | None, strawberry.argument(description="Only orders in these statuses.")
        ] = None,
        channels: Channels = None,
    ) -> Connection[Order]:
        query = fact_query(
            info,
            first=first,
            after=after,
            since=since,
            until=until,
            types=statuses,
            channels=channels,
        )
        page = await info.context.loaders.orders.load((self.id, query))
        return to_connection(page, Order.from_model, after=after)

    @strawberry.field(description="Social mentions, lead forms and replies, newest first.")
    async def interactions(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        since: Since = None,
        until: Until = None,
        types: Annotated[
            list[str] | None, strawberry.argument(description="Only these interaction types.")
        ] = None,
        channels: Channels = None,
    ) -> Connection[Interaction]:
        query = fact_query(
            info, first=first, after=after, since=since, until=until, types=types, channels=channels
        )
        page = await info.context.loaders.interactions.load((self.id, query))
        return to_connection(
            page, lambda r: Interaction.from_model(r, masked=self.masked), after=after
        )

    @strawberry.field(description="Every consent change as the channels reported it, newest first.")
    async def consents(self, info: Info) -> list[Consent]:
        return [
            Consent.from_model(r) for r in await info.context.loaders.consents.load(self.id) or []
        ]

    @strawberry.field(
        description="Whether the person may be contacted for `purpose` on `channel`: the latest "
        "decision for that purpose on that channel (or on every channel) is a grant. No "
        "decision means no. Without a channel, the latest decision on any channel counts."
    )
    async def can_contact(
        self,
        info: Info,
        purpose: Annotated[str, strawberry.argument(description="e.g. `email_marketing`.")],
        channel: Annotated[
            Channel | None, strawberry.argument(description="e.g. EMAIL (null: any channel).")
        ] = None,
    ) -> bool:
        rows = await info.context.loaders.consents.load(self.id) or []
        wanted = None if channel is None else value_of(channel)
        return is_allowed(status_in_force(rows, purpose.strip().lower(), wanted))

    @strawberry.field(description="The consent in force per purpose (the latest change wins).")
    async def consent_status(self, info: Info) -> list[ConsentStatus]:
        latest: dict[str, models.Consent] = {}
        for row in await info.context.loaders.consents.load(self.id) or []:
            latest.setdefault(row.purpose, row)
        return [
            ConsentStatus(
                purpose=row.purpose,
                status=ConsentState(row.status),
                channel=None if row.channel == ANY_CHANNEL else channel_of(row.channel),
                updated_at=row.occurred_at,
            )
            for row in sorted(latest.values(), key=lambda r: r.purpose)
        ]

    @strawberry.field(
        description=(
            "Computed traits: purchases, RFM, value tier, lifetime value, lifecycle, "
            "engagement, loyalty (docs/value.md). Null until computed for this profile."
        )
    )
    async def traits(self, info: Info) -> ProfileTraits | None:
        row = await info.context.loaders.traits.load(self.id)
        if row is None:
            return None
        value = cached_value_settings(info.context.settings.value_config_file)
        return ProfileTraits.from_model(
            row, currency=value.base_currency, horizon_days=value.horizon_days
        )

    @strawberry.field(
        description=(
            "Traits flows set (`set_trait` steps, docs/activation.md), by name: this "
            "profile's and those of profiles merged into it. {} when none."
        )
    )
    async def custom_traits(self, info: Info) -> JSON:
        found = await info.context.loaders.custom_traits.load(self.id)
        return JSON(found or {})

    @strawberry.field(
        description=(
            'Products to recommend, best first, each with why ("because you bought X"): what '
            "goes with their purchases and views, leaving out what they bought unless people "
            "buy it again; best-sellers of their favourite categories fill the list. Without "
            "consent for `personalisation` (or with no history): best-sellers only."
        )
    )
    async def recommended_products(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description="How many (1 to 50).")] = 10,
    ) -> list[RecommendedProduct]:
        return await recommended_products(info, str(self.id), first)

    @strawberry.field(description="Merges and splits this profile took part in, newest first.")
    async def merge_history(self, info: Info) -> list[MergeEvent]:
        rows = await info.context.loaders.merge_history.load(self.id) or []
        return [MergeEvent.from_model(row, masked=self.masked) for row in rows]

    @strawberry.field(
        description="The segments this profile is in (with `includePast`, also "
        "those it left), newest change first."
    )
    async def segments(
        self,
        info: Info,
        include_past: Annotated[
            bool, strawberry.argument(description="Also the segments it left.")
        ] = False,
    ) -> list[Annotated[ProfileSegmentMembership, strawberry.lazy("schema._segment_types")]]:
        from schema._segment_types import profile_segments

        return await profile_segments(info, str(self.id), include_past)

    @classmethod
    def from_model(
        cls, row: models.Profile | ProfileRow, *, masked: bool, requested_id: str | None = None
    ) -> Profile:
        attributes = row.attributes or {}
        address = attributes.get("address")
        birth = attributes.get("birth_date")
        return cls(
            id=strawberry.ID(row.id),
            status=ProfileStatus(row.status),
            requested_id=strawberry.ID(requested_id or row.id),
            given_name=mask_name(row.given_name) if masked else row.given_name,
            family_name=mask_name(row.family_name) if masked else row.family_name,
            email=mask_email(row.email) if masked else row.email,
            phone=mask_phone(row.phone) if masked else row.phone,
            address=(
                Address.from_dict(mask_address(address) if masked else address)
                if isinstance(address, dict)
                else None
            ),
            birth_date=(mask_birth_date(str(birth)) if masked else str(birth)) if birth else None,
            gender=attributes.get("gender"),
            attributes=JSON(mask_attributes(attributes) if masked else attributes),
            record_count=row.record_count,
            channel_count=row.channel_count,
            first_seen_at=row.first_seen_at,
            last_seen_at=row.last_seen_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
            masked=masked,
        )
