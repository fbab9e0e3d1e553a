"""Wires identity's incremental resolver into ingest (the composition root's job).

Ingest never imports identity; the runner takes a callback called with the ids of the records
each committed batch stored, and this hook resolves them in a unit of work of their own, then
refreshes what depends on the profiles they touched (`cdp.refresh`). It holds the resolution
lock (`cdp.pending`) and resolves only those no one resolved meanwhile (a server's background
resolver may take a batch the moment it is committed), so no record is resolved, nor its
events sent to destinations, twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy.orm import Session, sessionmaker

import identity
from cdp.db import unit_of_work
from cdp.pending import hold_resolution, still_unresolved
from cdp.refresh import after_resolution

__all__ = ["identity_resolver"]


def identity_resolver(
    factory: sessionmaker[Session], *, default_region: str = "US"
) -> Callable[[Sequence[int]], None]:
    """A callback resolving each committed batch of records incrementally."""

    def on_batch(record_ids: Sequence[int]) -> None:
        with unit_of_work(factory) as session:
            hold_resolution(session)
            ids = still_unresolved(session, record_ids)
            if not ids:
                return
            result = identity.resolve_records(session, ids, default_region=default_region)
            after_resolution(session, ids, result.merges)

    return on_batch
