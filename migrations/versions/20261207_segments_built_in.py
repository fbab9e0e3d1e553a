"""segments: the built-in segments, present out of the box: the eleven standard RFM segments
(`profile_traits.rfm_segment`, computed by `cdp.value.rfm`) and the three value tiers
(`profile_traits.value_tier`). They are refreshed like any other and cannot be edited.

Revision ID: 20261207_segments_built_in
Revises: 20261207_value
Create Date: 2026-12-07 14:40:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "20261207_segments_built_in"
down_revision: str | Sequence[str] | None = "20261207_value"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (stored trait value, label, description) as `cdp.value.rfm.RFM_SEGMENTS` has them (a test
#: checks that they agree)
RFM = (
    ("champions", "Champions", "Bought recently, buy often, spend most."),
    ("loyal_customers", "Loyal customers", "Spend well and often, fairly recently."),
    (
        "potential_loyalists",
        "Potential loyalists",
        "Recent customers with average frequency and spend.",
    ),
    ("new_customers", "New customers", "Bought very recently, once."),
    ("promising", "Promising", "Recent shoppers who have not spent much."),
    ("need_attention", "Need attention", "Middling recency, frequency, spend."),
    ("about_to_sleep", "About to sleep", "Below average; will be lost if ignored."),
    ("cant_lose_them", "Can't lose them", "Bought most and most often, but long ago."),
    ("at_risk", "At risk", "Spent and bought often, long ago."),
    ("hibernating", "Hibernating", "Last order long ago, low spend."),
    ("lost", "Lost", "Lowest recency, frequency and spend."),
)
TIERS = (
    ("high", "Value tier: high", "Customers in the high value tier (configurable rule)."),
    ("medium", "Value tier: medium", "Customers in the medium value tier."),
    ("low", "Value tier: low", "Customers in the low value tier."),
)


def built_in_rows() -> list[dict[str, object]]:
    now = datetime(2026, 12, 7, tzinfo=UTC)
    rows: list[dict[str, object]] = []
    for trait, items, prefix in (("rfmSegment", RFM, "RFM: "), ("valueTier", TIERS, "")):
        for value, label, description in items:
            condition = {"trait": {"name": trait, "op": "eq", "value": value}}
            rows.append(
                {
                    "name": f"{prefix}{label}",
                    "description": description,
                    "definition": {"conditions": [condition]},
                    "built_in": True,
                    "created_at": now,
                    "updated_at": now,
                }
            )
    return rows


def _table() -> sa.TableClause:
    json_type = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    return sa.table(
        "segments",
        sa.column("name", sa.String),
        sa.column("description", sa.Text),
        sa.column("definition", json_type),
        sa.column("built_in", sa.Boolean),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )


def upgrade() -> None:
    op.bulk_insert(_table(), built_in_rows())


def downgrade() -> None:
    names = [str(row["name"]) for row in built_in_rows()]
    op.execute(sa.delete(_table()).where(sa.column("name").in_(names), sa.column("built_in")))
