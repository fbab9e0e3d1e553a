"""A file ingest split over several processes: `run_ingest(..., workers=2)`.

One Python process spends about as much CPU per record (parsing, validation, hashing,
identifiers, COPY rows) as PostgreSQL does storing it, so on a multi-core machine one
pipeline leaves cores idle. Here each of `workers` forked processes runs the ordinary runner
over the same files but keeps only its partition of the records: a record belongs to
partition `crc32(primary key value, trimmed) % workers` (a record without a readable key, which
will be quarantined, by its position). Every record with a given key therefore goes through one
process, in file order, so "a changed payload replaces the stored one" keeps its meaning, and
each batch stays one transaction with its identifiers, facts and quarantined records: a killed
run loses or duplicates nothing (files are read whole again and deduplicate by key).

A worker does not parse the JSON Lines lines of other partitions: the key's value is read from
the raw text when that reading is sure to equal the parsed one (`_Partition.scan`), and only
lines it cannot read so are parsed to find their partition.

Limits, checked up front: file sources only (a pull's cursor checkpoint covers the whole
stream, which one partition cannot vouch for) and no `on_batch`/`on_progress` callbacks (they
would run concurrently in several processes; identity resolution can follow with a full run).
The processes are forked (POSIX) and die with the parent (Linux `PR_SET_PDEATHSIG`).
"""

from __future__ import annotations

import contextlib
import copy
import ctypes
import json
import multiprocessing
import os
import re
import signal
import time
import zlib
from dataclasses import replace
from multiprocessing.connection import Connection
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from cdp.db import unit_of_work
from ingest.adapter import Adapter
from ingest.errors import AdapterConfigError
from ingest.fields import get_path
from ingest.pipeline import IngestSummary, RunOptions, run_source
from ingest.records import RawRecord
from ingest.state import ensure_source

__all__ = ["run_parallel"]

_PR_SET_PDEATHSIG = 1
_COUNTS = (
    "read", "stored", "replaced", "duplicates", "quarantined", "junk_identifiers", "batches",
    "suppressed",
)  # fmt: skip


def run_parallel(
    session_factory: sessionmaker[Session],
    adapter: Adapter,
    source: str,
    options: RunOptions,
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
    options: RunOptions,
    partition: tuple[int, int, int],
) -> None:
    index, workers, parent = partition
    _die_with_parent(parent)
    # The parent's pooled connections must not be shared across the fork.
    session_factory.kw["bind"].dispose(close=False)
    mine = _Partition(adapter.primary_key, index, workers)
    adapter = copy.copy(adapter)
    adapter.line_filter = mine.line
    try:
        summary = run_source(session_factory, adapter, source, replace(options, keep=mine.record))
    except Exception as exc:  # noqa: BLE001 (reported to the parent, which owns the outcome)
        send.send(f"{type(exc).__name__}: {exc}")
    else:
        send.send(summary)
    finally:
        send.close()


# After the key: optional blanks, a colon, optional blanks, then a string (JSON's blanks).
_STRING_VALUE = re.compile(r'[ \t\n\r]*:[ \t\n\r]*"([^"]*)"')


class _Partition:
    """Says which raw records (and JSON Lines lines) belong to worker `index` of `workers`."""

    def __init__(self, key: str, index: int, workers: int) -> None:
        self.key = key
        self.index = index
        self.workers = workers
        # The key spelled as JSON writes it; a dotted path or one JSON escapes is never scanned.
        plain = "." not in key and json.dumps(key, ensure_ascii=False) == f'"{key}"'
        self.needle = f'"{key}"' if plain else None
        self.passed: str | None = None  # the last line `line` let through on its key

    def scan(self, text: str) -> str | None:
        """The key's string value read from the raw text, or None when not surely readable.

        Sure means: no backslash in the text (so every `"` opens or closes a string and no
        string holds an escape) and the key spelled exactly once, followed by `:` and a string.
        In valid JSON that one spelling is then the top-level key whenever the object has one
        (a nested one would be a second spelling), and the value is its parsed value. A line
        that is not valid JSON, or whose only spelling is nested, gets a partition from the
        same reading in every worker (such a record is quarantined or has no usable key)."""
        needle = self.needle
        if needle is None or "\\" in text:
            return None
        at = text.find(needle)
        if at < 0 or text.find(needle, at + len(needle)) >= 0:
            return None
        found = _STRING_VALUE.match(text, at + len(needle))
        return None if found is None else found.group(1)

    def line(self, text: str) -> bool:
        """Parse this line? No when its key surely belongs to another worker."""
        value = self.scan(text)
        if value is None:
            return True
        if self._owns(value):
            self.passed = text
            return True
        return False

    def record(self, raw: RawRecord) -> bool:
        """Keep this record? The same reading as `line`, then the parsed key, then position."""
        if raw.raw is self.passed:  # just let through by `line`, on its key
            return True
        value = self.scan(raw.raw)
        if value is None:
            found = get_path(raw.payload, self.key) if raw.payload is not None else None
            if found is None:
                return self._owns_text(raw.position)
            value = str(found)
        return self._owns(value)

    def _owns(self, value: str) -> bool:
        return self._owns_text(value.strip())

    def _owns_text(self, text: str) -> bool:
        return zlib.crc32(text.encode("utf-8", "surrogatepass")) % self.workers == self.index


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
