"""ingest: identifiers and events without a per-row foreign key to their record

PostgreSQL checks a foreign key row by row (a query per inserted row); for web ingest those
checks on `identifiers.record_id` and `events.record_id` were about a third of the server's
CPU per event. Ingest, their only writer, inserts them with their record in one transaction.
What `ON DELETE CASCADE` did is kept by a trigger: deleting records deletes their
identifiers and events (one statement-level trigger on PostgreSQL, a row trigger on SQLite).

Revision ID: 0003_ingest
Revises: 0002_ingest
Create Date: 2026-11-22 16:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003_ingest"
down_revision: str | Sequence[str] | None = "0002_ingest"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHILDREN = ("identifiers", "events")
_TRIGGER = "trg_source_records_delete_children"

_PG_FUNCTION = f"""
CREATE FUNCTION {_TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM identifiers WHERE record_id IN (SELECT id FROM gone);
    DELETE FROM events WHERE record_id IN (SELECT id FROM gone);
    RETURN NULL;
END
$$
"""
_PG_TRIGGER = f"""
CREATE TRIGGER {_TRIGGER} AFTER DELETE ON source_records
REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION {_TRIGGER}()
"""
_SQLITE_TRIGGER = f"""
CREATE TRIGGER {_TRIGGER} AFTER DELETE ON source_records FOR EACH ROW BEGIN
    DELETE FROM identifiers WHERE record_id = OLD.id;
    DELETE FROM events WHERE record_id = OLD.id;
END
"""


def upgrade() -> None:
    for table in _CHILDREN:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"fk_{table}_record_id_source_records", type_="foreignkey")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(_PG_TRIGGER)
    else:
        op.execute(_SQLITE_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER {_TRIGGER} ON source_records")
        op.execute(f"DROP FUNCTION {_TRIGGER}()")
    else:
        op.execute(f"DROP TRIGGER {_TRIGGER}")
    for table in _CHILDREN:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_foreign_key(
                f"fk_{table}_record_id_source_records",
                "source_records",
                ["record_id"],
                ["id"],
                ondelete="CASCADE",
            )
