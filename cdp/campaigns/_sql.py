"""Dialect helpers shared by the campaign figures: days as 'YYYY-MM-DD' (UTC) and time windows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, literal, text
from sqlalchemy.orm import Session

__all__ = ["day_of", "dialect_of", "within_days"]


def dialect_of(session: Session) -> str:
    return session.get_bind().dialect.name


def day_of(dialect: str, at: Any) -> ColumnElement[Any]:
    """The UTC day of a timestamp as 'YYYY-MM-DD'."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", at), "YYYY-MM-DD")
    return func.date(at)


def within_days(dialect: str, start: Any, at: Any, days: int) -> ColumnElement[bool]:
    """`start < at <= start + days`: `at` happened after `start`, at most `days` days later."""
    if dialect == "postgresql":
        later_pg: ColumnElement[bool] = (at > start) & (
            at <= start + literal(days) * text("interval '1 day'")
        )
        return later_pg
    # SQLite stores timestamps as text; julian day numbers compare as time does
    later = func.julianday(at)
    first = func.julianday(start)
    return (later > first) & (later <= first + literal(float(days)))
