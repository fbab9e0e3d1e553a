"""Live changes for GraphQL subscriptions: a profile changed, a profile entered or left a
segment.

Publishing happens in the transaction that made the change and reaches subscribers only if
it commits: on PostgreSQL as `NOTIFY cdp_live`, each notification a JSON array of changes
under PostgreSQL's 8,000-byte limit, all sent by one statement (PostgreSQL delivers them at
commit, to every process listening: each `cdp serve` worker, whichever process made the
change); on SQLite,
where everything runs in one server process, by handing the changes to this process's hubs
once the session commits. A `Hub` (one per server process) fans them out to the
subscriptions of that process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import weakref
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

import psycopg
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from cdp.config import Settings

__all__ = ["CHANNEL", "MAX_PAYLOAD", "Hub", "LiveChange", "listen_conninfo", "payloads", "publish"]

log = logging.getLogger("cdp.activation.live")
CHANNEL = "cdp_live"
_PENDING = "cdp.activation.live.pending"
_HUBS: weakref.WeakSet[Hub] = weakref.WeakSet()
_HUBS_LOCK = threading.Lock()


@dataclass(frozen=True)
class LiveChange:
    """`profile.changed`, `segment.entered` or `segment.exited`; `at` is ISO 8601."""

    topic: str
    profile_id: str
    at: str
    segment: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str) -> LiveChange:
        data = json.loads(raw)
        return cls(data["topic"], data["profile_id"], data["at"], data.get("segment"))

    @classmethod
    def from_payload(cls, raw: str) -> list[LiveChange]:
        """The changes of one notification: a JSON array of them (`payloads`), or one."""
        data = json.loads(raw)
        items = data if isinstance(data, list) else [data]
        return [cls(d["topic"], d["profile_id"], d["at"], d.get("segment")) for d in items]


#: PostgreSQL refuses a notification payload of 8,000 bytes or more
MAX_PAYLOAD = 7_900


def payloads(changes: Iterable[LiveChange]) -> list[str]:
    """The changes as JSON arrays of at most `MAX_PAYLOAD` bytes each, in order: one
    notification carries many changes (a refresh of 10k profiles made 10k notifications)."""
    found: list[str] = []
    part: list[str] = []
    size = 2
    for change in changes:
        item = change.to_json()  # ASCII (json.dumps escapes the rest): bytes == characters
        if part and size + len(item) + 1 > MAX_PAYLOAD:
            found.append("[" + ",".join(part) + "]")
            part, size = [], 2
        part.append(item)
        size += len(item) + 1
    if part:
        found.append("[" + ",".join(part) + "]")
    return found


def publish(session: Session, changes: Iterable[LiveChange]) -> None:
    """Publish when (and if) this session's transaction commits."""
    found = list(changes)
    if not found:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_notify(:channel, p) FROM unnest(CAST(:payloads AS text[])) AS p"),
            {"channel": CHANNEL, "payloads": payloads(found)},
        )
        return
    pending: list[LiveChange] | None = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = []
        event.listen(session, "after_commit", _deliver_local, once=True)
        event.listen(session, "after_rollback", _forget, once=True)
    pending.extend(found)


def _deliver_local(session: Session) -> None:
    changes = session.info.pop(_PENDING, [])
    with _HUBS_LOCK:
        hubs = list(_HUBS)
    for hub in hubs:
        hub.publish(changes)


def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)


@dataclass(eq=False)
class _Subscriber:
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[LiveChange]
    wants: Callable[[LiveChange], bool]


class Hub:
    """The subscriptions of one process, and (on PostgreSQL) its LISTEN connection."""

    def __init__(self) -> None:
        self._subscribers: set[_Subscriber] = set()
        self._lock = threading.Lock()
        self._listener: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()
        with _HUBS_LOCK:
            _HUBS.add(self)

    def publish(self, changes: Iterable[LiveChange]) -> None:
        """Hand changes to the matching subscribers (from any thread)."""
        with self._lock:
            subscribers = list(self._subscribers)
        for change in changes:
            for subscriber in subscribers:
                if subscriber.wants(change):
                    subscriber.loop.call_soon_threadsafe(subscriber.queue.put_nowait, change)

    async def subscribe(self, wants: Callable[[LiveChange], bool]) -> AsyncIterator[LiveChange]:
        """The changes `wants` accepts, from now until the caller stops iterating."""
        subscriber = _Subscriber(asyncio.get_running_loop(), asyncio.Queue(), wants)
        with self._lock:
            self._subscribers.add(subscriber)
        try:
            while True:
                yield await subscriber.queue.get()
        finally:
            with self._lock:
                self._subscribers.discard(subscriber)

    @property
    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._subscribers)

    def start_listening(self, conninfo: str) -> None:
        """On PostgreSQL: LISTEN in a task of the running loop (reconnecting after a loss)."""
        self._listener = asyncio.get_running_loop().create_task(self._listen(conninfo))

    async def _listen(self, conninfo: str) -> None:
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    conninfo, autocommit=True
                ) as connection:
                    await connection.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    async for notice in connection.notifies():
                        self.publish(LiveChange.from_payload(notice.payload))
            except asyncio.CancelledError:
                raise
            except (psycopg.Error, OSError, ValueError, KeyError) as exc:
                self.listening.clear()
                log.warning("live changes: LISTEN connection lost (%s); reconnecting in 1s", exc)
                await asyncio.sleep(1.0)

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        with _HUBS_LOCK:
            _HUBS.discard(self)


def hub_stats(hub: Hub) -> dict[str, Any]:
    return {"subscribers": hub.subscriber_count, "listening": hub.listening.is_set()}


def listen_conninfo(settings: Settings) -> str:
    """A psycopg connection string for the database of `settings` (PostgreSQL)."""
    return settings.sync_url.set(drivername="postgresql").render_as_string(hide_password=False)
