"""The activation worker: fan the outbox out to deliveries, then send what is due.

`cdp worker` runs it in its own process; `cdp serve` runs it in a thread of each server
process when `Settings.runs_embedded_worker` (the default on SQLite). Several workers may run
at once: claims lease rows (`cdp.activation.deliver`), fan-out is idempotent.

It sleeps when there is nothing to do: on PostgreSQL until a `NOTIFY cdp_outbox` (sent when
a transaction that wrote the outbox commits) or `poll` seconds; on SQLite `poll` seconds
(0.1 by default: one look-up on a partial index). The rate limit is a token bucket per
destination in each worker process.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import psycopg
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from cdp.activation._sender import Sender
from cdp.activation.deliver import HEARTBEAT, LEASE, claim, extend_leases, record_outcomes
from cdp.activation.dispatch import OutboxHook, dispatch
from cdp.activation.flow_spec import ActivationSettings
from cdp.activation.flows import FlowRunner
from cdp.activation.outbox import CHANNEL
from cdp.activation.senders import ClientFactory, default_client, sender_for
from cdp.db import unit_of_work
from cdp.errors import ConfigError
from cdp.types import utcnow

__all__ = ["TickReport", "Worker", "default_poll"]

log = logging.getLogger("cdp.activation")
SEND_BATCH = 100
MAX_ROUNDS = 50  # of flow advances and dispatches per tick, before sending


def default_poll(engine: Engine) -> float:
    return 1.0 if engine.dialect.name == "postgresql" else 0.1


@dataclass
class TickReport:
    dispatched: int = 0
    flow_runs: int = 0
    sent: dict[str, int] = field(default_factory=dict)

    @property
    def is_idle(self) -> bool:
        return not self.dispatched and not self.sent and not self.flow_runs


@dataclass
class _Bucket:
    rate: float
    tokens: float
    at: float

    def available(self, now: float) -> int:
        self.tokens = min(max(self.rate, 1.0), self.tokens + (now - self.at) * self.rate)
        self.at = now
        return int(self.tokens)


class Worker:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        environ: Mapping[str, str],
        *,
        client_factory: ClientFactory = default_client,
        hooks: Sequence[OutboxHook] = (),
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
        flows: FlowRunner | None = None,
        lease: timedelta = LEASE,
        heartbeat: float = HEARTBEAT,
    ) -> None:
        self.sessions = sessions
        self.lease = lease
        self.heartbeat = heartbeat
        self.environ = environ
        self.client_factory = client_factory
        self.flows = flows or FlowRunner(ActivationSettings())
        self.hooks = [*hooks, self.flows.on_dispatch]
        self.rng = rng or random.Random()
        self.clock = clock
        self._senders: dict[int, tuple[Any, Sender]] = {}
        self._buckets: dict[int, _Bucket] = {}
        self._broken: dict[int, str] = {}

    def tick(self) -> TickReport:
        """Advance due flow runs, dispatch every pending outbox entry (which may start runs,
        and advance them at once), then send one batch per destination."""
        report = TickReport()
        for _ in range(MAX_ROUNDS):
            with unit_of_work(self.sessions) as session:
                moved = self.flows.advance(session)
            report.flow_runs += moved
            with unit_of_work(self.sessions) as session:
                taken = dispatch(session, hooks=self.hooks)
            report.dispatched += taken
            if not moved and not taken:
                break
        with self.sessions() as session:
            destinations = list(
                session.scalars(
                    select(models.Destination).where(models.Destination.enabled.is_(True))
                )
            )
        for destination in destinations:
            for status, count in self._deliver(destination).items():
                report.sent[status] = report.sent.get(status, 0) + count
        return report

    def _sender(self, destination: models.Destination) -> Sender | None:
        version = (
            destination.kind,
            destination.config,
            destination.purpose,
            destination.updated_at,
        )
        cached = self._senders.get(destination.id)
        if cached is not None and cached[0] == version:
            return cached[1]
        if cached is not None:
            cached[1].close()
        try:
            sender = sender_for(destination, self.environ, self.client_factory)
        except ConfigError as exc:
            if self._broken.get(destination.id) != str(exc):
                log.error("destination %s cannot send: %s", destination.name, exc)
            self._broken[destination.id] = str(exc)
            return None
        self._broken.pop(destination.id, None)
        self._senders[destination.id] = (version, sender)
        return sender

    def _deliver(self, destination: models.Destination) -> dict[str, int]:
        sender = self._sender(destination)
        if sender is None:
            return {}
        bucket = self._buckets.get(destination.id)
        if bucket is None or bucket.rate != destination.rate_limit:
            bucket = self._buckets[destination.id] = _Bucket(
                destination.rate_limit, max(destination.rate_limit, 1.0), self.clock()
            )
        limit = min(SEND_BATCH, bucket.available(self.clock()))
        with unit_of_work(self.sessions) as session:
            claimed = claim(session, destination, limit, utcnow(), self.lease)
        counts = {"skipped": claimed.skipped_for_consent} if claimed.skipped_for_consent else {}
        if not claimed.outgoing:
            return counts
        bucket.tokens -= len(claimed.outgoing)
        with self._leased([item.delivery_id for item in claimed.outgoing]):
            outcomes = sender.send(claimed.outgoing)
        with unit_of_work(self.sessions) as session:
            recorded = record_outcomes(
                session, destination, claimed.outgoing, outcomes, utcnow(), self.rng
            )
        for status, count in recorded.items():
            counts[status] = counts.get(status, 0) + count
        return counts

    @contextmanager
    def _leased(self, delivery_ids: list[int]) -> Iterator[None]:
        """Extend these deliveries' leases every `heartbeat` seconds until the block ends."""
        done = threading.Event()

        def beat() -> None:
            while not done.wait(self.heartbeat):
                try:
                    with unit_of_work(self.sessions) as session:
                        extend_leases(session, delivery_ids, utcnow(), self.lease)
                except Exception:  # noqa: BLE001 (the next beat tries again; the lease is a bound)
                    log.warning("extending the leases of %d deliveries failed", len(delivery_ids))

        thread = threading.Thread(target=beat, name="cdp-lease-heartbeat", daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join()

    def run(self, stop: threading.Event, poll: float) -> None:
        """Tick until `stop` is set; sleep `poll` seconds (or until notified) when idle."""
        waiter = _Waiter(self.sessions, poll)
        try:
            while not stop.is_set():
                try:
                    report = self.tick()
                except Exception:  # one bad tick (a lost connection) never stops the worker
                    log.exception("activation worker tick failed; retrying in %.1fs", poll)
                    stop.wait(poll)
                    continue
                if report.is_idle:
                    waiter.wait(stop)
        finally:
            waiter.close()
            self.close()

    def close(self) -> None:
        for _, sender in self._senders.values():
            sender.close()
        self._senders.clear()


class _Waiter:
    """Sleep until notified (PostgreSQL LISTEN) or `poll` seconds pass, or `stop` is set."""

    def __init__(self, sessions: sessionmaker[Session], poll: float) -> None:
        self.poll = poll
        self.connection: psycopg.Connection[Any] | None = None
        bind = sessions.kw.get("bind")
        if isinstance(bind, Engine) and bind.dialect.name == "postgresql":
            conninfo = bind.url.set(drivername="postgresql").render_as_string(hide_password=False)
            self.connection = psycopg.connect(conninfo, autocommit=True)
            self.connection.execute(f"LISTEN {CHANNEL}")

    def wait(self, stop: threading.Event) -> None:
        if self.connection is None:
            stop.wait(self.poll)
            return
        for _ in self.connection.notifies(timeout=self.poll, stop_after=1):
            pass

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
