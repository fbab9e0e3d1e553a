"""traits table and feedback lifecycle columns

`profile_traits` holds one typed column per computed trait (purchases, RFM, lifetime value,
lifecycle, engagement, loyalty); feedback gains survey scores, language, a sentiment label, a
status with assignee and resolution, product and order references, a row per topic
(`feedback_topics`) and the history of its status (`feedback_status_changes`).

Revision ID: 20261207_foundation
Revises: 0004_ingest
Create Date: 2026-12-07 03:03:29.598724
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "20261207_foundation"
down_revision: str | Sequence[str] | None = "0004_ingest"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "profile_traits",
        sa.Column("profile_id", sa.String(length=40), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_order_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_order_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("order_count", sa.Integer(), nullable=False),
        sa.Column(
            "total_spend_minor",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "average_order_minor",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column(
            "refunded_minor", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("cancelled_orders", sa.Integer(), nullable=False),
        sa.Column("unconverted_orders", sa.Integer(), nullable=False),
        sa.Column("days_since_last_order", sa.Integer(), nullable=True),
        sa.Column("average_days_between_orders", sa.Float(), nullable=True),
        sa.Column("favourite_category", sa.String(length=100), nullable=True),
        sa.Column("favourite_product", sa.String(length=300), nullable=True),
        sa.Column(
            "favourite_categories",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=False,
        ),
        sa.Column("recency_score", sa.Integer(), nullable=True),
        sa.Column("frequency_score", sa.Integer(), nullable=True),
        sa.Column("monetary_score", sa.Integer(), nullable=True),
        sa.Column("rfm_code", sa.String(length=3), nullable=True),
        sa.Column("rfm_segment", sa.String(length=30), nullable=True),
        sa.Column("value_tier", sa.String(length=10), nullable=True),
        sa.Column(
            "historical_value_minor",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("predicted_orders", sa.Float(), nullable=True),
        sa.Column(
            "predicted_value_minor",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("probability_alive", sa.Float(), nullable=True),
        sa.Column("clv_method", sa.String(length=30), nullable=True),
        sa.Column("lifecycle_stage", sa.String(length=20), nullable=True),
        sa.Column("email_open_rate", sa.Float(), nullable=True),
        sa.Column("email_click_rate", sa.Float(), nullable=True),
        sa.Column("last_email_engagement_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_web_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_social_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_store_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("web_sessions_30d", sa.Integer(), nullable=False),
        sa.Column("page_views_30d", sa.Integer(), nullable=False),
        sa.Column("social_interactions", sa.Integer(), nullable=False),
        sa.Column("preferred_channel", sa.String(length=20), nullable=True),
        sa.Column("best_send_hour", sa.Integer(), nullable=True),
        sa.Column(
            "loyalty_points", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("loyalty_tier", sa.String(length=30), nullable=True),
        sa.Column("loyalty_tier_since", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["profiles.id"],
            name=op.f("fk_profile_traits_profile_id_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("profile_id", name=op.f("pk_profile_traits")),
    )
    with op.batch_alter_table("profile_traits", schema=None) as batch_op:
        batch_op.create_index(
            "ix_profile_traits_lifecycle_stage", ["lifecycle_stage"], unique=False
        )
        batch_op.create_index("ix_profile_traits_rfm_segment", ["rfm_segment"], unique=False)
        batch_op.create_index("ix_profile_traits_value_tier", ["value_tier"], unique=False)

    op.create_table(
        "feedback_status_changes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "feedback_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["feedback.id"],
            name=op.f("fk_feedback_status_changes_feedback_id_feedback"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_status_changes")),
    )
    with op.batch_alter_table("feedback_status_changes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_feedback_status_changes_feedback_id", ["feedback_id"], unique=False
        )

    op.create_table(
        "feedback_topics",
        sa.Column(
            "feedback_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("topic", sa.String(length=50), nullable=False),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["feedback.id"],
            name=op.f("fk_feedback_topics_feedback_id_feedback"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("feedback_id", "topic", name=op.f("pk_feedback_topics")),
    )
    with op.batch_alter_table("feedback_topics", schema=None) as batch_op:
        batch_op.create_index("ix_feedback_topics_topic", ["topic"], unique=False)

    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.add_column(sa.Column("nps", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("csat", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("sentiment_label", sa.String(length=10), nullable=True))
        batch_op.add_column(
            sa.Column("status", sa.String(length=20), server_default="open", nullable=False)
        )
        batch_op.add_column(sa.Column("assignee", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("resolution_note", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("product_ref", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("order_ref", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_feedback_occurred_at", ["occurred_at"], unique=False)
        batch_op.create_check_constraint("nps", "nps IS NULL OR (nps >= 0 AND nps <= 10)")
        batch_op.create_check_constraint("csat", "csat IS NULL OR (csat >= 1 AND csat <= 5)")
        batch_op.create_check_constraint(
            "status", "status IN ('open', 'in_progress', 'resolved', 'closed')"
        )


def downgrade() -> None:
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_feedback_status"), type_="check")
        batch_op.drop_constraint(op.f("ck_feedback_csat"), type_="check")
        batch_op.drop_constraint(op.f("ck_feedback_nps"), type_="check")
        batch_op.drop_index("ix_feedback_occurred_at")
        batch_op.drop_column("updated_at")
        batch_op.drop_column("order_ref")
        batch_op.drop_column("product_ref")
        batch_op.drop_column("resolved_at")
        batch_op.drop_column("resolution_note")
        batch_op.drop_column("assignee")
        batch_op.drop_column("status")
        batch_op.drop_column("sentiment_label")
        batch_op.drop_column("language")
        batch_op.drop_column("csat")
        batch_op.drop_column("nps")

    with op.batch_alter_table("feedback_topics", schema=None) as batch_op:
        batch_op.drop_index("ix_feedback_topics_topic")

    op.drop_table("feedback_topics")
    with op.batch_alter_table("feedback_status_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_feedback_status_changes_feedback_id")

    op.drop_table("feedback_status_changes")
    with op.batch_alter_table("profile_traits", schema=None) as batch_op:
        batch_op.drop_index("ix_profile_traits_value_tier")
        batch_op.drop_index("ix_profile_traits_rfm_segment")
        batch_op.drop_index("ix_profile_traits_lifecycle_stage")

    op.drop_table("profile_traits")
