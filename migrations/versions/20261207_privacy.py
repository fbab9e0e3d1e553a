"""privacy: consent decisions with evidence (denied as a status), the audit log's key id and
outcome, the erasure suppression list and erasure receipts (issue 18, docs/privacy.md)

Revision ID: 20261207_privacy
Revises: 20261207_segments_built_in
Create Date: 2026-12-07 14:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "20261207_privacy"
down_revision: str | Sequence[str] | None = "20261207_segments_built_in"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_TIME = sa.DateTime(timezone=True)
_OLD_STATUS = "status IN ('granted', 'revoked')"
_NEW_STATUS = "status IN ('granted', 'denied', 'revoked')"


def upgrade() -> None:
    with op.batch_alter_table("consents", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("actor", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("evidence", _JSON, server_default=sa.text("'{}'"), nullable=False)
        )
        batch_op.add_column(sa.Column("origin_profile_id", sa.String(length=40), nullable=True))
    _replace_check("consents", "ck_consents_status", _OLD_STATUS, _NEW_STATUS)
    with op.batch_alter_table("audit_log", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("key_id", _BIG_ID, nullable=True))
        batch_op.add_column(
            sa.Column("outcome", sa.String(length=20), server_default="ok", nullable=False)
        )
    op.create_table(
        "suppressions",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("key_fingerprint", sa.String(length=16), nullable=False),
        sa.Column("erasure_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("hits", _BIG_ID, nullable=False),
        sa.Column("last_hit_at", _TIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suppressions")),
        sa.UniqueConstraint("digest", name=op.f("uq_suppressions_digest")),
    )
    op.create_table(
        "erasures",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("subject_digest", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_at", _TIME, nullable=False),
        sa.Column("completed_at", _TIME, nullable=True),
        sa.Column("profiles", sa.Integer(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("rows_by_table", _JSON, nullable=False),
        sa.Column("suppressed", _JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasures")),
    )
    op.create_index(
        op.f("ix_erasures_subject_digest"), "erasures", ["subject_digest"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_erasures_subject_digest"), table_name="erasures")
    op.drop_table("erasures")
    op.drop_table("suppressions")
    with op.batch_alter_table("audit_log", recreate="never") as batch_op:
        batch_op.drop_column("outcome")
        batch_op.drop_column("key_id")
    op.execute("DELETE FROM consents WHERE status = 'denied'")
    _replace_check("consents", "ck_consents_status", _NEW_STATUS, _OLD_STATUS)
    with op.batch_alter_table("consents", recreate="never") as batch_op:
        batch_op.drop_column("origin_profile_id")
        batch_op.drop_column("evidence")
        batch_op.drop_column("actor")


def _replace_check(table: str, name: str, old: str, new: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        _replace_check_sqlite(table, old, new)
        return
    op.drop_constraint(op.f(name), table, type_="check")
    op.create_check_constraint(op.f(name), table, new)


def _replace_check_sqlite(table: str, old: str, new: str) -> None:
    """SQLite cannot alter a constraint: the table's stored definition is edited instead, the
    procedure SQLite documents for changing a CHECK constraint
    (https://www.sqlite.org/lang_altertable.html, "making other kinds of table schema
    changes"), as migration 20261207_idpath does for `sources`."""
    bind = op.get_bind()
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).scalar_one()
    changed = sql.replace(f"CHECK ({old})", f"CHECK ({new})")
    if changed == sql:
        raise RuntimeError(f"{table} has no constraint CHECK ({old}): {sql}")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", (changed, table)
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")
