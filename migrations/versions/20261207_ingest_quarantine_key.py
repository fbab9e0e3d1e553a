"""quarantine: the record's key, so an entry is resolved when its record arrives

`record_key` is the natural key of a quarantined record when it could be read (null for text
that was not a record at all); storing a record of the same source and key marks the entry
resolved (`resolution = 'arrived'`).

Revision ID: 20261207_ingest_qkey
Revises: 20261207_flows
Create Date: 2026-12-07 15:25:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261207_ingest_qkey"
down_revision: str | Sequence[str] | None = "20261207_flows"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("quarantine") as batch:
        batch.add_column(sa.Column("record_key", sa.String(length=255), nullable=True))
    op.create_index(
        "ix_quarantine_source_name_record_key", "quarantine", ["source_name", "record_key"]
    )


def downgrade() -> None:
    op.drop_index("ix_quarantine_source_name_record_key", table_name="quarantine")
    with op.batch_alter_table("quarantine") as batch:
        batch.drop_column("record_key")
