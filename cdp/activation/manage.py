"""Destinations managed at run time (GraphQL, admin): create, replace, delete, enable.

Ones declared in cdp.toml belong to the file (rewritten at each start), so they cannot be
changed here except switched off and on; the file is the place to change them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cdp import models
from cdp.activation.declared import TOML, apply_spec, parse_destination
from cdp.errors import ConfigError, ConflictError, InvalidInputError, NotFoundError

__all__ = [
    "create_destination",
    "delete_destination",
    "get_destination",
    "list_destinations",
    "replace_destination",
    "set_enabled",
]


def list_destinations(session: Session) -> list[models.Destination]:
    return list(session.scalars(select(models.Destination).order_by(models.Destination.name)))


def get_destination(session: Session, name: str) -> models.Destination:
    found = session.scalar(select(models.Destination).where(models.Destination.name == name))
    if found is None:
        raise NotFoundError("destination", name)
    return found


def _spec(name: str, table: Mapping[str, Any], environ: Mapping[str, str]) -> Any:
    try:
        return parse_destination(name, {k: v for k, v in table.items() if v is not None}, environ)
    except ConfigError as exc:
        raise InvalidInputError("input", "; ".join(exc.problems)) from None


def create_destination(
    session: Session, name: str, table: Mapping[str, Any], environ: Mapping[str, str]
) -> models.Destination:
    """A new destination from the settings cdp.toml would take (`kind`, `url`...)."""
    spec = _spec(name, table, environ)
    if session.scalar(select(models.Destination.id).where(models.Destination.name == name)):
        raise ConflictError(f"a destination named {name!r} exists; pick another name")
    row = models.Destination(name=name, declared_in="graphql", enabled=True)
    apply_spec(row, spec)
    session.add(row)
    session.flush()
    return row


def _owned(session: Session, name: str) -> models.Destination:
    row = get_destination(session, name)
    if row.declared_in == TOML:
        raise ConflictError(
            f"destination {name!r} is declared in cdp.toml; change it there (it is rewritten "
            "at each start)"
        )
    return row


def replace_destination(
    session: Session, name: str, table: Mapping[str, Any], environ: Mapping[str, str]
) -> models.Destination:
    """Replace every setting of a destination made here (its deliveries stay)."""
    row = _owned(session, name)
    apply_spec(row, _spec(name, table, environ))
    session.flush()
    return row


def delete_destination(session: Session, name: str) -> int:
    """Delete a destination made here, and its deliveries; returns how many deliveries went."""
    row = _owned(session, name)
    count = len(
        session.scalars(
            select(models.Delivery.id).where(models.Delivery.destination_id == row.id)
        ).all()
    )
    session.delete(row)
    session.flush()
    return count


def set_enabled(session: Session, name: str, enabled: bool) -> models.Destination:
    """Switch a destination off (its changes are no longer queued) or on again."""
    row = get_destination(session, name)
    row.enabled = enabled
    session.flush()
    return row
