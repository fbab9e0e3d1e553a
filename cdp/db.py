"""Engines and units of work.

The web app uses an async engine (psycopg 3 async on PostgreSQL, aiosqlite on SQLite); batch
jobs (ingest, identity resolution, the CLI) use a sync engine, which is simplest and fastest
for bulk work. A unit of work owns its session:

    with unit_of_work(sessionmaker) as session:   # commits on success, rolls back on error
        ...
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any
from weakref import WeakKeyDictionary

import psycopg
from psycopg.pq import TransactionStatus
from sqlalchemy import Engine, Select, create_engine, event, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, sessionmaker

from cdp.config import Settings, mask_url
from cdp.errors import DatabaseError
from cdp.privacy.hashing import register_key

__all__ = [
    "check_database",
    "create_async_db_engine",
    "create_async_read_engine",
    "create_db_engine",
    "dispose_read_engine",
    "fetch_rows",
    "make_async_sessionmaker",
    "make_sessionmaker",
    "unit_of_work",
]

# The web app's pool, per server process. It is fixed (no overflow): an overflow connection is
# closed when it comes back while the pool is full, so a load above `pool_size` would open and
# close a PostgreSQL connection (a forked backend) per request. Requests beyond the pool wait
# for a connection instead, which on a small database host is also what serves them fastest.
ASYNC_POOL_SIZE = 10
ASYNC_POOL_TIMEOUT_SECONDS = 30.0


def create_db_engine(settings: Settings, **kwargs: Any) -> Engine:
    """A sync engine for batch jobs and the CLI."""
    url = settings.sync_url
    # Statement parameters hold personal data (emails, phones): keep them out of the
    # messages of database errors, which end up in logs.
    kwargs.setdefault("hide_parameters", True)
    if url.get_backend_name() == "sqlite":
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine)
    else:
        engine = create_engine(url, pool_pre_ping=True, **kwargs)
    register_key(engine, settings.privacy_key)  # the suppression list's key (cdp.privacy)
    return engine


def create_async_db_engine(settings: Settings, **kwargs: Any) -> AsyncEngine:
    """An async engine for the web app.

    No `pool_pre_ping`: it costs a round trip per checkout, doubling the round trips of a
    one-query request. A connection the server dropped (a restart) fails the one request that
    uses it; SQLAlchemy recognises the disconnect and discards every pooled connection, so the
    next requests reconnect.
    """
    url = settings.async_url
    kwargs.setdefault("hide_parameters", True)  # as in `create_db_engine`
    if url.get_backend_name() == "sqlite":
        engine = create_async_engine(url, **kwargs)
        _configure_sqlite(engine.sync_engine)
    else:
        kwargs.setdefault("pool_size", ASYNC_POOL_SIZE)
        kwargs.setdefault("max_overflow", 0)
        kwargs.setdefault("pool_timeout", ASYNC_POOL_TIMEOUT_SECONDS)
        engine = create_async_engine(url, **kwargs)
    register_key(engine.sync_engine, settings.privacy_key)  # the suppression list's key
    return engine


def create_async_read_engine(settings: Settings, engine: AsyncEngine) -> AsyncEngine:
    """An engine on autocommit connections beside `engine`, for reads of one statement.

    Such a read needs no snapshot, so it skips the BEGIN and ROLLBACK round trips of a
    transaction. On PostgreSQL it is a pool of its own whose connections are opened in
    autocommit mode: switching a pooled connection to autocommit at each checkout (the
    `isolation_level` execution option) and back at checkin costs more than the query itself.
    SQLite keeps one pool (a second engine on `:memory:` would be another database), switched.
    """
    if engine.dialect.name == "sqlite":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    read_engine = create_async_db_engine(settings, isolation_level="AUTOCOMMIT")
    _DIRECT[read_engine.sync_engine] = DirectReads(read_engine, ASYNC_POOL_SIZE)
    return read_engine


async def dispose_read_engine(read_engine: AsyncEngine) -> None:
    """Closes what `create_async_read_engine` opened: its pool and its direct connections."""
    direct = _DIRECT.pop(read_engine.sync_engine, None)
    if direct is not None:
        await direct.close()
    await read_engine.dispose()


async def fetch_rows(
    sessions: async_sessionmaker[AsyncSession], statement: Select[Any], params: Mapping[str, Any]
) -> Sequence[Sequence[Any]]:
    """The rows of a prebuilt Core `statement` (a read of one statement), values converted by
    the column types as SQLAlchemy converts them.

    On a read engine from `create_async_read_engine` on PostgreSQL this runs on its direct
    connections (`DirectReads`); anywhere else in a session from `sessions`.
    """
    bind = sessions.kw.get("bind")
    direct = _DIRECT.get(bind.sync_engine) if isinstance(bind, AsyncEngine) else None
    if direct is not None:
        return await direct.rows(statement, params)
    async with sessions() as session:
        result = await session.execute(statement, params)
        return list(result.all())


class DirectReads:
    """Hot one-statement reads on PostgreSQL without SQLAlchemy's execution machinery.

    A request that reads one row pays more for the road than for the query when it goes
    through an `AsyncSession`: the session, the greenlet that runs SQLAlchemy's sync core
    over the async driver, the ORM's compile state and result processing (about half of the
    CPU of a profile by identifier). Here the statement is still built and compiled by
    SQLAlchemy (once per statement, for the read engine's dialect), its parameters and
    results still pass through the column types' processors, but it runs on psycopg's
    natively async connection, prepared by the server after its first use.

    The connections (at most `size`, opened on demand, in autocommit mode: no snapshot is
    needed for one statement) belong to this object, not to SQLAlchemy's pool. One that is
    broken, or that a cancelled request (the request timeout) left in the middle of a
    command, is closed instead of reused.
    """

    def __init__(self, engine: AsyncEngine, size: int) -> None:
        self._dialect = engine.dialect
        self._conninfo = engine.url.set(drivername="postgresql").render_as_string(
            hide_password=False
        )
        self._size = size
        self._slots: asyncio.Semaphore | None = None
        self._idle: list[psycopg.AsyncConnection[Any]] = []
        self._compiled: dict[Select[Any], _Compiled] = {}

    async def rows(self, statement: Select[Any], params: Mapping[str, Any]) -> list[list[Any]]:
        compiled = self._compiled.get(statement)
        if compiled is None:
            compiled = self._compiled[statement] = _Compiled(statement, self._dialect)
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._size)
        async with self._slots:
            connection = self._idle.pop() if self._idle else await self._connect()
            try:
                cursor = await connection.execute(
                    compiled.sql, compiled.parameters(params), prepare=True
                )
                rows = await cursor.fetchall()
            finally:
                info = connection.info
                if connection.closed or info.transaction_status != TransactionStatus.IDLE:
                    await connection.close()
                else:
                    self._idle.append(connection)
        return [compiled.convert(row) for row in rows]

    async def _connect(self) -> psycopg.AsyncConnection[Any]:
        return await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True)

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            await connection.close()


class _Compiled:
    """A statement compiled once for a dialect: its SQL, default parameters, and the
    processors of its bound parameters and result columns."""

    def __init__(self, statement: Select[Any], dialect: Any) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        self.defaults = dict(compiled.params)
        self.binds = {
            name: processor
            for name, bind in compiled.binds.items()
            if (processor := bind.type.bind_processor(dialect)) is not None
        }
        self.results = [
            (index, processor)
            for index, column in enumerate(statement.selected_columns)
            if (processor := column.type.result_processor(dialect, None)) is not None
        ]

    def parameters(self, params: Mapping[str, Any]) -> dict[str, Any]:
        values = {**self.defaults, **params}
        for name, processor in self.binds.items():
            values[name] = processor(values[name])
        return values

    def convert(self, row: Sequence[Any]) -> list[Any]:
        values = list(row)
        for index, processor in self.results:
            values[index] = processor(values[index])
        return values


_DIRECT: WeakKeyDictionary[Engine, DirectReads] = WeakKeyDictionary()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def make_async_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit if the block succeeds, roll back if it raises."""
    with factory.begin() as session:
        yield session


def check_database(engine: Engine) -> None:
    """Raise `DatabaseError` with a one-line reason when the database cannot be reached."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        raise DatabaseError(
            f"cannot reach the database at {mask_url(str(engine.url))}: {reason}"
        ) from exc


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
