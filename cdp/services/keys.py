"""API keys and write keys: one machinery for both.

A key looks like `cdp_<prefix>_<secret>`. Only the prefix (for look-up) and a SHA-256 hash of
the whole key are stored; the key itself is shown once, when created. Roles:

- `admin`, `app`, `analyst`: GraphQL API keys (see the GraphQL layer for what each may do);
- `write`: a push key bound to one source, accepted only by that source's push endpoints.

The GraphQL API authenticates through a `KeyCache`, one per server process: a key that was
valid is trusted for `KEY_CACHE_SECONDS` without a query, so a revoked key (revoked with
`cdp keys revoke`, from any process) is refused by every server within that many seconds.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from cdp import models
from cdp.errors import CdpError, NotFoundError
from cdp.types import utcnow

__all__ = [
    "API_ROLES",
    "KEY_CACHE_SECONDS",
    "ROLES",
    "CreatedKey",
    "Grant",
    "InvalidKeyError",
    "KeyCache",
    "KeyInfo",
    "authenticate",
    "authenticate_async",
    "create_key",
    "list_keys",
    "revoke_key",
]

API_ROLES = ("admin", "app", "analyst")
ROLES = (*API_ROLES, "write")
_PREFIX_BYTES = 6
_SECRET_BYTES = 24
log = logging.getLogger("cdp.keys")

KEY_CACHE_SECONDS = 5.0
_KEY_CACHE_SIZE = 1024


class InvalidKeyError(CdpError):
    """A key is malformed, unknown, revoked, or not valid for what it was used for."""


@dataclass(frozen=True)
class CreatedKey:
    id: int
    name: str
    role: str
    source: str | None
    key: str


@dataclass(frozen=True)
class KeyInfo:
    id: int
    prefix: str
    name: str
    role: str
    source: str | None
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _split(key: str) -> str:
    parts = key.strip().split("_")
    if len(parts) != 3 or parts[0] != "cdp" or not parts[1] or not parts[2]:
        raise InvalidKeyError("malformed key; expected 'cdp_<prefix>_<secret>'")
    return parts[1]


def create_key(
    session: Session, *, role: str, name: str, source_name: str | None = None
) -> CreatedKey:
    """Create a key; `source_name` is required for (and only for) the `write` role."""
    if role not in ROLES:
        raise CdpError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    source_id = None
    if role == "write":
        if source_name is None:
            raise CdpError("a write key belongs to one source; name it with --source")
        source = session.scalar(select(models.Source).where(models.Source.name == source_name))
        if source is None:
            raise NotFoundError("source", source_name)
        source_id = source.id
    elif source_name is not None:
        raise CdpError(f"role {role!r} keys are not bound to a source; drop --source")
    prefix = secrets.token_hex(_PREFIX_BYTES)
    key = f"cdp_{prefix}_{secrets.token_urlsafe(_SECRET_BYTES).replace('_', '-')}"
    row = models.ApiKey(
        prefix=prefix, key_hash=_hash(key), name=name, role=role, source_id=source_id
    )
    session.add(row)
    session.flush()
    return CreatedKey(id=row.id, name=name, role=role, source=source_name, key=key)


def list_keys(session: Session) -> list[KeyInfo]:
    rows = session.execute(
        select(models.ApiKey, models.Source.name)
        .outerjoin(models.Source, models.Source.id == models.ApiKey.source_id)
        .order_by(models.ApiKey.id)
    ).all()
    return [
        KeyInfo(
            id=key.id,
            prefix=key.prefix,
            name=key.name,
            role=key.role,
            source=source_name,
            created_at=key.created_at,
            revoked_at=key.revoked_at,
            last_used_at=key.last_used_at,
        )
        for key, source_name in rows
    ]


def revoke_key(session: Session, key_id_or_prefix: str) -> KeyInfo:
    condition = (
        models.ApiKey.id == int(key_id_or_prefix)
        if key_id_or_prefix.isdigit()
        else models.ApiKey.prefix == key_id_or_prefix
    )
    row = session.scalar(select(models.ApiKey).where(condition))
    if row is None:
        raise NotFoundError("API key", key_id_or_prefix)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    session.flush()
    return next(info for info in list_keys(session) if info.id == row.id)


def _check(row: models.ApiKey | None, key: str) -> models.ApiKey:
    if row is None or not hmac.compare_digest(row.key_hash, _hash(key.strip())):
        raise InvalidKeyError("unknown key")
    if row.revoked_at is not None:
        raise InvalidKeyError(f"key {row.prefix} was revoked")
    return row


def authenticate(session: Session, key: str) -> models.ApiKey:
    """The stored key row for `key`; raises `InvalidKeyError` when it is not valid."""
    prefix = _split(key)
    return _check(session.scalar(select(models.ApiKey).where(models.ApiKey.prefix == prefix)), key)


async def authenticate_async(session: AsyncSession, key: str) -> models.ApiKey:
    prefix = _split(key)
    row = await session.scalar(select(models.ApiKey).where(models.ApiKey.prefix == prefix))
    return _check(row, key)


@dataclass(frozen=True)
class Grant:
    """What a valid key allows: its role (and source, for a write key) and its public prefix."""

    key_id: int
    prefix: str
    role: str
    source_id: int | None


class KeyCache:
    """Valid keys of the last `ttl` seconds, by the hash of the key: one process's memory.

    A hit costs a SHA-256 and a dict look-up instead of a query. Only valid keys are kept (at
    most `size`, the oldest dropped first), so a key created meanwhile works at once, a bad key
    is checked against the database every time, and a revoked key is refused once its entry,
    at most `ttl` seconds old, expires.

    Concurrent requests with the same key that miss share one check: when an entry expires
    under load, every request in flight would otherwise query at once and take the whole
    connection pool (a stall of tens to hundreds of milliseconds every `ttl` seconds). And a
    key in use is checked again before its entry expires: a request in the last `refresh`
    seconds of an entry starts the check in the background and is answered from the entry,
    so a busy key never makes its requests wait for the check (they had paused every `ttl`
    seconds). The entry then starts again from that check, or is dropped when it fails the
    check (revoked meanwhile), so no grant is ever older than `ttl`.
    """

    def __init__(
        self,
        ttl: float = KEY_CACHE_SECONDS,
        *,
        size: int = _KEY_CACHE_SIZE,
        refresh: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.size = size
        self.refresh = ttl / 5 if refresh is None else refresh
        self._clock = clock
        self._grants: dict[str, tuple[float, Grant]] = {}
        self._checking: dict[str, asyncio.Future[Grant]] = {}
        self._refreshing: set[asyncio.Task[None]] = set()

    async def authenticate(self, sessions: async_sessionmaker[AsyncSession], key: str) -> Grant:
        """The grant of `key`; raises `InvalidKeyError` when it is malformed, unknown or revoked."""
        digest = _hash(key.strip())
        while True:
            cached = self._grants.get(digest)
            if cached is not None:
                left = cached[0] - self._clock()
                if left > 0:
                    if left <= self.refresh and digest not in self._checking:
                        self._refresh(sessions, key, digest)
                    return cached[1]
            checking = self._checking.get(digest)
            if checking is None:
                break
            try:
                return await asyncio.shield(checking)
            except asyncio.CancelledError:
                if not checking.cancelled():
                    raise  # this request was cancelled
                # the request making the check was cancelled: look (and check) again
        return await self._run_check(self._start_check(digest), sessions, key, digest)

    def _start_check(self, digest: str) -> asyncio.Future[Grant]:
        """The future that requests arriving during a check of `digest` wait on."""
        checking = self._checking[digest] = asyncio.get_running_loop().create_future()
        return checking

    async def _run_check(
        self,
        checking: asyncio.Future[Grant],
        sessions: async_sessionmaker[AsyncSession],
        key: str,
        digest: str,
    ) -> Grant:
        """Check `key`, settle `checking` with the outcome and return or raise it; a key the
        check refuses loses its entry."""
        try:
            grant = await self._check(sessions, key, digest)
        except asyncio.CancelledError:
            checking.cancel()
            raise
        except Exception as error:
            if isinstance(error, InvalidKeyError):
                self._grants.pop(digest, None)
            checking.set_exception(error)
            checking.exception()  # marked as retrieved: the waiters, if any, raise it
            raise
        else:
            checking.set_result(grant)
            return grant
        finally:
            del self._checking[digest]

    def _refresh(self, sessions: async_sessionmaker[AsyncSession], key: str, digest: str) -> None:
        """Check `key` again in the background; requests meanwhile share this check once its
        entry expires. When the check itself fails (the database is unreachable), the entry
        stays until it expires."""
        checking = self._start_check(digest)

        async def run() -> None:
            try:
                await self._run_check(checking, sessions, key, digest)
            except InvalidKeyError:
                pass  # the entry is gone: the next request is refused
            except Exception as error:  # noqa: BLE001 (the entry stays; waiters raise it)
                log.warning("checking key %s again failed: %s", key.strip().split("_")[1], error)

        task = asyncio.get_running_loop().create_task(run())
        self._refreshing.add(task)
        task.add_done_callback(self._refreshing.discard)

    async def _check(
        self, sessions: async_sessionmaker[AsyncSession], key: str, digest: str
    ) -> Grant:
        now = self._clock()
        async with sessions() as session:
            row = await authenticate_async(session, key)
        grant = Grant(key_id=row.id, prefix=row.prefix, role=row.role, source_id=row.source_id)
        self._grants.pop(digest, None)
        if len(self._grants) >= self.size:
            del self._grants[next(iter(self._grants))]
        self._grants[digest] = (now + self.ttl, grant)
        return grant

    def clear(self) -> None:
        """Forget every key (the next use of each is checked against the database)."""
        self._grants.clear()
