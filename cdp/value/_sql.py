"""The few expressions SQLite and PostgreSQL spell differently, chosen by dialect name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Float, Integer, String, any_, cast, func, literal
from sqlalchemy.dialects.postgresql import aggregate_order_by

from cdp.types import UTCDateTime

__all__ = ["Scope", "at", "days_between", "hour_of", "json_array_agg"]


def at(moment: datetime) -> ColumnElement[datetime]:
    """A bound timestamp stored the way the dialect stores `UTCDateTime` columns."""
    return literal(moment, UTCDateTime())


def days_between(dialect: str, later: Any, earlier: Any) -> ColumnElement[Any]:
    """Fractional days from `earlier` to `later`."""
    if dialect == "sqlite":
        return func.julianday(later) - func.julianday(earlier)
    return cast(func.extract("epoch", later - earlier), Float) / 86400.0


def hour_of(dialect: str, moment: Any) -> ColumnElement[int]:
    """The UTC hour of day, 0-23."""
    if dialect == "sqlite":
        return cast(func.strftime("%H", moment), Integer)
    return cast(func.extract("hour", func.timezone("UTC", moment)), Integer)


def json_array_agg(dialect: str, value: Any, order: Any) -> ColumnElement[Any]:
    """A JSON array of `value` per group in `order` (SQLite: the order of the rows fed in)."""
    if dialect == "sqlite":
        return func.json_group_array(value)
    return func.jsonb_agg(aggregate_order_by(value, order))


@dataclass(frozen=True)
class Scope:
    """Which profiles a statement covers: a list of ids, a range [lo, hi) of ids, or all."""

    ids: tuple[str, ...] | None = None
    lo: str | None = None
    hi: str | None = None
    #: PostgreSQL: one array parameter (`= ANY(:ids)`) instead of an IN list of thousands
    is_array: bool = False

    def on(self, column: Any) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if self.ids is not None and self.is_array:
            conditions.append(column == any_(literal(list(self.ids), ARRAY(String))))
        elif self.ids is not None:
            conditions.append(column.in_(list(self.ids)))
        if self.lo is not None:
            conditions.append(column >= self.lo)
        if self.hi is not None:
            conditions.append(column < self.hi)
        return conditions
