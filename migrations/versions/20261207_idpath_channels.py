"""sources: any channel name (built-in `web`, `social`, `email`, `store`, `crm`, or one declared
in cdp.toml); ingest checks the name against the built-in and declared channels

Revision ID: 20261207_idpath
Revises: 20261207_feedback
Create Date: 2026-12-07 04:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "20261207_idpath"
down_revision: str | Sequence[str] | None = "20261207_feedback"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NAME = "ck_sources_channel"
_BUILT_IN = "channel IN ('web', 'social', 'email', 'store')"
_ANY = "channel <> ''"


def upgrade() -> None:
    _replace_check(_BUILT_IN, _ANY)


def downgrade() -> None:
    _replace_check(_ANY, _BUILT_IN)


def _replace_check(old: str, new: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        _replace_check_sqlite(old, new)
        return
    op.drop_constraint(op.f(_NAME), "sources", type_="check")
    op.create_check_constraint(op.f(_NAME), "sources", new)


def _replace_check_sqlite(old: str, new: str) -> None:
    """SQLite cannot alter a constraint, and rebuilding `sources` (what batch mode does) fails
    once other tables' rows refer to it (foreign keys are on): the table's stored definition
    is edited instead, the procedure SQLite documents for changing a CHECK constraint
    (https://www.sqlite.org/lang_altertable.html, "making other kinds of table schema
    changes"), in the migration's transaction."""
    bind = op.get_bind()
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'sources'"
    ).scalar_one()
    changed = sql.replace(f"CHECK ({old})", f"CHECK ({new})")
    if changed == sql:
        raise RuntimeError(f"sources has no constraint CHECK ({old}): {sql}")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'sources'", (changed,)
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")
