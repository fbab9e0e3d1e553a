"""Group commit of pushes: the push requests of one source that arrive while a write is in
progress are written together, in one transaction and one write (`ingest.ingest_pushes`), and
each request is answered once that transaction has committed, with its own counts.

Storing one message costs about what storing fifty does (the same five statements and one
commit: measured 12-28 ms for one message, 20 ms for fifty, on PostgreSQL under load), so at a
few hundred pushes a second one transaction per request is what limits a server process. A
request that finds no write in progress is written at once (no added wait); requests that
arrive during a write wait for it to end and form the next group, up to `MOST_MESSAGES`.

Nothing is acknowledged before it is durable: a request's future is settled only after its
group's transaction commits. A group the database refuses (`REFUSED_BY_DATABASE`), or whose
outcome cannot be told per request (`SplitGroup`: a record held back), is rolled back and its
requests are written one by one as before (and a request the database refuses again, one
message per transaction), so one bad message never costs the others of its group.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cdp import models
from ingest import (
    REFUSED_BY_DATABASE,
    PushPart,
    PushResult,
    SourceRef,
    SplitGroup,
    get_adapter,
    ingest_push,
    ingest_pushes,
    push_refused,
)

__all__ = ["MOST_MESSAGES", "PushGroups", "WrongSource"]

log = logging.getLogger("cdp.push")
_REDO: tuple[type[BaseException], ...] = (SplitGroup, *REFUSED_BY_DATABASE)
#: the most messages one group takes (a request larger than this is a group of its own)
MOST_MESSAGES = 500


class WrongSource(Exception):
    """The key's source is gone, or reads with another adapter than the endpoint takes."""

    def __init__(self, found: str | None) -> None:
        super().__init__(found)
        self.found = found


@dataclass
class _Waiting:
    part: PushPart
    future: asyncio.Future[PushResult]


class PushGroups:
    """One per server process (on the event loop): `await push(...)` stores one request's
    messages, grouped with the other requests of its source that arrive meanwhile."""

    def __init__(
        self, factory: async_sessionmaker[AsyncSession], *, default_region: str = "US"
    ) -> None:
        self.factory = factory
        self.default_region = default_region
        self.groups = 0  # transactions written (for tests and the benchmark's notes)
        self._waiting: dict[tuple[int, str], list[_Waiting]] = {}
        self._writing: set[tuple[int, str]] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        # adapter classes by name: looking one up reads every installed package's entry points
        # (measured: about a tenth of a server process's event loop at 150 pushes/s)
        self._adapters: dict[str, type[Any]] = {}

    async def push(
        self,
        source_id: int,
        adapter_name: str,
        messages: Sequence[Any],
        where: str,
        received: datetime,
    ) -> PushResult:
        """Store these messages of `source_id` read by `adapter_name`; the result once they are
        committed. Raises `WrongSource`, `AdapterConfigError`, or the database's error."""
        key = (source_id, adapter_name)
        future: asyncio.Future[PushResult] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(key, []).append(
            _Waiting(PushPart(messages, where, received), future)
        )
        if key not in self._writing:
            self._writing.add(key)
            task = asyncio.get_running_loop().create_task(self._drain(key))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await future

    async def _drain(self, key: tuple[int, str]) -> None:
        try:
            while waiting := self._waiting.pop(key, None):
                taken: list[_Waiting] = []
                count = 0
                for item in waiting:
                    if taken and count + len(item.part.payloads) > MOST_MESSAGES:
                        break
                    taken.append(item)
                    count += len(item.part.payloads)
                if len(taken) < len(waiting):
                    self._waiting[key] = waiting[len(taken) :]
                await self._write(key, taken)
        finally:
            self._writing.discard(key)

    async def _write(self, key: tuple[int, str], taken: list[_Waiting]) -> None:
        source_id, adapter_name = key
        parts = [item.part for item in taken]
        try:
            if adapter_name not in self._adapters:
                self._adapters[adapter_name] = get_adapter(adapter_name)
            adapter = self._adapters[adapter_name]()
            results: list[PushResult | BaseException] = []
            source: SourceRef | None = None
            try:
                async with self.factory.begin() as session:
                    source = await _source(session, source_id, adapter_name)
                    results = list(
                        await session.run_sync(
                            lambda sync: ingest_pushes(
                                sync, adapter, source, parts, default_region=self.default_region
                            )
                        )
                    )
            except _REDO:
                if source is None:
                    raise
                results = [await self._alone(adapter, source, part, len(parts)) for part in parts]
            self.groups += 1
        except Exception as exc:  # noqa: BLE001 (every request of the group answers with it)
            results = [exc] * len(taken)
        for item, result in zip(taken, results, strict=True):
            if item.future.done():  # the request was cancelled (its client went away)
                continue
            if isinstance(result, BaseException):
                item.future.set_exception(result)
            else:
                item.future.set_result(result)

    async def _alone(
        self, adapter: Any, source: SourceRef, part: PushPart, group: int
    ) -> PushResult | BaseException:
        """One request of a refused group, in a transaction of its own (if it was alone, each
        of its messages in one)."""
        try:
            if group > 1:
                try:
                    return await self._store(adapter, source, part, part.payloads)
                except REFUSED_BY_DATABASE:
                    pass
            results = [
                await self._one(adapter, source, part, i, m) for i, m in enumerate(part.payloads)
            ]
            return _combined(results)
        except Exception as exc:  # noqa: BLE001 (this request answers with it, not the others)
            return exc

    async def _store(
        self,
        adapter: Any,
        source: SourceRef,
        part: PushPart,
        messages: Sequence[Any],
        offset: int = 0,
    ) -> PushResult:
        """`messages` of one request (from its message `offset`) in a transaction of their own."""
        async with self.factory.begin() as session:
            return await session.run_sync(
                lambda sync: ingest_push(
                    sync,
                    adapter,
                    source,
                    messages,
                    position=part.position,
                    default_region=self.default_region,
                    received_at=part.received_at,
                    offset=offset,
                )
            )

    async def _one(
        self, adapter: Any, source: SourceRef, part: PushPart, index: int, message: Any
    ) -> PushResult:
        try:
            return await self._store(adapter, source, part, [message], offset=index)
        except REFUSED_BY_DATABASE as exc:
            refusal: BaseException = exc
        position = f"{part.position}#{index}"
        log.warning("push: the database refused %s: %s", position, type(refusal).__name__)
        async with self.factory.begin() as session:
            return await session.run_sync(
                lambda sync: push_refused(sync, source, message, position, refusal)
            )


async def _source(session: AsyncSession, source_id: int, adapter_name: str) -> SourceRef:
    source = await session.scalar(select(models.Source).where(models.Source.id == source_id))
    if source is None or source.adapter != adapter_name:
        raise WrongSource(source.adapter if source else None)
    return SourceRef(id=source.id, name=source.name, channel=source.channel, adapter=source.adapter)


def _combined(results: Sequence[PushResult]) -> PushResult:
    return PushResult(
        accepted=sum(r.accepted for r in results),
        rejected=sum(r.rejected for r in results),
        stored=sum(r.stored for r in results),
        duplicates=sum(r.duplicates for r in results),
        record_ids=tuple(i for r in results for i in r.record_ids),
        errors=tuple(e for r in results for e in r.errors),
        suppressed=sum(r.suppressed for r in results),
    )
