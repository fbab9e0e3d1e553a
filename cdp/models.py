"""The relational model, shared by every package (see docs/architecture.md, "Data model").

Conventions:
- every large table carries the `profile_id` or `source_id` it would be distributed by;
  events, orders and interactions always come from a source record, so their `source_id` is
  their record's, with no foreign key of its own (the `record_id` key reaches the source
  through the record; a second check per row cost ingest about 4 us of PostgreSQL CPU);
- `identifiers` and `events` hold no foreign key to `source_records` either: PostgreSQL checks
  a foreign key row by row, and those checks were a third of the server's CPU per ingested
  web event (1-4 identifiers and an event per record). Ingest, their only writer, inserts them
  with their record in one transaction; deleting a record deletes them through a trigger
  (`trg_source_records_delete_children`, migration 0003_ingest), as `ON DELETE CASCADE` did;
- money is stored as integer minor units (cents) next to an ISO 4217 currency code, so sums
  are exact on both backends;
- timestamps are timezone-aware UTC (`UTCDateTime`);
- raw payloads are kept as received, so a better normaliser or matcher can re-run over history.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.ext.asyncio import AsyncAttrs
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from cdp.types import BIG_ID, PORTABLE_JSON, UTCDateTime, utcnow

__all__ = [
    "BUILT_IN_CHANNELS",
    "OTHER_CHANNEL",
    "ApiKey",
    "AuditLog",
    "Base",
    "BlockKey",
    "Channel",
    "Checkpoint",
    "ComputedTrait",
    "Consent",
    "Delivery",
    "Destination",
    "Erasure",
    "Event",
    "Feedback",
    "FeedbackStatusChange",
    "FeedbackTopic",
    "Flow",
    "FlowRun",
    "FlowSend",
    "Identifier",
    "IdentityLink",
    "IdentityModel",
    "IdentityOverride",
    "Interaction",
    "LoyaltyAward",
    "LoyaltyEntry",
    "MergeLog",
    "Order",
    "OrderItem",
    "OutboxEntry",
    "ProductSimilarity",
    "ProductStat",
    "Profile",
    "ProfileStatus",
    "ProfileTraits",
    "Quarantine",
    "Segment",
    "SegmentExit",
    "SegmentMembership",
    "SegmentSize",
    "Source",
    "SourceRecord",
    "Suppression",
    "ValueModel",
]

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Channel(enum.StrEnum):
    """The built-in channels; `cdp.toml` may declare more (`channels = [...]`), so the column
    takes any name and ingest checks it."""

    WEB = "web"
    SOCIAL = "social"
    EMAIL = "email"
    STORE = "store"
    CRM = "crm"


BUILT_IN_CHANNELS: tuple[str, ...] = tuple(channel.value for channel in Channel)
#: What the API calls any channel declared in configuration, in results and filters.
OTHER_CHANNEL = "other"


class ProfileStatus(enum.StrEnum):
    ACTIVE = "active"
    MERGED = "merged"
    ERASED = "erased"


#: Rows are written with no profile and get one when identity resolves them: the `profile_id`
#: indexes leave the unresolved rows out (a look-up by profile id implies the id is not null),
#: so ingest does not pay an index entry per row that no query reads.
_HAS_PROFILE = text("profile_id IS NOT NULL")


def _values(enum_type: type[enum.StrEnum]) -> str:
    return ", ".join(f"'{member.value}'" for member in enum_type)


class Base(AsyncAttrs, DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: PORTABLE_JSON}


# --- sources and ingest ------------------------------------------------------------------------


class Source(Base):
    """A configured channel source: where records come from and through which adapter."""

    __tablename__ = "sources"
    __table_args__ = (CheckConstraint("channel <> ''", name="channel"),)

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    channel: Mapped[str] = mapped_column(String(20))
    adapter: Mapped[str] = mapped_column(String(100))
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    checkpoints: Mapped[list[Checkpoint]] = relationship(back_populates="source")


class Checkpoint(Base):
    """The saved cursor of one source partition, advanced with the rows it covers."""

    __tablename__ = "checkpoints"
    __table_args__ = (UniqueConstraint("source_id", "partition"),)

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    partition: Mapped[str] = mapped_column(String(200), default="")
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    source: Mapped[Source] = relationship(back_populates="checkpoints")


class SourceRecord(Base):
    """One record as a source sent it, with what ingest understood of it.

    `(source_id, external_id)` is the natural key: re-ingesting is idempotent, and a changed
    payload under the same key replaces the earlier version (`version` counts replacements).
    """

    __tablename__ = "source_records"
    __table_args__ = (
        UniqueConstraint("source_id", "external_id"),
        Index(
            "ix_source_records_profile_id",
            "profile_id",
            postgresql_where=_HAS_PROFILE,
            sqlite_where=_HAS_PROFILE,
        ),
        Index(
            "ix_source_records_unresolved",
            "id",
            postgresql_where=text("resolved_at IS NULL"),
            sqlite_where=text("resolved_at IS NULL"),
        ),
        # account records, for the loyalty sign-up bonus (`cdp.value.loyalty`)
        Index(
            "ix_source_records_accounts",
            "profile_id",
            "occurred_at",
            postgresql_where=text("kind = 'profile'"),
            sqlite_where=text("kind = 'profile'"),
        ),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    external_id: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(30))
    occurred_at: Mapped[datetime | None]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    payload: Mapped[dict[str, Any]] = mapped_column(PORTABLE_JSON)
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    content_hash: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    profile_id: Mapped[str | None] = mapped_column(ForeignKey("profiles.id"))
    resolved_at: Mapped[datetime | None]

    source: Mapped[Source] = relationship()
    identifiers: Mapped[list[Identifier]] = relationship(
        back_populates="record",
        primaryjoin="SourceRecord.id == foreign(Identifier.record_id)",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class Identifier(Base):
    """A normalised identifier seen on a record (email, phone, customer id, anonymous id...)."""

    __tablename__ = "identifiers"
    __table_args__ = (
        Index("ix_identifiers_kind_value", "kind", "value"),
        Index(
            "ix_identifiers_profile_id",
            "profile_id",
            postgresql_where=_HAS_PROFILE,
            sqlite_where=_HAS_PROFILE,
        ),
    )

    # The key is the record's identifier (kind, value); no surrogate id (migration 0004_ingest).
    record_id: Mapped[int] = mapped_column(  # no FK: see the module docstring
        BIG_ID, primary_key=True, autoincrement=False
    )
    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    value: Mapped[str] = mapped_column(String(320), primary_key=True)
    raw_value: Mapped[str | None] = mapped_column(String(320))
    profile_id: Mapped[str | None] = mapped_column(ForeignKey("profiles.id"))
    seen_at: Mapped[datetime | None]

    record: Mapped[SourceRecord] = relationship(
        back_populates="identifiers", primaryjoin="SourceRecord.id == foreign(Identifier.record_id)"
    )


class Quarantine(Base):
    """A record that failed validation, kept verbatim with where it came from and why."""

    __tablename__ = "quarantine"
    __table_args__ = (
        Index("ix_quarantine_source_name_created_at", "source_name", "created_at"),
        Index("ix_quarantine_source_name_record_key", "source_name", "record_key"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    source_name: Mapped[str] = mapped_column(String(100))
    adapter: Mapped[str] = mapped_column(String(100))
    position: Mapped[str] = mapped_column(String(200))
    raw: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    field: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    #: the exact bytes when `raw` (then an escaped, readable copy) cannot hold them as text
    raw_bytes: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: set when the entry is cleared: `arrived` (the record was stored later) or `dismissed`
    resolved_at: Mapped[datetime | None] = mapped_column()
    resolution: Mapped[str | None] = mapped_column(String(20))
    resolution_note: Mapped[str | None] = mapped_column(Text)
    #: the record's natural key when it could be read: its arrival resolves the entry
    record_key: Mapped[str | None] = mapped_column(String(255))


# --- profiles and identity ---------------------------------------------------------------------


class Profile(Base):
    """One person: the golden record plus denormalised columns for listing and sorting."""

    __tablename__ = "profiles"
    __table_args__ = (
        CheckConstraint(f"status IN ({_values(ProfileStatus)})", name="status"),
        Index("ix_profiles_merged_into_id", "merged_into_id"),
        Index("ix_profiles_status_last_seen_at", "status", "last_seen_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    status: Mapped[str] = mapped_column(String(10), default=ProfileStatus.ACTIVE.value)
    merged_into_id: Mapped[str | None] = mapped_column(ForeignKey("profiles.id"))
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    given_name: Mapped[str | None] = mapped_column(String(200))
    family_name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(40))
    record_count: Mapped[int] = mapped_column(Integer, default=0)
    channel_count: Mapped[int] = mapped_column(Integer, default=0)
    first_seen_at: Mapped[datetime | None]
    last_seen_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class IdentityLink(Base):
    """A decision about two records, with its evidence.

    `decision` is `accepted` (merged), `review` (possible match for a person to decide),
    `rejected` (scored below the band) or `set_aside` (would break a limit; `reason` says which).
    `evidence` holds the rule and identifier, or per-field levels, weights and the total.
    """

    __tablename__ = "identity_links"
    __table_args__ = (
        UniqueConstraint("left_record_id", "right_record_id"),
        Index("ix_identity_links_profile_id", "profile_id"),
        Index("ix_identity_links_right_record_id", "right_record_id"),
        Index("ix_identity_links_decision", "decision"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    profile_id: Mapped[str | None] = mapped_column(ForeignKey("profiles.id"))
    left_record_id: Mapped[int] = mapped_column(ForeignKey("source_records.id", ondelete="CASCADE"))
    right_record_id: Mapped[int] = mapped_column(
        ForeignKey("source_records.id", ondelete="CASCADE")
    )
    method: Mapped[str] = mapped_column(String(20))
    rule: Mapped[str] = mapped_column(String(100))
    decision: Mapped[str] = mapped_column(String(20))
    score: Mapped[float | None] = mapped_column(Float)
    probability: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    model_version: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdentityOverride(Base):
    """A person's decision that automatic runs must respect: `never_link` or `must_link`."""

    __tablename__ = "identity_overrides"
    __table_args__ = (
        UniqueConstraint("left_record_id", "right_record_id", "kind"),
        Index("ix_identity_overrides_right_record_id", "right_record_id"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    left_record_id: Mapped[int] = mapped_column(ForeignKey("source_records.id", ondelete="CASCADE"))
    right_record_id: Mapped[int] = mapped_column(
        ForeignKey("source_records.id", ondelete="CASCADE")
    )
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MergeLog(Base):
    """Every merge and split, automatic or manual, with actor, time and evidence."""

    __tablename__ = "merge_log"
    __table_args__ = (
        Index("ix_merge_log_profile_id_created_at", "profile_id", "created_at"),
        Index("ix_merge_log_other_profile_id", "other_profile_id"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    action: Mapped[str] = mapped_column(String(20))
    profile_id: Mapped[str] = mapped_column(ForeignKey("profiles.id"))
    other_profile_id: Mapped[str | None] = mapped_column(ForeignKey("profiles.id"))
    record_ids: Mapped[list[int]] = mapped_column(PORTABLE_JSON, default=list)
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BlockKey(Base):
    """A blocking key of a record, so a new record finds its candidates by index look-up."""

    __tablename__ = "block_keys"
    __table_args__ = (
        Index("ix_block_keys_rule_key", "rule", "key"),
        Index("ix_block_keys_record_id", "record_id"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("source_records.id", ondelete="CASCADE"))
    rule: Mapped[str] = mapped_column(String(50))
    key: Mapped[str] = mapped_column(String(200))


class IdentityModel(Base):
    """A versioned matching model (comparisons, m/u probabilities, blocking, thresholds)."""

    __tablename__ = "identity_models"

    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    params: Mapped[dict[str, Any]] = mapped_column()
    is_active: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- facts -------------------------------------------------------------------------------------


class Event(Base):
    """A behavioural event: a page view, a tracked action, an email open or click..."""

    __tablename__ = "events"
    __table_args__ = (
        Index(
            "ix_events_profile_id_occurred_at",
            "profile_id",
            "occurred_at",
            postgresql_where=_HAS_PROFILE,
            sqlite_where=_HAS_PROFILE,
        ),
        Index("ix_events_record_id", "record_id", unique=True),
        # loyalty redemptions of the profiles a refresh touches (`cdp.value.loyalty`)
        Index(
            "ix_events_redeemed",
            "profile_id",
            postgresql_where=text("name = 'Points Redeemed'"),
            sqlite_where=text("name = 'Points Redeemed'"),
        ),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    record_id: Mapped[int] = mapped_column(BIG_ID)  # no FK: see the module docstring
    source_id: Mapped[int] = mapped_column(BIG_ID)  # the record's (module docstring)
    profile_id: Mapped[str | None] = mapped_column(ForeignKey("profiles.id"))
    channel: Mapped[str] = mapped_column(String(20))
    type: Mapped[str] = mapped_column(String(50))
    name: Mapped[str | None] = mapped_column(String(200))
    campaign_id: Mapped[str | None] = mapped_column(String(200))
    occurred_at: Mapped[datetime]
    properties: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Order(Base):
    """An order, in any store channel; an updated order replaces its earlier version."""

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("source_id", "external_id"),
        Index(
            "ix_orders_profile_id_placed_at",
            "profile_id",
            "placed_at",
            postgresql_where=_HAS_PROFILE,
            sqlite_where=_HAS_PROFILE,
        ),
        Index("ix_orders_record_id", "record_id"),
        # --- campaigns: the web copy of a store order is found by order id (cdp/orders.py) ---
        Index("ix_orders_external_id", "external_id"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("source_records.id", ondelete="CASCADE"))
    source_id: Mapped[int] = mapped_column(BIG_ID)  # the record's (module docstring)
    profile_id: Mapped[str | None] = mapped_column(ForeignKey("profiles.id"))
    external_id: Mapped[str] = mapped_column(String(255))
    channel: Mapped[str] = mapped_column(String(20))
    sales_channel: Mapped[str | None] = mapped_column(String(50))
    status: Mapped[str | None] = mapped_column(String(30))
    financial_status: Mapped[str | None] = mapped_column(String(30))
    currency: Mapped[str] = mapped_column(String(3))
    total_minor: Mapped[int] = mapped_column(BIG_ID)
    subtotal_minor: Mapped[int | None] = mapped_column(BIG_ID)
    refunded_minor: Mapped[int] = mapped_column(BIG_ID, default=0)
    placed_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]

    items: Mapped[list[OrderItem]] = relationship(
        back_populates="order", cascade="all, delete-orphan", passive_deletes=True
    )


class OrderItem(Base):
    __tablename__ = "order_items"
    __table_args__ = (
        Index("ix_order_items_order_id", "order_id"),
        # a product's category for its items without one (`cdp.value.purchases`): one probe
        Index(
            "ix_order_items_product_id_category",
            "product_id",
            "category",
            postgresql_where=text("category IS NOT NULL"),
            sqlite_where=text("category IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    sku: Mapped[str | None] = mapped_column(String(100))
    product_id: Mapped[str | None] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_minor: Mapped[int] = mapped_column(BIG_ID)
    category: Mapped[str | None] = mapped_column(String(100))

    order: Mapped[Order] = relationship(back_populates="items")


class Interaction(Base):
    """A conversational touch point: a social mention, a lead form, a reply."""

    __tablename__ = "interactions"
    __table_args__ = (
        Index(
            "ix_interactions_profile_id_occurred_at",
            "profile_id",
            "occurred_at",
            postgresql_where=_HAS_PROFILE,
            sqlite_where=_HAS_PROFILE,
        ),
        Index("ix_interactions_record_id", "record_id", unique=True),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("source_records.id", ondelete="CASCADE"))
    source_id: Mapped[int] = mapped_column(BIG_ID)  # the record's (module docstring)
    profile_id: Mapped[str | None] = mapped_column(ForeignKey("profiles.id"))
    channel: Mapped[str] = mapped_column(String(20))
    type: Mapped[str] = mapped_column(String(50))
    text: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(2000))
    occurred_at: Mapped[datetime]
    properties: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Feedback(Base):
    """Customer feedback from any channel (a review, a survey, a complaint in a mention)."""

    __tablename__ = "feedback"
    __table_args__ = (
        Index(
            "ix_feedback_profile_id_occurred_at",
            "profile_id",
            "occurred_at",
            postgresql_where=_HAS_PROFILE,
            sqlite_where=_HAS_PROFILE,
        ),
        Index("ix_feedback_record_id", "record_id"),
        CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="rating"),
        CheckConstraint("nps IS NULL OR (nps >= 0 AND nps <= 10)", name="nps"),
        CheckConstraint("csat IS NULL OR (csat >= 1 AND csat <= 5)", name="csat"),
        CheckConstraint("status IN ('open', 'in_progress', 'resolved', 'closed')", name="status"),
        Index("ix_feedback_occurred_at", "occurred_at"),
        # --- feedback: rows still waiting for analysis (cdp.feedback.batch) ---
        Index(
            "ix_feedback_pending_analysis",
            "id",
            postgresql_where=text("sentiment_label IS NULL"),
            sqlite_where=text("sentiment_label IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    record_id: Mapped[int | None] = mapped_column(
        ForeignKey("source_records.id", ondelete="CASCADE")
    )
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    profile_id: Mapped[str | None] = mapped_column(ForeignKey("profiles.id"))
    channel: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(30))
    rating: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str | None] = mapped_column(Text)
    sentiment: Mapped[float | None] = mapped_column(Float)
    topic: Mapped[str | None] = mapped_column(String(100))
    occurred_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: survey scores: NPS 0-10 ("how likely to recommend"), CSAT 1-5 ("how satisfied")
    nps: Mapped[int | None] = mapped_column(Integer)
    csat: Mapped[int | None] = mapped_column(Integer)
    language: Mapped[str | None] = mapped_column(String(8))
    sentiment_label: Mapped[str | None] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), default="open", server_default="open")
    assignee: Mapped[str | None] = mapped_column(String(200))
    resolution_note: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None]
    product_ref: Mapped[str | None] = mapped_column(String(200))
    order_ref: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime | None]

    topics: Mapped[list[FeedbackTopic]] = relationship(
        back_populates="feedback", cascade="all, delete-orphan", passive_deletes=True
    )


class FeedbackTopic(Base):
    """One topic of a piece of feedback (a row per topic, so counts by topic are one GROUP BY)."""

    __tablename__ = "feedback_topics"
    __table_args__ = (Index("ix_feedback_topics_topic", "topic"),)

    feedback_id: Mapped[int] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE"), primary_key=True
    )
    topic: Mapped[str] = mapped_column(String(50), primary_key=True)

    feedback: Mapped[Feedback] = relationship(back_populates="topics")


class FeedbackStatusChange(Base):
    """The history of a piece of feedback's status: who moved it from what to what, and when."""

    __tablename__ = "feedback_status_changes"
    __table_args__ = (Index("ix_feedback_status_changes_feedback_id", "feedback_id"),)

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class Consent(Base):
    """A consent decision as a channel or an app reported it; the latest per purpose (and
    channel) is in force (`cdp.consent`). `channel` is the channel the decision covers (`any`
    for every channel); `evidence` says what it came from (the record, or the API call), and
    `origin_profile_id` whose decision it was, so a split gives it back."""

    __tablename__ = "consents"
    __table_args__ = (
        CheckConstraint("status IN ('granted', 'denied', 'revoked')", name="status"),
        Index(
            "ix_consents_profile_id_purpose_occurred_at",
            "profile_id",
            "purpose",
            "occurred_at",
            postgresql_where=_HAS_PROFILE,
            sqlite_where=_HAS_PROFILE,
        ),
        Index("ix_consents_record_id", "record_id"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    record_id: Mapped[int | None] = mapped_column(
        ForeignKey("source_records.id", ondelete="CASCADE")
    )
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    profile_id: Mapped[str | None] = mapped_column(ForeignKey("profiles.id"))
    channel: Mapped[str] = mapped_column(String(20))
    purpose: Mapped[str] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(String(200))
    occurred_at: Mapped[datetime]
    # --- privacy: who set it through the API, what it came from, whose it was (issue 18) ---
    actor: Mapped[str | None] = mapped_column(String(200))
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'"))
    origin_profile_id: Mapped[str | None] = mapped_column(String(40))


# --- traits and segments -----------------------------------------------------------------------


class ComputedTrait(Base):
    __tablename__ = "computed_traits"

    profile_id: Mapped[str] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column()
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProfileTraits(Base):
    """The computed traits of one profile, one typed column each (`cdp.value` computes them).

    Money is in minor units of the configured base currency. `as_of` is the time the values
    describe (now, or the `--as-of` date of a back-fill); recency figures count from it.
    """

    __tablename__ = "profile_traits"
    __table_args__ = (
        Index("ix_profile_traits_rfm_segment", "rfm_segment"),
        Index("ix_profile_traits_value_tier", "value_tier"),
        Index("ix_profile_traits_lifecycle_stage", "lifecycle_stage"),
    )

    profile_id: Mapped[str] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), primary_key=True
    )
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    as_of: Mapped[datetime]
    # purchases
    first_order_at: Mapped[datetime | None]
    last_order_at: Mapped[datetime | None]
    order_count: Mapped[int] = mapped_column(Integer, default=0)
    total_spend_minor: Mapped[int] = mapped_column(BIG_ID, default=0)
    average_order_minor: Mapped[int | None] = mapped_column(BIG_ID)
    refunded_minor: Mapped[int] = mapped_column(BIG_ID, default=0)
    cancelled_orders: Mapped[int] = mapped_column(Integer, default=0)
    #: orders in a currency with no configured rate: counted here, never added to the sums
    unconverted_orders: Mapped[int] = mapped_column(Integer, default=0)
    days_since_last_order: Mapped[int | None] = mapped_column(Integer)
    average_days_between_orders: Mapped[float | None] = mapped_column(Float)
    #: days with a counted order: the purchases of the lifetime-value models (two orders on
    #: one day are one purchase, as in the CDNOW data the models were published on)
    purchase_days: Mapped[int] = mapped_column(Integer, default=0)
    #: the average spend of the purchase days after the first (Gamma-Gamma's monetary value)
    repeat_day_average_minor: Mapped[int | None] = mapped_column(BIG_ID)
    favourite_category: Mapped[str | None] = mapped_column(String(100))
    favourite_product: Mapped[str | None] = mapped_column(String(300))
    favourite_categories: Mapped[list[str]] = mapped_column(PORTABLE_JSON, default=list)
    # RFM
    recency_score: Mapped[int | None] = mapped_column(Integer)
    frequency_score: Mapped[int | None] = mapped_column(Integer)
    monetary_score: Mapped[int | None] = mapped_column(Integer)
    rfm_code: Mapped[str | None] = mapped_column(String(3))
    rfm_segment: Mapped[str | None] = mapped_column(String(30))
    value_tier: Mapped[str | None] = mapped_column(String(10))
    # lifetime value
    historical_value_minor: Mapped[int] = mapped_column(BIG_ID, default=0)
    predicted_orders: Mapped[float | None] = mapped_column(Float)
    predicted_value_minor: Mapped[int | None] = mapped_column(BIG_ID)
    probability_alive: Mapped[float | None] = mapped_column(Float)
    clv_method: Mapped[str | None] = mapped_column(String(30))
    # lifecycle
    lifecycle_stage: Mapped[str | None] = mapped_column(String(20))
    # engagement
    email_open_rate: Mapped[float | None] = mapped_column(Float)
    email_click_rate: Mapped[float | None] = mapped_column(Float)
    last_email_engagement_at: Mapped[datetime | None]
    last_web_at: Mapped[datetime | None]
    last_social_at: Mapped[datetime | None]
    last_store_at: Mapped[datetime | None]
    web_sessions_30d: Mapped[int] = mapped_column(Integer, default=0)
    page_views_30d: Mapped[int] = mapped_column(Integer, default=0)
    social_interactions: Mapped[int] = mapped_column(Integer, default=0)
    preferred_channel: Mapped[str | None] = mapped_column(String(20))
    best_send_hour: Mapped[int | None] = mapped_column(Integer)
    # loyalty
    loyalty_points: Mapped[int] = mapped_column(BIG_ID, default=0)
    loyalty_tier: Mapped[str | None] = mapped_column(String(30))
    loyalty_tier_since: Mapped[datetime | None]


class ValueModel(Base):
    """A fitted value model (`cdp.value`): RFM quintile boundaries, BG/NBD or Gamma-Gamma
    parameters, with the time it describes, when it was fitted and on how many customers."""

    __tablename__ = "value_models"
    __table_args__ = (Index("ix_value_models_kind_fitted_at", "kind", "fitted_at"),)

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    as_of: Mapped[datetime]
    fitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    data_size: Mapped[int] = mapped_column(Integer)
    params: Mapped[dict[str, Any]] = mapped_column()


class LoyaltyEntry(Base):
    """A line of a profile's loyalty points ledger, derived from the fact it names
    (`kind`, `reference`: an order, a sign-up record, a review, a redemption event), so
    re-ingesting or merging never counts a fact twice."""

    __tablename__ = "loyalty_ledger"
    __table_args__ = (
        UniqueConstraint("kind", "reference"),
        Index("ix_loyalty_ledger_profile_id_occurred_at", "profile_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    profile_id: Mapped[str] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str] = mapped_column(String(100))
    points: Mapped[int] = mapped_column(BIG_ID)
    occurred_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]


class LoyaltyAward(Base):
    """Points a flow's `add_points` step gave a profile (`cdp.activation.actions`): a fact the
    ledger derives an `award` line from. `reference` (flow, step and the profile the run was
    for) is unique, so a step awards a profile once; `origin_profile_id` is that profile, which
    gets the award back after a split."""

    __tablename__ = "loyalty_awards"

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    profile_id: Mapped[str] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), index=True
    )
    origin_profile_id: Mapped[str] = mapped_column(String(40))
    reference: Mapped[str] = mapped_column(String(255), unique=True)
    points: Mapped[int] = mapped_column(BIG_ID)
    reason: Mapped[str | None] = mapped_column(String(200))
    occurred_at: Mapped[datetime]


