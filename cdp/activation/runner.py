"""Running the worker: in the foreground (`cdp worker`) or in a background thread (inside
`cdp serve`, the embedded default). Both first make the database's destinations match the
ones `cdp.toml` declares."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping

from sqlalchemy import Engine

from cdp.activation.declared import load_destinations, sync_declared
from cdp.activation.flow_spec import load_flows
from cdp.activation.flows import FlowRunner, sync_flows
from cdp.activation.worker import Worker, default_poll
from cdp.config import Settings
from cdp.db import create_db_engine, make_sessionmaker, unit_of_work

__all__ = ["BackgroundWorker", "build_worker", "sync_from_settings"]

log = logging.getLogger("cdp.activation")


def sync_from_settings(engine: Engine, settings: Settings, environ: Mapping[str, str]) -> list[str]:
    """Sync the destinations and flows of `settings.sources_file`; returns what changed."""
    specs = load_destinations(settings.sources_file, environ)
    flows, _ = load_flows(settings.sources_file)
    with unit_of_work(make_sessionmaker(engine)) as session:
        changed = sync_declared(session, specs)
        return changed + [f"flow {name}" for name in sync_flows(session, flows)]


def build_worker(engine: Engine, environ: Mapping[str, str], settings: Settings) -> Worker:
    _, activation = load_flows(settings.sources_file)
    return Worker(make_sessionmaker(engine), environ, flows=FlowRunner(activation))


class BackgroundWorker:
    """The worker in a daemon thread of this process, with its own sync engine."""

    def __init__(self, settings: Settings, environ: Mapping[str, str] | None = None) -> None:
        self.settings = settings
        self.environ = dict(os.environ if environ is None else environ)
        self.engine = create_db_engine(settings)
        self.stop_event = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        sync_from_settings(self.engine, self.settings, self.environ)
        worker = build_worker(self.engine, self.environ, self.settings)
        poll = default_poll(self.engine)
        self.thread = threading.Thread(
            target=worker.run, args=(self.stop_event, poll), name="cdp-activation", daemon=True
        )
        self.thread.start()
        log.info("activation worker running in this process (polling every %.1fs)", poll)

    def stop(self, timeout: float = 10.0) -> None:
        self.stop_event.set()
        if self.thread is not None:
            self.thread.join(timeout)
        self.engine.dispose()
