"""segments: built-in flag and last refresh on `segments`; past memberships (`segment_exits`,
one row per stay that ended, with its entered and exited times); size history
(`segment_sizes`, one row per refresh)

`segment_memberships` keeps meaning "current members" (its `added_at` is the entered time), so
every reader of it stays right; a profile that leaves moves to `segment_exits`.

Revision ID: 20261207_segments
Revises: 20261207_ingest_q
Create Date: 2026-12-07 14:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


revision: str = "20261207_segments"
down_revision: str | Sequence[str] | None = "20261207_ingest_q"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("segments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("built_in", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "segment_exits",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("segment_id", BIG_ID, nullable=False),
        sa.Column("profile_id", sa.String(length=40), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("exited_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["segment_id"],
            ["segments.id"],
            name=op.f("fk_segment_exits_segment_id_segments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["profiles.id"],
            name=op.f("fk_segment_exits_profile_id_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segment_exits")),
    )
    with op.batch_alter_table("segment_exits", schema=None) as batch_op:
        batch_op.create_index(
            "ix_segment_exits_profile_id_exited_at", ["profile_id", "exited_at"], unique=False
        )
        batch_op.create_index(
            "ix_segment_exits_segment_id_exited_at", ["segment_id", "exited_at"], unique=False
        )
    op.create_table(
        "segment_sizes",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("segment_id", BIG_ID, nullable=False),
        sa.Column("measured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("entered", sa.Integer(), nullable=False),
        sa.Column("exited", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.CheckConstraint("scope IN ('all', 'touched')", name=op.f("ck_segment_sizes_scope")),
        sa.ForeignKeyConstraint(
            ["segment_id"],
            ["segments.id"],
            name=op.f("fk_segment_sizes_segment_id_segments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segment_sizes")),
    )
    with op.batch_alter_table("segment_sizes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_segment_sizes_segment_id_measured_at", ["segment_id", "measured_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("segment_sizes", schema=None) as batch_op:
        batch_op.drop_index("ix_segment_sizes_segment_id_measured_at")
    op.drop_table("segment_sizes")
    with op.batch_alter_table("segment_exits", schema=None) as batch_op:
        batch_op.drop_index("ix_segment_exits_segment_id_exited_at")
        batch_op.drop_index("ix_segment_exits_profile_id_exited_at")
    op.drop_table("segment_exits")
    with op.batch_alter_table("segments", schema=None) as batch_op:
        batch_op.drop_column("refreshed_at")
        batch_op.drop_column("built_in")
