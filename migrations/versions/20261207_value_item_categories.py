"""order_items: (product_id, category) where category is set, for the category a product's
items lend to its items without one (`cdp.value.purchases.fill_product_categories`: one index
probe per product in a refresh, instead of a scan of every order item)

Revision ID: 20261207_value_itemcat
Revises: 20261207_ingest_qkey
Create Date: 2026-12-07 18:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261207_value_itemcat"
down_revision: str | Sequence[str] | None = "20261207_ingest_qkey"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_order_items_product_id_category",
        "order_items",
        ["product_id", "category"],
        postgresql_where=sa.text("category IS NOT NULL"),
        sqlite_where=sa.text("category IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_order_items_product_id_category", table_name="order_items")
