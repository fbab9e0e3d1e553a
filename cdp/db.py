"""Engines and units of work.

The web app uses an async engine (psycopg 3 async on PostgreSQL, aiosqlite on SQLite); batch
jobs (ingest, identity resolution, the CLI) use a sync engine, which is simplest and fastest
for bulk work. A unit of work owns its session:

    with unit_of_work(sessionmaker) as session:   # commits on success, rolls back on error
        ...
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
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

__all__ = [
    "check_database",
    "create_async_db_engine",
    "create_async_read_engine",
    "create_db_engine",
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
    if url.get_backend_name() == "sqlite":
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def create_async_db_engine(settings: Settings, **kwargs: Any) -> AsyncEngine:
    """An async engine for the web app.

    No `pool_pre_ping`: it costs a round trip per checkout, doubling the round trips of a
    one-query request. A connection the server dropped (a restart) fails the one request that
    uses it; SQLAlchemy recognises the disconnect and discards every pooled connection, so the
    next requests reconnect.
    """
    url = settings.async_url
    if url.get_backend_name() == "sqlite":
        engine = create_async_engine(url, **kwargs)
        _configure_sqlite(engine.sync_engine)
        return engine
    kwargs.setdefault("pool_size", ASYNC_POOL_SIZE)
    kwargs.setdefault("max_overflow", 0)
    kwargs.setdefault("pool_timeout", ASYNC_POOL_TIMEOUT_SECONDS)
    return create_async_engine(url, **kwargs)


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
    return create_async_db_engine(settings, isolation_level="AUTOCOMMIT")


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
