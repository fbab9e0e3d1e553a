"""Saved segments: create, update, delete, find; definitions checked before they are stored.

A definition is parsed (`parse_definition`, every problem at once), then its segment
conditions are checked against the stored segments: an unknown id, and a cycle (a segment
that would contain itself through others), are refused with the path of the condition.
Functions take the caller's session and never commit; every change leaves an audit record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cdp import models
from cdp.errors import ConflictError, InvalidInputError, NotFoundError
from cdp.segments._conditions import Definition, DefinitionError
from cdp.segments._definition import parse_definition

__all__ = [
    "SegmentSpec",
    "check_definition",
    "create_segment",
    "delete_segment",
    "find_segment",
    "load_definitions",
    "update_segment",
]


@dataclass(frozen=True)
class SegmentSpec:
    """What a caller gives to create or change a segment (None: unchanged, on update)."""

    name: str | None = None
    description: str | None = None
    definition: Mapping[str, Any] | None = None


def load_definitions(session: Session) -> dict[int, Definition]:
    """Every stored segment's parsed definition, by id (segments are few)."""
    rows = session.execute(select(models.Segment.id, models.Segment.definition)).all()
    return {row.id: parse_definition(row.definition) for row in rows}


def find_segment(session: Session, key: int | str) -> models.Segment:
    """A segment by id, or by name; `NotFoundError` when there is none."""
    s = models.Segment
    if isinstance(key, int) or (isinstance(key, str) and key.isdigit() and len(key) < 19):
        found = session.get(s, int(key))
        if found is not None:
            return found
    if isinstance(key, str):
        by_name = session.scalars(select(s).where(s.name == key)).first()
        if by_name is not None:
            return by_name
    raise NotFoundError("segment", key)


def check_definition(
    session: Session, raw: Any, *, segment_id: int | None = None
) -> tuple[Definition, dict[int, Definition]]:
    """The parsed definition and every stored one it may reach; `DefinitionError` lists the
    problems: those of the tree, unknown segment ids, and cycles through `segment_id`."""
    definition = parse_definition(raw)
    stored = load_definitions(session)
    if segment_id is not None:
        stored[segment_id] = definition
    problems: list[str] = []
    for path, ref in _references(raw):
        if ref not in stored:
            problems.append(f"{path}.id: no segment has id {ref}")
        elif segment_id is not None and _reaches(stored, ref, segment_id):
            problems.append(f"{path}.id: segment {ref} contains this segment: a cycle")
    if problems:
        raise DefinitionError(problems)
    return definition, stored


def _references(raw: Any, path: str = "") -> list[tuple[str, int]]:
    """Every segment condition of a (valid) JSON definition, with its path."""
    found: list[tuple[str, int]] = []
    if isinstance(raw, Mapping):
        for key, value in raw.items():
            where = f"{path}.{key}" if path else key
            if key == "segment" and isinstance(value, Mapping):
                found.append((where, int(value["id"])))
            else:
                found.extend(_references(value, where))
    elif isinstance(raw, list):
        for i, value in enumerate(raw):
            found.extend(_references(value, f"{path}[{i}]"))
    return found


def _reaches(stored: Mapping[int, Definition], start: int, target: int) -> bool:
    todo, seen = [start], set()
    while todo:
        current = todo.pop()
        if current == target:
            return True
        if current in seen or current not in stored:
            continue
        seen.add(current)
        todo.extend(stored[current].segment_ids)
    return False


def _name(value: str | None) -> str:
    name = (value or "").strip()
    if not name or len(name) > 100:
        raise InvalidInputError("name", f"expected 1 to 100 characters, got {value!r}")
    return name


def _check_unique(session: Session, name: str, segment_id: int | None) -> None:
    s = models.Segment
    other = session.scalars(select(s.id).where(s.name == name)).first()
    if other is not None and other != segment_id:
        raise ConflictError(f"a segment named {name!r} exists already (id {other})")


def create_segment(session: Session, spec: SegmentSpec, *, actor: str) -> models.Segment:
    name = _name(spec.name)
    if spec.definition is None:
        raise InvalidInputError("definition", "a segment needs a definition")
    check_definition(session, spec.definition)
    _check_unique(session, name, None)
    segment = models.Segment(
        name=name, description=spec.description, definition=dict(spec.definition)
    )
    session.add(segment)
    session.flush()
    _audit(session, actor, "segment.create", segment, {"name": name})
    return segment


def update_segment(
    session: Session, key: int | str, spec: SegmentSpec, *, actor: str
) -> models.Segment:
    segment = find_segment(session, key)
    if segment.built_in:
        raise ConflictError(f"segment {segment.name!r} is built in and cannot be changed")
    if spec.name is not None:
        name = _name(spec.name)
        _check_unique(session, name, segment.id)
        segment.name = name
    if spec.description is not None:
        segment.description = spec.description
    if spec.definition is not None:
        check_definition(session, spec.definition, segment_id=segment.id)
        segment.definition = dict(spec.definition)
    session.flush()
    _audit(session, actor, "segment.update", segment, {"name": segment.name})
    return segment


def delete_segment(session: Session, key: int | str, *, actor: str) -> models.Segment:
    """Delete a segment with its memberships and history; refused while another segment
    refers to it, and for a built-in segment."""
    segment = find_segment(session, key)
    if segment.built_in:
        raise ConflictError(f"segment {segment.name!r} is built in and cannot be deleted")
    users = [
        other_id
        for other_id, definition in load_definitions(session).items()
        if segment.id in definition.segment_ids and other_id != segment.id
    ]
    if users:
        names = session.scalars(select(models.Segment.name).where(models.Segment.id.in_(users)))
        raise ConflictError(
            f"segment {segment.name!r} is used by {', '.join(sorted(names))}; change them first"
        )
    _audit(session, actor, "segment.delete", segment, {"name": segment.name})
    session.delete(segment)
    session.flush()
    return segment


def _audit(
    session: Session, actor: str, action: str, segment: models.Segment, details: dict[str, Any]
) -> None:
    session.add(
        models.AuditLog(
            actor=actor,
            action=action,
            target_type="segment",
            target_id=str(segment.id),
            details=details,
        )
    )
