"""Bulk writes of identifiers and facts (events, orders and items, interactions, feedback,
consents) for records just inserted or replaced; COPY on PostgreSQL, executemany on SQLite."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import psycopg
from sqlalchemy import ColumnElement, String, any_, bindparam, insert, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import QueryableAttribute, Session

from cdp import models
from cdp.types import utcnow
from ingest.codec import dumps
from ingest.observation import (
    ConsentFact,
    EventFact,
    FeedbackFact,
    InteractionFact,
    OrderFact,
)

if TYPE_CHECKING:
    from ingest.records import PreparedRecord
    from ingest.state import SourceRef

__all__ = ["among", "bulk_insert", "copy_connection", "write_facts", "write_identifiers"]

Write = tuple[int, "str | None", "PreparedRecord"]


def bulk_insert(
    session: Session, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """Insert plain rows: COPY on PostgreSQL, one executemany on SQLite.

    JSON columns take dicts/lists, or (COPY only) JSON text already encoded as `str`."""
    if not rows:
        return
    raw = copy_connection(session)
    if raw is not None:
        _copy_binary(raw, table, columns, rows)
        return
    target = models.Base.metadata.tables[table]
    session.execute(insert(target), [dict(zip(columns, row, strict=True)) for row in rows])


def _copy_binary(
    raw: psycopg.Connection[Any], table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """COPY in binary: psycopg's C dumpers write ints and times without formatting text, and
    the server reads them without parsing it. A JSON cell goes as jsonb's binary form, a
    version byte (1) then the JSON text (encoded by orjson unless already `str`): sent as a
    `text` cell holding "\\x01" + the JSON, so psycopg's C text dumper writes it (a `bytes`
    cell would go through its Python-level bytea dumper, about 1 us per cell)."""
    types, json_at = _binary_types(table, tuple(columns))
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)"
    with raw.cursor() as cursor, cursor.copy(sql) as copy:
        copy.set_types(types)
        write = copy.write_row
        if not json_at:
            for row in rows:
                write(row)
            return
        for row in rows:
            cells = list(row)
            for i in json_at:
                value = cells[i]
                if type(value) is str:
                    cells[i] = _JSONB_VERSION + value
                elif value == {}:  # most records' attributes, many events' properties
                    cells[i] = _JSONB_EMPTY
                elif value is not None:
                    cells[i] = _JSONB_VERSION + dumps(value)
            write(cells)


_JSONB_VERSION = "\x01"
_JSONB_EMPTY = _JSONB_VERSION + "{}"
# COPY types by the prefix of the column's PostgreSQL type; a JSON cell is sent as jsonb's
# binary form in a text cell (above).
_BINARY_TYPES = (
    ("BIGINT", "int8"),
    ("INTEGER", "int4"),
    ("VARCHAR", "text"),
    ("TEXT", "text"),
    ("TIMESTAMP", "timestamptz"),
    ("JSON", "text"),
    ("FLOAT", "float8"),
    ("DOUBLE", "float8"),
    ("BOOLEAN", "bool"),
)


@functools.cache
def _binary_types(table: str, columns: tuple[str, ...]) -> tuple[list[str], list[int]]:
    # The staging table of `store` mirrors `source_records`.
    known = models.Base.metadata.tables["source_records" if table.startswith("_") else table]
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    types: list[str] = []
    for name in columns:
        declared = str(known.c[name].type.compile(dialect=dialect))
        found = [copy for prefix, copy in _BINARY_TYPES if declared.startswith(prefix)]
        if not found:
            raise TypeError(f"no binary COPY type for {table}.{name} ({declared}): add it here")
        types.append(found[0])
        if declared.startswith("JSON") and declared != "JSONB":
            raise TypeError(f"{table}.{name} is {declared}: the COPY writes jsonb's binary form")
    return types, [i for i, name in enumerate(columns) if "JSON" in str(known.c[name].type)]


_IN_CHUNK = 900


def among(
    session: Session, column: QueryableAttribute[str], values: list[str]
) -> Iterator[ColumnElement[bool]]:
    """`column IN values` as one condition per statement to run. PostgreSQL takes the whole
    list as one array parameter (`= ANY`): a fixed statement text that psycopg prepares once,
    where thousands of IN placeholders are parsed and planned anew for every batch (measured:
    the orders look-up cost 1-5 ms of server CPU per batch so). SQLite caps the number of
    parameters of a statement, so it gets IN lists of at most 900."""
    if session.get_bind().dialect.name == "postgresql":
        yield column == any_(bindparam("values", values, type_=postgresql.ARRAY(String)))
        return
    for start in range(0, len(values), _IN_CHUNK):
        yield column.in_(values[start : start + _IN_CHUNK])


def copy_connection(session: Session) -> psycopg.Connection[Any] | None:
    """The psycopg connection to COPY through, or None (SQLite, or an async session)."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    raw = session.connection().connection.driver_connection
    return raw if isinstance(raw, psycopg.Connection) else None


def next_ids(session: Session, table: str, count: int) -> list[int]:
    """`count` fresh ids from `table`'s id sequence (PostgreSQL), in one round trip."""
    # The sequence is looked up once (a materialised CTE); in the select list it would be
    # looked up again for every id (measured: 3-4 us of server CPU per record).
    sql = (
        f"WITH s AS MATERIALIZED (SELECT pg_get_serial_sequence('{table}', 'id')::regclass AS seq) "
        "SELECT nextval(s.seq) FROM s, generate_series(1, %(n)s)"
    )
    raw = copy_connection(session)
    if raw is None:
        return [row[0] for row in session.connection().exec_driver_sql(sql, {"n": count})]
    # Straight from psycopg, which loads the rows in C: through SQLAlchemy's result each of
    # the thousands of rows costs a Python call or two.
    with raw.cursor(binary=True) as cursor:
        return [row[0] for row in cursor.execute(sql, {"n": count}).fetchall()]


