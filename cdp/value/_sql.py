"""The few expressions SQLite and PostgreSQL spell differently, chosen by dialect name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    cast,
    func,
    literal,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by

from cdp.types import UTCDateTime

__all__ = [
    "SCOPE_TABLE",
    "Scope",
    "analyze",
    "at",
    "days_between",
    "fill_scope",
    "hour_of",
    "json_array_agg",
    "materialise",
]


def at(moment: datetime) -> ColumnElement[datetime]:
    """A bound timestamp stored the way the dialect stores `UTCDateTime` columns."""
    return literal(moment, UTCDateTime())


def days_between(dialect: str, later: Any, earlier: Any) -> ColumnElement[Any]:
    """Fractional days from `earlier` to `later`."""
    if dialect == "sqlite":
        return func.julianday(later) - func.julianday(earlier)
    return cast(func.extract("epoch", later - earlier), Float) / 86400.0


def day_of(dialect: str, moment: Any) -> ColumnElement[Any]:
    """The UTC calendar day (a date on PostgreSQL, `YYYY-MM-DD` text on SQLite)."""
    if dialect == "sqlite":
        return func.date(moment)
    return func.date(func.timezone("UTC", moment))


def days_from(dialect: str, later_day: Any, earlier_day: Any) -> ColumnElement[Any]:
    """Whole days between two `day_of` values."""
    if dialect == "sqlite":
        return func.julianday(later_day) - func.julianday(earlier_day)
    return cast(later_day - earlier_day, Float)


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


SCOPE_TABLE = Table(
    "_value_scope",
    MetaData(),
    Column("profile_id", String(40), primary_key=True),
    prefixes=["TEMPORARY"],
)


def fill_scope(session: Any, ids: list[str]) -> None:
    """Put `ids` in this connection's scope table (made on first use, emptied first)."""
    connection = session.connection()
    SCOPE_TABLE.create(connection, checkfirst=True)
    session.execute(SCOPE_TABLE.delete())
    for start in range(0, len(ids), 5_000):
        session.execute(
            SCOPE_TABLE.insert(), [{"profile_id": i} for i in ids[start : start + 5_000]]
        )
    analyze(session, SCOPE_TABLE.name, "profile_id")


def analyze(session: Any, table: str, *columns: str) -> None:
    """Fresh statistics for a temporary table the next statements join (PostgreSQL): its
    size, and the distribution of the columns they join or filter on (only those: every
    column of a wide table cost up to 0.3 s a table under load, at 10k rows)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"ANALYZE {table} ({', '.join(columns)})"))


_MATERIALISED: dict[str, Table] = {}


def materialise(session: Any, name: str | Table, query: Any) -> Table:
    """Fill this connection's temporary table `name` (made on first use with the query's
    columns and types, the first, `profile_id` or another key, its primary key; emptied first)
    with the rows of `query`, one per key, and return it.

    Why: joined as subqueries, these per-profile aggregates left PostgreSQL with row estimates
    of 1 whenever the fact tables' statistics lagged behind their contents (every ingest into
    a young database), and it chose nested loops that ran each aggregate once per profile
    (18 s for 313 profiles). A temporary table with a primary key and fresh statistics makes
    every join one index probe or one hash, whatever the estimates."""
    if isinstance(name, Table):  # declared by the caller
        _MATERIALISED.setdefault(name.name, name)
        name = name.name
    table = _MATERIALISED.get(name)
    if table is None:
        columns = [
            Column(c.name, c.type, primary_key=n == 0) for n, c in enumerate(query.selected_columns)
        ]
        table = Table(name, MetaData(), *columns, prefixes=["TEMPORARY"])
        _MATERIALISED[name] = table
    connection = session.connection()
    table.create(connection, checkfirst=True)
    session.execute(table.delete())
    session.execute(table.insert().from_select([c.name for c in table.columns], query))
    analyze(session, name, table.columns[0].name)
    return table


@dataclass(frozen=True)
class Scope:
    """Which profiles a statement covers: a list of ids, a range [lo, hi) of ids, or all."""

    ids: tuple[str, ...] | None = None
    lo: str | None = None
    hi: str | None = None
    #: the ids are in the session's `SCOPE_TABLE` (a refresh): a semi-join the planner can
    #: hash, where `= ANY(array)` compared each row with every id (10k ids: 11 s)
    is_table: bool = False

    def on(self, column: Any) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if self.is_table:
            conditions.append(column.in_(select(SCOPE_TABLE.c.profile_id)))
        elif self.ids is not None:
            conditions.append(column.in_(list(self.ids)))
        if self.lo is not None:
            conditions.append(column >= self.lo)
        if self.hi is not None:
            conditions.append(column < self.hi)
        return conditions
