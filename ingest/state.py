"""Sources and checkpoints: the rows that say where records come from and how far a pull got."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from cdp import models
from cdp.types import utcnow

__all__ = ["SourceRef", "ensure_source", "load_checkpoint", "save_checkpoint"]

_SECRET_MARKERS = ("token", "secret", "password", "key", "credential")


@dataclass(frozen=True)
class SourceRef:
    id: int
    name: str
    channel: str
    adapter: str


def ensure_source(
    session: Session, *, name: str, channel: str, adapter: str, config: Mapping[str, Any]
) -> SourceRef:
    """The `sources` row for `name`, created or updated (credentials are never stored)."""
    safe = {k: v for k, v in config.items() if not any(m in k.lower() for m in _SECRET_MARKERS)}
    row = session.scalar(select(models.Source).where(models.Source.name == name))
    if row is None:
        row = models.Source(name=name, channel=channel, adapter=adapter, config=safe)
        session.add(row)
        session.flush()
    elif (row.channel, row.adapter, row.config) != (channel, adapter, safe):
        row.channel, row.adapter, row.config = channel, adapter, safe
        session.flush()
    return SourceRef(id=row.id, name=row.name, channel=row.channel, adapter=row.adapter)


def load_checkpoint(session: Session, source_id: int, partition: str = "") -> dict[str, Any]:
    state = session.scalar(
        select(models.Checkpoint.state).where(
            models.Checkpoint.source_id == source_id, models.Checkpoint.partition == partition
        )
    )
    return dict(state or {})


def save_checkpoint(
    session: Session, source_id: int, state: Mapping[str, Any], partition: str = ""
) -> None:
    result = session.execute(
        update(models.Checkpoint)
        .where(models.Checkpoint.source_id == source_id, models.Checkpoint.partition == partition)
        .values(state=dict(state), updated_at=utcnow())
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        session.execute(
            insert(models.Checkpoint).values(
                source_id=source_id, partition=partition, state=dict(state), updated_at=utcnow()
            )
        )
