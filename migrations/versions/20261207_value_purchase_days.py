"""purchase days for the lifetime-value models: `profile_traits.purchase_days` (days with a
counted order) and `repeat_day_average_minor` (the average spend of those after the first),
so BG/NBD and Gamma-Gamma count and value purchases as they were published (CDNOW)

Revision ID: 20261207_purchase_days
Revises: 20261207_value_ledger
Create Date: 2026-12-07 23:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261207_purchase_days"
down_revision: str | Sequence[str] | None = "20261207_value_ledger"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("profile_traits") as batch:
        batch.add_column(
            sa.Column("purchase_days", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column(
                "repeat_day_average_minor",
                sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("profile_traits") as batch:
        batch.drop_column("repeat_day_average_minor")
        batch.drop_column("purchase_days")
