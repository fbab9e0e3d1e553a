"""Wires identity's incremental resolver into ingest (the composition root's job).

Ingest never imports identity; the runner takes a callback called with the ids of the records
each committed batch stored. When identity provides `resolve_records(session, record_ids)`,
this hook resolves them in a unit of work of their own.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence

from sqlalchemy.orm import Session, sessionmaker

from cdp.db import unit_of_work

__all__ = ["identity_resolver"]


def identity_resolver(factory: sessionmaker[Session]) -> Callable[[Sequence[int]], None] | None:
    """A callback resolving committed records incrementally, or None without identity."""
    resolve = getattr(importlib.import_module("identity"), "resolve_records", None)
    if resolve is None:
        return None

    def on_batch(record_ids: Sequence[int]) -> None:
        with unit_of_work(factory) as session:
            resolve(session, list(record_ids))

    return on_batch
