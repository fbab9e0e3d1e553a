"""The resolution lock: one writer of identity resolutions at a time, across processes.

Every resolution (`identity.resolve`, `identity.resolve_records`, and the callers that
resolve in batches: the server's background resolver, the ingest command's per-batch hook,
left-over records) takes it for the rest of its transaction before it reads the records it
resolves. Two writers that both saw a record unresolved would each create a profile for it;
with the lock the second one reads the first one's result instead. On PostgreSQL it is a
transaction-scoped advisory lock (taking it again in the same transaction is free); on SQLite
a write of nothing takes the database's write lock up front, waiting for another writer up to
the busy timeout, instead of at the first real write of a transaction whose reads went stale.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

__all__ = ["LOCK_KEY", "hold_resolution", "lock_statement"]

#: the advisory lock of resolution (PostgreSQL): "cdpresol" as a 64-bit integer
LOCK_KEY = int.from_bytes(b"cdpresol", "big")


def lock_statement(dialect: str, *, wait: bool = True) -> str:
    """The statement that takes the resolution lock until the transaction ends; on
    PostgreSQL without `wait` it answers whether it got the lock."""
    if dialect == "postgresql":
        name = "pg_advisory_xact_lock" if wait else "pg_try_advisory_xact_lock"
        return f"SELECT {name}({LOCK_KEY})"
    return "UPDATE source_records SET id = id WHERE 0"


def hold_resolution(session: Session, *, wait: bool = True) -> bool:
    """Take the resolution lock for the rest of the session's transaction; without `wait`,
    return False at once when another transaction holds it (PostgreSQL)."""
    dialect = session.get_bind().dialect.name
    result = session.execute(text(lock_statement(dialect, wait=wait)))
    if dialect == "postgresql" and not wait:
        return bool(result.scalar())
    return True
