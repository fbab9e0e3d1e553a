"""Where a person's data lives, found from the SQLAlchemy metadata rather than listed by hand,
so a table another feature adds later is covered by access exports and erasures as soon as it
is in `models.Base.metadata`.

A table holds a person's rows when one of its columns refers to a profile (a foreign key to
`profiles.id`, or a column named `profile_id` / `*_profile_id`) or to a source record (a
foreign key to `source_records.id`, or a column named `record_id` / `*_record_id`: the hot
fact tables have no foreign key by design, `cdp.models`). Rows of other tables that point at
those rows through a foreign key (order items, feedback topics) belong to the person too.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import JSON, Column, ColumnElement, String, Table, Text, false, or_, select
from sqlalchemy.sql.type_api import TypeEngine

from cdp import models

__all__ = [
    "PROFILES",
    "RECORDS",
    "Link",
    "PersonSet",
    "children",
    "linked_tables",
    "person_condition",
    "text_columns",
]

PROFILES = "profiles"
RECORDS = "source_records"
#: tables that are the person-holding roots themselves, or that never hold a person's data
_NOT_LINKED = {PROFILES, RECORDS}


@dataclass(frozen=True)
class Link:
    """A table with the columns through which its rows belong to a person."""

    table: Table
    profile_columns: tuple[Column[object], ...]
    record_columns: tuple[Column[object], ...]


@dataclass(frozen=True)
class PersonSet:
    """Everything that names one person: their profile ids (the survivor and every profile
    merged into it) and their records."""

    profile_ids: tuple[str, ...]
    record_ids: tuple[int, ...]
    #: the profile the others were merged into
    survivor: str = ""


def _refers_to(column: Column[object], table: str, suffix: str) -> bool:
    if any(fk.column.table.name == table for fk in column.foreign_keys):
        return True
    name = column.name
    return column.table.name != table and (name == suffix or name.endswith("_" + suffix))


def linked_tables(metadata: object = None) -> list[Link]:
    """Every table with a column referring to a profile or a record, children first (so
    deleting in this order never breaks a foreign key)."""
    meta = models.Base.metadata if metadata is None else metadata
    found: list[Link] = []
    for table in reversed(meta.sorted_tables):  # type: ignore[attr-defined]
        if table.name in _NOT_LINKED:
            continue
        profiles = tuple(c for c in table.columns if _refers_to(c, PROFILES, "profile_id"))
        records = tuple(c for c in table.columns if _refers_to(c, RECORDS, "record_id"))
        if profiles or records:
            found.append(Link(table, profiles, records))
    return found


def _in(column: Column[object], values: tuple[object, ...]) -> ColumnElement[bool]:
    return column.in_(values) if values else false()


def person_condition(link: Link, person: PersonSet) -> ColumnElement[bool]:
    """The rows of `link.table` that belong to `person`."""
    return or_(
        *(_in(c, person.profile_ids) for c in link.profile_columns),
        *(_in(c, person.record_ids) for c in link.record_columns),
    )


def children(
    table: Table, metadata: object = None
) -> list[tuple[Table, Column[object], Column[object]]]:
    """(child table, its foreign key column, the referenced column of `table`) for every
    table other than the roots that refers to `table` by a foreign key."""
    meta = models.Base.metadata if metadata is None else metadata
    found: list[tuple[Table, Column[object], Column[object]]] = []
    for other in meta.sorted_tables:  # type: ignore[attr-defined]
        if other is table or other.name in _NOT_LINKED:
            continue
        for column in other.columns:
            for fk in column.foreign_keys:
                if fk.column.table is table:
                    found.append((other, column, fk.column))
    return found


def child_rows(
    table: Table, condition: ColumnElement[bool], metadata: object = None
) -> list[tuple[Table, ColumnElement[bool]]]:
    """The rows of other tables hanging off the rows of `table` that match `condition`,
    deepest first (for deletion), as (table, condition) pairs."""
    found: list[tuple[Table, ColumnElement[bool]]] = []
    for child, column, referenced in children(table, metadata):
        parent_keys = select(referenced).where(condition)
        child_condition = column.in_(parent_keys.scalar_subquery())
        found.extend(child_rows(child, child_condition, metadata))
        found.append((child, child_condition))
    return found


def _is_text(kind: TypeEngine[object]) -> bool:
    impl = getattr(kind, "impl", kind)
    return isinstance(impl, String | Text | JSON) or isinstance(kind, String | Text | JSON)


def text_columns(table: Table) -> list[Column[object]]:
    """The columns of `table` that can hold text: strings, text and JSON."""
    return [c for c in table.columns if _is_text(c.type)]
