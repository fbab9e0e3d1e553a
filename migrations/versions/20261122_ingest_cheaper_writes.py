"""ingest: cheaper writes per record

`profile_id` indexes become partial (`WHERE profile_id IS NOT NULL`): ingest writes rows with
no profile, and every look-up by profile id implies a non-null id, so the unresolved rows'
index entries were never read. Events, orders and interactions lose their own foreign key on
`source_id`: they always come from a source record (`record_id` references it, and the
record references its source), so the second check per row only cost time.

Revision ID: 0002_ingest
Revises: 0001
Create Date: 2026-11-22 16:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_ingest"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PROFILE_INDEXES = (
    ("source_records", "ix_source_records_profile_id", ["profile_id"]),
    ("identifiers", "ix_identifiers_profile_id", ["profile_id"]),
    ("events", "ix_events_profile_id_occurred_at", ["profile_id", "occurred_at"]),
    ("orders", "ix_orders_profile_id_placed_at", ["profile_id", "placed_at"]),
    ("interactions", "ix_interactions_profile_id_occurred_at", ["profile_id", "occurred_at"]),
    ("feedback", "ix_feedback_profile_id_occurred_at", ["profile_id", "occurred_at"]),
    (
        "consents",
        "ix_consents_profile_id_purpose_occurred_at",
        ["profile_id", "purpose", "occurred_at"],
    ),
)
_SOURCE_FKS = ("events", "orders", "interactions")
_HAS_PROFILE = sa.text("profile_id IS NOT NULL")


def upgrade() -> None:
    for table, name, columns in _PROFILE_INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)
            batch_op.create_index(
                name,
                columns,
                unique=False,
                postgresql_where=_HAS_PROFILE,
                sqlite_where=_HAS_PROFILE,
            )
    for table in _SOURCE_FKS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"fk_{table}_source_id_sources", type_="foreignkey")


def downgrade() -> None:
    for table in _SOURCE_FKS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_foreign_key(
                f"fk_{table}_source_id_sources", "sources", ["source_id"], ["id"]
            )
    for table, name, columns in _PROFILE_INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)
            batch_op.create_index(name, columns, unique=False)
