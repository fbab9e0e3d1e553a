"""The server's background resolver: a push is answered once its records are stored, and this
thread (one per server process) resolves them in batches (`cdp.pending.resolve_pending`:
identities, traits, segments, outbox entries and live changes, feedback analysis; one
transaction per batch).

A push wakes it (`notify`); it then takes whatever is pending, batch after batch, until
nothing is. It runs in a thread of its own with a synchronous engine, so resolution's CPU never
holds the event loop that acknowledges pushes. When it starts it takes every record an earlier
run stored and did not resolve (a server killed during pushes), so pending records survive a
restart. With `cdp serve --workers N` on PostgreSQL one process resolves at a time (the
resolution lock, `cdp.pending`); a process that finds the lock taken looks again shortly, and
the holder takes the others' records in its next batch anyway.

A batch that fails is rolled back and tried again smaller, down to one record; a record that
fails alone is set aside (logged with its id) and left pending for the next start. A record
identity leaves unresolved is not tried again by this process.

`wait_idle()` blocks until a pass that began after the call found nothing pending: the way
tests (and the demo) wait for the pipeline instead of sleeping.
"""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy.orm import Session, sessionmaker

from cdp.config import Settings
from cdp.db import create_db_engine, make_sessionmaker, unit_of_work
from cdp.feedback.taxonomy import taxonomy_for
from cdp.pending import BATCH, Batch, next_pending, resolve_pending

__all__ = ["BackgroundResolver"]

log = logging.getLogger("cdp.resolver")
#: how soon a process that found the lock taken looks again (seconds)
LOCKED_RETRY = 0.05
#: after a failed batch of one record, before the next try (seconds)
FAILED_PAUSE = 1.0


class BackgroundResolver:
    """Resolves pending records in a daemon thread of this process."""

    def __init__(self, settings: Settings, *, batch: int = BATCH) -> None:
        self.settings = settings
        self.batch = batch
        self.engine = create_db_engine(settings)
        self.factory: sessionmaker[Session] = make_sessionmaker(self.engine)
        self.taxonomy = taxonomy_for(settings.feedback_topics_file)
        self.skip: set[int] = set()
        self.resolved = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._state = threading.Condition()
        self._asked = 1  # the first pass (at start) takes what an earlier run left
        self._done = 0
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._wake.set()
        self._thread = threading.Thread(target=self._run, name="cdp-resolver", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after the batch in progress (a killed process leaves it pending instead)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        with self._state:
            self._state.notify_all()
        self.engine.dispose()

    def notify(self) -> None:
        """New records are stored: take them (safe to call from any thread)."""
        with self._state:
            self._asked += 1
        self._wake.set()

    def wait_idle(self, timeout: float = 120.0) -> bool:
        """Block until a pass begun after this call found nothing pending (True), or until
        `timeout` seconds passed or the resolver stopped (False)."""
        with self._state:
            self._asked += 1
            wanted = self._asked
        self._wake.set()
        deadline = time.monotonic() + timeout
        with self._state:
            while self._done < wanted:
                left = deadline - time.monotonic()
                if left <= 0 or self._stop.is_set():
                    return False
                self._state.wait(left)
        return True

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            self._wake.clear()
            with self._state:
                asked = self._asked
            try:
                drained = self._drain()
            except Exception:  # the database is unreachable, say: look again shortly
                log.exception("the background resolver failed; trying again")
                self._stop.wait(FAILED_PAUSE)
                self._wake.set()
                continue
            if drained:
                with self._state:
                    self._done = max(self._done, asked)
                    self._state.notify_all()

    def _drain(self) -> bool:
        """Batches until one finds nothing pending (True); False when stopping."""
        limit = self.batch
        while not self._stop.is_set():
            try:
                with unit_of_work(self.factory) as session:
                    batch = resolve_pending(
                        session,
                        limit=limit,
                        skip=self.skip,
                        default_region=self.settings.default_region,
                        taxonomy=self.taxonomy,
                        wait=False,
                    )
            except Exception:  # noqa: BLE001 (logged by _failed, which retries smaller)
                limit = self._failed(limit)
                continue
            if batch is None:  # another process is resolving: it takes ours too, or we do next
                self._stop.wait(LOCKED_RETRY)
                continue
            if not batch.record_ids:
                return True
            self._done_batch(batch)
            limit = self.batch
        return False

    def _done_batch(self, batch: Batch) -> None:
        self.resolved += len(batch.record_ids)
        if batch.left:
            self.skip.update(batch.left)
            log.warning(
                "identity left %d records unresolved (ids %s...); not tried again until restart",
                len(batch.left),
                ", ".join(map(str, batch.left[:5])),
            )

    def _failed(self, limit: int) -> int:
        if limit > 1:
            log.exception("resolving a batch of %d pending records failed; trying smaller", limit)
            return max(1, limit // 2)
        with unit_of_work(self.factory) as session:
            failed = next_pending(session, 1, self.skip)  # what the batch of one took
        self.skip.update(failed)
        log.exception("resolving record %s failed; set aside until restart", failed)
        self._stop.wait(FAILED_PAUSE)
        return self.batch
