"""value: fitted models (RFM boundaries, BG/NBD and Gamma-Gamma parameters) and the loyalty
points ledger (one row per fact, unique by kind and reference)

Revision ID: 20261207_value
Revises: 20261207_segments
Create Date: 2026-12-07 14:08:12.348759
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "20261207_value"
down_revision: str | Sequence[str] | None = "20261207_segments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "value_models",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data_size", sa.Integer(), nullable=False),
        sa.Column(
            "params", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_value_models")),
    )
    with op.batch_alter_table("value_models", schema=None) as batch_op:
        batch_op.create_index("ix_value_models_kind_fitted_at", ["kind", "fitted_at"], unique=False)

    op.create_table(
        "loyalty_ledger",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("profile_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("points", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["profiles.id"],
            name=op.f("fk_loyalty_ledger_profile_id_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_ledger")),
        sa.UniqueConstraint("kind", "reference", name=op.f("uq_loyalty_ledger_kind_reference")),
    )
    with op.batch_alter_table("loyalty_ledger", schema=None) as batch_op:
        batch_op.create_index(
            "ix_loyalty_ledger_profile_id_occurred_at", ["profile_id", "occurred_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("loyalty_ledger", schema=None) as batch_op:
        batch_op.drop_index("ix_loyalty_ledger_profile_id_occurred_at")

    op.drop_table("loyalty_ledger")
    with op.batch_alter_table("value_models", schema=None) as batch_op:
        batch_op.drop_index("ix_value_models_kind_fitted_at")

    op.drop_table("value_models")
