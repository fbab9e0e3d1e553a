"""Segments: condition trees over profiles, compiled to one SQL statement each, with stored
memberships (entered and exited times) and size history. See docs/segments.md."""

from cdp.segments._compile import members_query, predicate
from cdp.segments._conditions import Definition, DefinitionError
from cdp.segments._definition import parse_definition
from cdp.segments._export import COLUMNS, ExportResult, export_members, export_rows, export_text
from cdp.segments._fields import ATTRIBUTES, TRAITS, Field
from cdp.segments._membership import (
    RefreshResult,
    refresh_all,
    refresh_segment,
    refresh_touched,
)
from cdp.segments._reads import (
    BREAKDOWN_FIELDS,
    BreakdownRow,
    Member,
    Preview,
    ProfileSegment,
    breakdown,
    current_size,
    list_segments,
    member_page,
    preview,
    profile_segments,
    size_history,
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
    "BREAKDOWN_FIELDS",
    "COLUMNS",
    "TRAITS",
    "BreakdownRow",
    "Definition",
    "DefinitionError",
    "ExportResult",
    "Field",
    "Member",
    "Preview",
    "ProfileSegment",
    "RefreshResult",
    "SegmentSpec",
    "breakdown",
    "check_definition",
    "create_segment",
    "current_size",
    "delete_segment",
    "export_members",
    "export_rows",
    "export_text",
    "find_segment",
    "list_segments",
    "load_definitions",
    "member_page",
    "members_query",
    "parse_definition",
    "predicate",
    "preview",
    "profile_segments",
    "refresh_all",
    "refresh_segment",
    "refresh_touched",
    "size_history",
    "update_segment",
]
