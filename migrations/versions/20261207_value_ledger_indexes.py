"""partial indexes for the loyalty ledger's facts: redemption events and account records by
profile (`cdp.value.loyalty`: a refresh of 10k profiles probed every event of each profile for
a redemption, 0.5 s at 1M profiles)

Revision ID: 20261207_value_ledger
Revises: 20261207_flow_actions
Create Date: 2026-12-07 18:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261207_value_ledger"
down_revision: str | Sequence[str] | None = "20261207_flow_actions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REDEEMED = sa.text("name = 'Points Redeemed'")
ACCOUNTS = sa.text("kind = 'profile'")


def upgrade() -> None:
    op.create_index(
        "ix_events_redeemed",
        "events",
        ["profile_id"],
        postgresql_where=REDEEMED,
        sqlite_where=REDEEMED,
    )
    op.create_index(
        "ix_source_records_accounts",
        "source_records",
        ["profile_id", "occurred_at"],
        postgresql_where=ACCOUNTS,
        sqlite_where=ACCOUNTS,
    )


def downgrade() -> None:
    op.drop_index("ix_source_records_accounts", table_name="source_records")
    op.drop_index("ix_events_redeemed", table_name="events")
