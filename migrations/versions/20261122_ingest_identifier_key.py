"""ingest: identifiers keyed by (record_id, kind, value), without a surrogate id

The surrogate `identifiers.id` was read by no query: every reader goes by record, by
`(kind, value)` or by profile. Dropping it takes one index entry and one sequence `nextval`
off every identifier row ingest writes (1-4 per web event; about 1.5-4 us of PostgreSQL CPU
per web event, measured); the unique `(record_id, kind, value)` it already had becomes the
primary key, so the indexes left are the primary key, `(kind, value)` and the partial one on
`profile_id`.

Revision ID: 0004_ingest
Revises: 0003_ingest
Create Date: 2026-11-22 18:30:00
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_ingest"
down_revision: str | Sequence[str] | None = "0003_ingest"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEY = ["record_id", "kind", "value"]
_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with _rebuilt_on_sqlite(), op.batch_alter_table("identifiers", schema=None) as batch_op:
        batch_op.drop_constraint("uq_identifiers_record_id_kind_value", type_="unique")
        batch_op.drop_constraint("pk_identifiers", type_="primary")
        batch_op.drop_column("id")
        batch_op.create_primary_key("pk_identifiers", _KEY)


def downgrade() -> None:
    with _rebuilt_on_sqlite(), op.batch_alter_table("identifiers", schema=None) as batch_op:
        batch_op.drop_constraint("pk_identifiers", type_="primary")
        batch_op.add_column(sa.Column("id", _BIG_ID, sa.Identity(), nullable=False))
        batch_op.create_primary_key("pk_identifiers", ["id"])
        batch_op.create_unique_constraint("uq_identifiers_record_id_kind_value", _KEY)


@contextlib.contextmanager
def _rebuilt_on_sqlite() -> Iterator[None]:
    """SQLite rebuilds the table (copy, drop, rename); the delete trigger on `source_records`
    names `identifiers`, and a rename checks triggers unless in legacy mode (the trigger reads
    the new table by its name once the rename is done)."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("PRAGMA legacy_alter_table = ON")
    try:
        yield
    finally:
        if sqlite:
            op.execute("PRAGMA legacy_alter_table = OFF")
