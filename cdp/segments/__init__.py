"""Segments: condition trees over profiles, compiled to one SQL statement each, with stored
memberships (entered and exited times) and size history. See docs/segments.md."""

from cdp.segments._compile import members_query, predicate
from cdp.segments._definition import (
    Definition,
    DefinitionError,
    parse_definition,
)
from cdp.segments._fields import ATTRIBUTES, TRAITS, Field
from cdp.segments._membership import (
    RefreshResult,
    refresh_all,
    refresh_segment,
    refresh_touched,
)
from cdp.segments._store import (
    SegmentSpec,
    check_definition,
    create_segment,
    delete_segment,
    find_segment,
    load_definitions,
    update_segment,
)

__all__ = [
    "ATTRIBUTES",
    "TRAITS",
    "Definition",
    "DefinitionError",
    "Field",
    "RefreshResult",
    "SegmentSpec",
    "check_definition",
    "create_segment",
    "delete_segment",
    "find_segment",
    "load_definitions",
    "members_query",
    "parse_definition",
    "predicate",
    "refresh_all",
    "refresh_segment",
    "refresh_touched",
    "update_segment",
]