def write_identifiers(session: Session, writes: Sequence[Write]) -> None:
    rows = [
        (record_id, kind, value, raw, profile_id, record.observation.occurred_at)
        for record_id, profile_id, record in writes
        for kind, value, raw in record.identifiers
    ]
    columns = ("record_id", "kind", "value", "raw_value", "profile_id", "seen_at")
    bulk_insert(session, "identifiers", columns, rows)


def write_facts(session: Session, source: SourceRef, writes: Sequence[Write]) -> None:
    now = utcnow()
    events: list[tuple[Any, ...]] = []
    interactions: list[tuple[Any, ...]] = []
    feedback: list[tuple[Any, ...]] = []
    consents: list[tuple[Any, ...]] = []
    orders: list[tuple[int, str | None, OrderFact]] = []
    for record_id, profile_id, record in writes:
        at = record.observation.occurred_at
        head = (record_id, source.id, profile_id, source.channel)
        for fact in record.observation.facts:
            if isinstance(fact, EventFact):
                props = fact.properties
                events.append((*head, fact.type, fact.name, fact.campaign_id, at, props))
            elif isinstance(fact, InteractionFact):
                props = fact.properties
                interactions.append((*head, fact.type, fact.text, fact.url, at, props))
            elif isinstance(fact, FeedbackFact):
                feedback.append((*head, *_feedback_cells(fact), at, now))
            elif isinstance(fact, ConsentFact):
                row = (record_id, source.id, profile_id, fact.channel or source.channel)
                consents.append((*row, fact.purpose, fact.status, fact.reason, at))
            elif isinstance(fact, OrderFact):
                orders.append((record_id, profile_id, fact))
    common = ("record_id", "source_id", "profile_id", "channel")
    bulk_insert(
        session,
        "events",
        (*common, "type", "name", "campaign_id", "occurred_at", "properties"),
        events,
    )
    bulk_insert(
        session,
        "interactions",
        (*common, "type", "text", "url", "occurred_at", "properties"),
        interactions,
    )
    bulk_insert(
        session,
        "feedback",
        (*common, *_FEEDBACK_COLUMNS, "occurred_at", "created_at"),
        feedback,
    )
    bulk_insert(
        session, "consents", (*common, "purpose", "status", "reason", "occurred_at"), consents
    )
    _write_orders(session, source, orders)


_FEEDBACK_COLUMNS = (
    "kind", "rating", "text", "sentiment", "topic", "nps", "csat", "product_ref", "order_ref",
)  # fmt: skip


def _feedback_cells(fact: FeedbackFact) -> tuple[Any, ...]:
    return (fact.kind, fact.rating, fact.text, fact.sentiment, fact.topic, fact.nps, fact.csat,
            fact.product_ref, fact.order_ref)  # fmt: skip


def _write_orders(
    session: Session, source: SourceRef, orders: list[tuple[int, str | None, OrderFact]]
) -> None:
    """Orders are unique per (source, order id): a second record naming the same order (a
    resent `Order Completed`) keeps the order already stored."""
    if not orders:
        return
    table = models.Order
    wanted = list({fact.external_id for _, _, fact in orders})
    taken: set[str] = set()
    for condition in among(session, table.external_id, wanted):
        query = select(table.external_id).where(table.source_id == source.id, condition)
        taken.update(session.scalars(query))
    rows: list[dict[str, Any]] = []
    items: dict[str, OrderFact] = {}
    for record_id, profile_id, fact in orders:
        if fact.external_id in taken or fact.external_id in items:
            continue
        items[fact.external_id] = fact
        rows.append(_order_row(source, record_id, profile_id, fact))
    if not rows:
        return
    if copy_connection(session) is not None:
        # The order keys were checked absent above in this transaction; ids come from the
        # sequence so COPY can carry them (orders are only written through this function).
        ids = next_ids(session, "orders", len(rows))
        columns = ("id", *rows[0])
        bulk_insert(
            session, "orders", columns, [(i, *r.values()) for i, r in zip(ids, rows, strict=True)]
        )
        result: Any = [(i, r["external_id"]) for i, r in zip(ids, rows, strict=True)]
    else:
        core = models.Base.metadata.tables["orders"]
        result = session.execute(
            insert(core).returning(core.c.id, core.c.external_id, sort_by_parameter_order=True),
            rows,
        )
    item_rows = [
        (order_id, i.sku, i.product_id, i.name, i.quantity, i.unit_price_minor, i.category)
        for order_id, external_id in result
        for i in items[external_id].items
    ]
    columns = ("order_id", "sku", "product_id", "name", "quantity", "unit_price_minor", "category")
    bulk_insert(session, "order_items", columns, item_rows)


def _order_row(
    source: SourceRef, record_id: int, profile_id: str | None, fact: OrderFact
) -> dict[str, Any]:
    return {
        "record_id": record_id,
        "source_id": source.id,
        "profile_id": profile_id,
        "external_id": fact.external_id,
        "channel": source.channel,
        "sales_channel": fact.sales_channel,
        "status": fact.status,
        "financial_status": fact.financial_status,
        "currency": fact.currency,
        "total_minor": fact.total_minor,
        "subtotal_minor": fact.subtotal_minor,
        "refunded_minor": fact.refunded_minor,
        "placed_at": fact.placed_at,
        "updated_at": fact.updated_at,
    }
