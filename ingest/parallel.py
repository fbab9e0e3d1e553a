"""A file ingest split over several processes: `run_ingest(..., workers=2)`.

One Python process spends about as much CPU per record (parsing, validation, hashing,
identifiers, COPY rows) as PostgreSQL does storing it, so on a multi-core machine one
pipeline leaves cores idle. Here each of `workers` forked processes runs the ordinary runner
over the same files but keeps only its partition of the records: a record belongs to
partition `crc32(primary key value) % workers` (a record without a readable key, which will be
quarantined, by its position). Every record with a given key therefore goes through one
process, in file order, so "a changed payload replaces the stored one" keeps its meaning, and
each batch stays one transaction with its identifiers, facts and quarantined records: a killed
run loses or duplicates nothing (files are read whole again and deduplicate by key).

Limits, checked up front: file sources only (a pull's cursor checkpoint covers the whole
stream, which one partition cannot vouch for) and no `on_batch`/`on_progress` callbacks (they
would run concurrently in several processes; identity resolution can follow with a full run).
The processes are forked (POSIX) and die with the parent (Linux `PR_SET_PDEATHSIG`).
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import time
import zlib
from dataclasses import replace
from multiprocessing.connection import Connection
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from cdp.db import unit_of_work
from ingest.adapter import Adapter, RawRecord
from ingest.errors import AdapterConfigError
from ingest.fields import get_path
from ingest.runner import IngestSummary, _Options, _run
from ingest.state import ensure_source

__all__ = ["run_parallel"]

_PR_SET_PDEATHSIG = 1
_COUNTS = ("read", "stored", "replaced", "duplicates", "quarantined", "junk_identifiers", "batches")


def run_parallel(
    session_factory: sessionmaker[Session],
    adapter: Adapter,
    source: str,
    options: _Options,
    workers: int,
) -> IngestSummary:
    """Ingest `adapter`'s files into `source` with `workers` processes; summaries are added."""
    if adapter.cursor_field is not None and not adapter.files:
        raise AdapterConfigError(f"workers={workers} needs a file source; {adapter.name} pulls")
    if options.on_batch is not None or options.on_progress is not None:
        raise AdapterConfigError(f"workers={workers} does not run on_batch/on_progress callbacks")
    started = time.monotonic()
    # Registered once here, so the workers do not race to create the source.
    with unit_of_work(session_factory) as session:
        ensure_source(
            session,
            name=source,
            channel=adapter.channel,
            adapter=adapter.name,
            config=adapter.config,
        )
    context = multiprocessing.get_context("fork")
    parent = os.getpid()
    processes: list[tuple[Any, Connection]] = []
    try:
        for index in range(workers):
            receive, send = context.Pipe(duplex=False)
            process = context.Process(
                target=_worker,
                args=(send, session_factory, adapter, source, options, (index, workers, parent)),
                name=f"ingest-{index}",
            )
            process.start()
            send.close()
            processes.append((process, receive))
        summaries = [_result(process, receive) for process, receive in processes]
    finally:
        for process, _ in processes:
            if process.is_alive():
                process.terminate()
            process.join()
    return _combine(source, adapter.name, summaries, time.monotonic() - started)


def _worker(
    send: Connection,
    session_factory: sessionmaker[Session],
    adapter: Adapter,
    source: str,
    options: _Options,
    partition: tuple[int, int, int],
) -> None:
    index, workers, parent = partition
    _die_with_parent(parent)
    # The parent's pooled connections must not be shared across the fork.
    session_factory.kw["bind"].dispose(close=False)
    key = adapter.primary_key

    def keep(raw: RawRecord) -> bool:
        value = get_path(raw.payload, key) if raw.payload is not None else None
        text = raw.position if value is None else str(value)
        return zlib.crc32(text.encode("utf-8", "surrogatepass")) % workers == index

    try:
        summary = _run(session_factory, adapter, source, replace(options, keep=keep))
    except Exception as exc:  # noqa: BLE001 (reported to the parent, which owns the outcome)
        send.send(f"{type(exc).__name__}: {exc}")
    else:
        send.send(summary)
    finally:
        send.close()


def _die_with_parent(parent: int) -> None:
    # A killed `cdp ingest` must not leave workers writing behind its back.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _result(process: Any, receive: Connection) -> IngestSummary | str:
    try:
        result: IngestSummary | str = receive.recv()
    except EOFError:
        process.join()
        result = f"worker {process.name} exited with code {process.exitcode}"
    return result


def _combine(
    source: str, adapter: str, results: list[IngestSummary | str], seconds: float
) -> IngestSummary:
    summaries = [r for r in results if isinstance(r, IngestSummary)]
    errors = [r for r in results if isinstance(r, str)]
    errors += [s.error for s in summaries if s.error]
    counts = {name: sum(getattr(s, name) for s in summaries) for name in _COUNTS}
    return IngestSummary(
        source=source,
        adapter=adapter,
        seconds=seconds,
        error="; ".join(errors) or None,
        **counts,
    )
