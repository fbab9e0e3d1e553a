"""flow actions: loyalty points a flow awards (loyalty_awards)

Revision ID: 20261207_flow_actions
Revises: 20261207_value_itemcat
Create Date: 2026-12-07 18:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261207_flow_actions"
down_revision: str | Sequence[str] | None = "20261207_value_itemcat"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "loyalty_awards",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("profile_id", sa.String(length=40), nullable=False),
        sa.Column("origin_profile_id", sa.String(length=40), nullable=False),
        sa.Column("reference", sa.String(length=255), nullable=False),
        sa.Column("points", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["profiles.id"],
            name=op.f("fk_loyalty_awards_profile_id_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_awards")),
        sa.UniqueConstraint("reference", name=op.f("uq_loyalty_awards_reference")),
    )
    op.create_index(
        op.f("ix_loyalty_awards_profile_id"), "loyalty_awards", ["profile_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_loyalty_awards_profile_id"), table_name="loyalty_awards")
    op.drop_table("loyalty_awards")
