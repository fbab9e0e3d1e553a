"""recommendations: product_stats (name, category, buyers, repeat buyers, popularity) and
product_similarities (the top item-to-item scores per product), recomputed by
`cdp recommend compute`

Revision ID: 20261207_recommend
Revises: 20261207_privacy
Create Date: 2026-12-07 14:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261207_recommend"
down_revision: str | Sequence[str] | None = "20261207_privacy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "product_stats",
        sa.Column("product_id", sa.String(100), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("category", sa.String(100), nullable=True),
        sa.Column("buyers", sa.Integer(), nullable=False),
        sa.Column("repeat_buyers", sa.Integer(), nullable=False),
        sa.Column("viewers", sa.Integer(), nullable=False),
        sa.Column("is_repeat_purchase", sa.Boolean(), nullable=False),
        sa.Column("popularity_rank", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("product_id", name=op.f("pk_product_stats")),
    )
    op.create_index(
        "ix_product_stats_category_rank", "product_stats", ["category", "popularity_rank"]
    )
    op.create_table(
        "product_similarities",
        sa.Column("product_id", sa.String(100), nullable=False),
        sa.Column("similar_product_id", sa.String(100), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("together", sa.Float(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "product_id", "similar_product_id", name=op.f("pk_product_similarities")
        ),
    )


def downgrade() -> None:
    op.drop_table("product_similarities")
    op.drop_index("ix_product_stats_category_rank", table_name="product_stats")
    op.drop_table("product_stats")
