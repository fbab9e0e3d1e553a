"""quarantine: exact bytes, and entries resolved or dismissed

`raw_bytes` keeps a quarantined record exactly when its text cannot be stored as text (a NUL,
bytes that are not UTF-8); `raw` then holds a readable escaped copy. `resolved_at`,
`resolution` (`arrived`: the record was stored later; `dismissed`: by a person) and
`resolution_note` clear an entry without deleting it.

Revision ID: 20261207_ingest_q
Revises: 20261207_activation, 20261207_campaigns (joins the two heads)
Create Date: 2026-12-07 14:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261207_ingest_q"
down_revision: str | Sequence[str] | None = ("20261207_activation", "20261207_campaigns")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("quarantine") as batch:
        batch.add_column(sa.Column("raw_bytes", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("resolution", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("resolution_note", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("quarantine") as batch:
        batch.drop_column("resolution_note")
        batch.drop_column("resolution")
        batch.drop_column("resolved_at")
        batch.drop_column("raw_bytes")
