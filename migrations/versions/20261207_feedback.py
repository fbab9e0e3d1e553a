"""feedback: a partial index on the rows waiting for analysis

`cdp.feedback.batch.analyze_pending` looks for feedback rows with no sentiment label yet
(stored by ingest, analysed right after); the index holds only those rows, so it stays
small and costs nothing once every row is analysed.

Revision ID: 20261207_feedback
Revises: 20261207_foundation
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261207_feedback"
down_revision: str | Sequence[str] | None = "20261207_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PENDING = sa.text("sentiment_label IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.create_index(
            "ix_feedback_pending_analysis",
            ["id"],
            unique=False,
            postgresql_where=_PENDING,
            sqlite_where=_PENDING,
        )


def downgrade() -> None:
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_feedback_pending_analysis", postgresql_where=_PENDING, sqlite_where=_PENDING
        )