class Segment(Base):
    __tablename__ = "segments"

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    definition: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    #: shipped with the platform (the RFM segments): refreshed like any other, never edited
    built_in: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    refreshed_at: Mapped[datetime | None]


class SegmentMembership(Base):
    __tablename__ = "segment_memberships"
    __table_args__ = (Index("ix_segment_memberships_profile_id", "profile_id"),)

    segment_id: Mapped[int] = mapped_column(
        ForeignKey("segments.id", ondelete="CASCADE"), primary_key=True
    )
    profile_id: Mapped[str] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), primary_key=True
    )
    added_at: Mapped[datetime] = mapped_column(default=utcnow)  # when the profile entered


class SegmentExit(Base):
    """A stay in a segment that ended: `segment_memberships` holds current members only, and a
    profile that leaves moves here with the times it entered and exited (`cdp.segments`)."""

    __tablename__ = "segment_exits"
    __table_args__ = (
        Index("ix_segment_exits_profile_id_exited_at", "profile_id", "exited_at"),
        Index("ix_segment_exits_segment_id_exited_at", "segment_id", "exited_at"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    segment_id: Mapped[int] = mapped_column(BIG_ID, ForeignKey("segments.id", ondelete="CASCADE"))
    profile_id: Mapped[str] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"))
    entered_at: Mapped[datetime]
    exited_at: Mapped[datetime]


class SegmentSize(Base):
    """A segment's size after a refresh (`scope` `all`: every profile re-tested; `touched`:
    only the profiles a batch touched), with how many entered and exited."""

    __tablename__ = "segment_sizes"
    __table_args__ = (
        CheckConstraint("scope IN ('all', 'touched')", name="scope"),
        Index("ix_segment_sizes_segment_id_measured_at", "segment_id", "measured_at"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    segment_id: Mapped[int] = mapped_column(BIG_ID, ForeignKey("segments.id", ondelete="CASCADE"))
    measured_at: Mapped[datetime]
    size: Mapped[int] = mapped_column(Integer)
    entered: Mapped[int] = mapped_column(Integer)
    exited: Mapped[int] = mapped_column(Integer)
    scope: Mapped[str] = mapped_column(String(10))


# --- recommendations (cdp.recommend; recomputed by `cdp recommend compute`) ----------------


class ProductStat(Base):
    """A product as purchases and views describe it: name, category, how many bought it (once
    or again), its popularity rank; the fallback and the explanations read it."""

    __tablename__ = "product_stats"
    __table_args__ = (Index("ix_product_stats_category_rank", "category", "popularity_rank"),)

    product_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    category: Mapped[str | None] = mapped_column(String(100))
    buyers: Mapped[int] = mapped_column(Integer, default=0)
    repeat_buyers: Mapped[int] = mapped_column(Integer, default=0)
    viewers: Mapped[int] = mapped_column(Integer, default=0)
    is_repeat_purchase: Mapped[bool] = mapped_column(Boolean, default=False)
    popularity_rank: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProductSimilarity(Base):
    """How strongly buying (or viewing) `product_id` goes with `similar_product_id`: the top
    scores per product, computed in the database from co-purchases and views."""

    __tablename__ = "product_similarities"

    product_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    similar_product_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    score: Mapped[float] = mapped_column(Float)
    together: Mapped[float] = mapped_column(Float)
    rank: Mapped[int] = mapped_column(Integer)


# --- access and audit --------------------------------------------------------------------------


class ApiKey(Base):
    """A hashed API key: a GraphQL role key, or a write key bound to one source.

    Only `prefix` (the public part used for look-up) and a hash of the secret are stored.
    """

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    prefix: Mapped[str] = mapped_column(String(32), unique=True)
    key_hash: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class AuditLog(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_target", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    target_type: Mapped[str] = mapped_column(String(50))
    target_id: Mapped[str] = mapped_column(String(100))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # --- privacy: the key that acted and how it ended (issue 18; `cdp.audit`) ---
    key_id: Mapped[int | None] = mapped_column(BIG_ID)
    outcome: Mapped[str] = mapped_column(String(20), default="ok", server_default="ok")


# --- privacy (cdp.privacy) ---------------------------------------------------------------------


class Suppression(Base):
    """An erased identifier as a keyed hash (HMAC-SHA256 of kind and normalised value under
    the configured privacy key): a later record carrying it is held back, never stored.
    `key_fingerprint` names the key the digest was made with (not the key itself)."""

    __tablename__ = "suppressions"
    __table_args__ = (UniqueConstraint("digest"),)

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    digest: Mapped[str] = mapped_column(String(64))
    key_fingerprint: Mapped[str] = mapped_column(String(16))
    erasure_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    hits: Mapped[int] = mapped_column(BIG_ID, default=0)
    last_hit_at: Mapped[datetime | None]


class Erasure(Base):
    """The receipt of an erasure: what was removed, when, by whom and why, with no personal
    data (`subject_digest` is a keyed hash of the profile id, so a later question "was this
    profile erased?" can be answered without keeping the id)."""

    __tablename__ = "erasures"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    subject_digest: Mapped[str] = mapped_column(String(64), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    profiles: Mapped[int] = mapped_column(Integer, default=0)
    records: Mapped[int] = mapped_column(Integer, default=0)
    rows_by_table: Mapped[dict[str, Any]] = mapped_column(default=dict)
    suppressed: Mapped[dict[str, Any]] = mapped_column(default=dict)


# --- activation: destinations, the outbox, deliveries (cdp.activation) --------------------------


class Destination(Base):
    """Where activation sends changes: a webhook, a file drop, a marketing tool's API.

    Declared in cdp.toml (`declared_in = "cdp.toml"`, rewritten at each start) or through
    GraphQL. Secrets are never stored: `config` names the environment variables holding them.
    """

    __tablename__ = "destinations"
    __table_args__ = (
        CheckConstraint("kind IN ('webhook', 'file', 'mailchimp')", name="kind"),
        CheckConstraint("declared_in IN ('cdp.toml', 'graphql')", name="declared_in"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: the consent purpose a profile must have granted (None: internal, no consent filter)
    purpose: Mapped[str | None] = mapped_column(String(50))
    events: Mapped[list[str]] = mapped_column(PORTABLE_JSON, default=list)
    segments: Mapped[list[str]] = mapped_column(PORTABLE_JSON, default=list)
    traits: Mapped[list[str]] = mapped_column(PORTABLE_JSON, default=list)
    rate_limit: Mapped[float] = mapped_column(Float, default=50.0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=8)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    declared_in: Mapped[str] = mapped_column(String(20), default="graphql")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OutboxEntry(Base):
    """A change activation must act on, written in the transaction that made the change.

    No foreign key to profiles: an entry outlives a merge or an erasure of its profile, and
    the worker reads it once (`dispatched_at`) and fans it out to deliveries.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index(
            "ix_outbox_pending",
            "id",
            postgresql_where=text("dispatched_at IS NULL"),
            sqlite_where=text("dispatched_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    topic: Mapped[str] = mapped_column(String(40))
    profile_id: Mapped[str | None] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    dispatched_at: Mapped[datetime | None]


class Delivery(Base):
    """One outbox entry for one destination: pending, sending (leased by a worker until
    `lease_until`), delivered, dead (after `max_attempts` failures, or a permanent refusal)
    or skipped (consent does not allow the destination's purpose)."""

    __tablename__ = "deliveries"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'sending', 'delivered', 'dead', 'skipped')", name="status"
        ),
        UniqueConstraint("destination_id", "outbox_id"),
        Index("ix_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_deliveries_destination_id_status", "destination_id", "status"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    destination_id: Mapped[int] = mapped_column(ForeignKey("destinations.id", ondelete="CASCADE"))
    outbox_id: Mapped[int] = mapped_column(BIG_ID)
    profile_id: Mapped[str | None] = mapped_column(String(40))
    topic: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None]
    #: when the change happened (the outbox entry's time): lag and latency count from it
    changed_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]


class Flow(Base):
    """An automated marketing flow declared as data (`cdp.activation.flows`)."""

    __tablename__ = "flows"
    __table_args__ = (
        CheckConstraint("declared_in IN ('cdp.toml', 'graphql')", name="declared_in"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    definition: Mapped[dict[str, Any]] = mapped_column(default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    declared_in: Mapped[str] = mapped_column(String(20), default="graphql")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class FlowRun(Base):
    """One profile's way through a flow: waiting (until `wait_until`), done, exited (with
    `exit_reason`), or holdout (entered, receives nothing: the control group)."""

    __tablename__ = "flow_runs"
    __table_args__ = (
        CheckConstraint("status IN ('waiting', 'done', 'exited', 'holdout')", name="status"),
        Index("ix_flow_runs_status_wait_until", "status", "wait_until"),
        Index("ix_flow_runs_flow_id_profile_id", "flow_id", "profile_id"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    flow_id: Mapped[int] = mapped_column(ForeignKey("flows.id", ondelete="CASCADE"))
    profile_id: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(10), default="waiting")
    step: Mapped[int] = mapped_column(Integer, default=0)
    wait_until: Mapped[datetime | None]
    trigger: Mapped[dict[str, Any]] = mapped_column(default=dict)
    entered_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    exit_reason: Mapped[str | None] = mapped_column(String(200))
    #: what the run did, one entry per step taken (sent, skipped for consent or cap, waited)
    log: Mapped[list[dict[str, Any]]] = mapped_column(PORTABLE_JSON, default=list)


class FlowSend(Base):
    """A message a flow sent to a profile: what frequency capping counts."""

    __tablename__ = "flow_sends"
    __table_args__ = (Index("ix_flow_sends_profile_id_sent_at", "profile_id", "sent_at"),)

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("flow_runs.id", ondelete="CASCADE"))
    profile_id: Mapped[str] = mapped_column(String(40))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
