"""orders: an index on the order id, for the rule that counts a web order stored twice once
(cdp/orders.py)

Revision ID: 20261207_campaigns
Revises: 20261207_idpath
Create Date: 2026-12-07 14:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "20261207_campaigns"
down_revision: str | Sequence[str] | None = "20261207_idpath"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_orders_external_id", "orders", ["external_id"])


def downgrade() -> None:
    op.drop_index("ix_orders_external_id", table_name="orders")
