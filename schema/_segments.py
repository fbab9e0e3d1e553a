"""Segments in GraphQL: `segments`, `segment`, `segmentPreview`, `segmentBreakdown` (reads);
`createSegment`, `updateSegment`, `deleteSegment`, `refreshSegment`, `exportSegment` (writes).
Resolvers convert inputs and call `cdp.segments` through `run_sync`; no SQL here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import strawberry
from sqlalchemy.orm import Session
from strawberry.scalars import JSON

from cdp import segments
from cdp.activation.capture import segment_refresh
from cdp.errors import InvalidInputError, NotFoundError
from schema._access import ANALYSTS, EVERY_ROLE, WRITERS, requires
from schema._context import Context
from schema._paging import page_size
from schema._results import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    require_role,
    stored_id,
)
from schema._segment_inputs import SegmentDefinitionInput, definition_json
from schema._segment_types import (
    BreakdownGroup,
    InvalidDefinition,
    Segment,
    SegmentExport,
    SegmentPreview,
    invalid_definition,
    profile_of,
)

__all__ = ["SegmentMutation", "SegmentQuery"]

Info = strawberry.Info[Context, None]
SegmentId = Annotated[strawberry.ID, strawberry.argument(description="The segment's id.")]
T = TypeVar("T")

SegmentResult = Annotated[
    Segment | InvalidDefinition | NotFound | InvalidInput | Conflict | Forbidden,
    strawberry.union("SegmentResult", description="The segment as saved, or why not."),
]
PreviewResult = Annotated[
    SegmentPreview | InvalidDefinition | InvalidInput,
    strawberry.union("SegmentPreviewResult", description="The preview, or why not."),
]
ExportResult = Annotated[
    SegmentExport | NotFound | InvalidInput | Forbidden,
    strawberry.union("SegmentExportResult", description="The export, or why not."),
]


def _segment_id(value: strawberry.ID) -> int:
    found = stored_id(value)
    if found is None:
        raise NotFoundError("segment", str(value))
    return found


def _raw(definition: SegmentDefinitionInput | None, definition_json_: JSON | None) -> Any:
    if (definition is None) == (definition_json_ is None):
        raise InvalidInputError("definition", "give the definition typed or as JSON (exactly one)")
    return definition_json(definition) if definition is not None else definition_json_


async def _write(info: Info, call: Callable[[Session], T]) -> T:
    async with info.context.sessionmaker.begin() as session:
        return await session.run_sync(call)


async def _read(info: Info, call: Callable[[Session], T]) -> T:
    async with info.context.sessionmaker() as session:
        return await session.run_sync(call)


Definition = Annotated[
    SegmentDefinitionInput | None, strawberry.argument(description="The conditions, typed.")
]
DefinitionJson = Annotated[
    JSON | None,
    strawberry.argument(description="The conditions as JSON (docs/segments.md), instead."),
]


@strawberry.type
class SegmentQuery:
    @strawberry.field(
        description="Every segment (the built-in RFM segments included), by id.",
        permission_classes=requires(EVERY_ROLE),
    )
    async def segments(self, info: Info) -> list[Segment]:
        def call(session: Session) -> list[Segment]:
            return [Segment.from_model(row) for row in segments.list_segments(session)]

        return await _read(info, call)

    @strawberry.field(
        description="A segment by id or name (null when unknown).",
        permission_classes=requires(EVERY_ROLE),
    )
    async def segment(
        self,
        info: Info,
        id: Annotated[strawberry.ID | None, strawberry.argument(description="Its id.")] = None,
        name: Annotated[str | None, strawberry.argument(description="Or its name.")] = None,
    ) -> Segment | None:
        key = str(id) if id is not None else name
        if key is None:
            raise InvalidInputError("id", "give the segment's id or name")

        def call(session: Session) -> Segment | None:
            try:
                return Segment.from_model(segments.find_segment(session, key))
            except NotFoundError:
                return None

        return await _read(info, call)

    @strawberry.field(
        description=(
            "How many active profiles a definition selects now, with a sample of them, "
            "without saving anything."
        ),
        permission_classes=requires(EVERY_ROLE),
    )
    async def segment_preview(
        self,
        info: Info,
        definition: Definition = None,
        definition_json: DefinitionJson = None,
        sample: Annotated[int | None, strawberry.argument(description="Sample size.")] = None,
    ) -> PreviewResult:
        raw = _raw(definition, definition_json)
        size = page_size(info, sample)
        masked = info.context.is_masked

        def call(session: Session) -> SegmentPreview:
            found = segments.preview(session, raw, sample=size)
            return SegmentPreview(
                count=found.count, sample=[profile_of(p, masked) for p in found.sample]
            )

        try:
            return await _read(info, call)
        except segments.DefinitionError as error:
            return invalid_definition(error)

    @strawberry.field(
        description=(
            "Members of a segment (or every active profile) counted by a text trait or "
            "attribute: valueTier, lifecycleStage, rfmSegment, preferredChannel, loyaltyTier, "
            "address.country... Profiles with no value are counted under null."
        ),
        permission_classes=requires(EVERY_ROLE),
    )
    async def segment_breakdown(
        self,
        info: Info,
        by: Annotated[str, strawberry.argument(description="The trait or attribute.")],
        segment_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="The segment (null: all).")
        ] = None,
    ) -> list[BreakdownGroup]:
        sid = None if segment_id is None else _segment_id(segment_id)

        def call(session: Session) -> list[BreakdownGroup]:
            if sid is not None:
                segments.find_segment(session, sid)
            rows = segments.breakdown(session, sid, by)
            return [BreakdownGroup(value=row.value, count=row.count) for row in rows]

        return await _read(info, call)


@strawberry.input(description="A segment to create or change (on update, null keeps a field).")
class SegmentInput:
    name: str | None = strawberry.field(default=None, description="A unique name.")
    description: str | None = strawberry.field(default=None, description="What it is for.")
    definition: SegmentDefinitionInput | None = strawberry.field(
        default=None, description="The conditions, typed."
    )
    definition_json: JSON | None = strawberry.field(
        default=None, description="Or the conditions as JSON."
    )

    def spec(self, *, required: bool) -> segments.SegmentSpec:
        raw = None
        if self.definition is not None or self.definition_json is not None or required:
            raw = _raw(self.definition, self.definition_json)
        return segments.SegmentSpec(self.name, self.description, raw)


@strawberry.type
class SegmentMutation:
    @strawberry.mutation(
        description="Save a segment and compute its members (roles: admin, analyst)."
    )
    async def create_segment(
        self, info: Info, input: Annotated[SegmentInput, strawberry.argument(description="It.")]
    ) -> SegmentResult:
        require_role(info, ANALYSTS)
        spec, actor = input.spec(required=True), info.context.actor

        def call(session: Session) -> Segment:
            found = segments.create_segment(session, spec, actor=actor)
            with segment_refresh(session) as at:  # entries and exits reach activation
                segments.refresh_segment(session, found, now=at)
            return Segment.from_model(found)

        try:
            return await _write(info, call)
        except segments.DefinitionError as error:
            return invalid_definition(error)

    @strawberry.mutation(
        description="Change a segment; its members are recomputed (roles: admin, analyst)."
    )
    async def update_segment(
        self,
        info: Info,
        id: SegmentId,
        input: Annotated[SegmentInput, strawberry.argument(description="What changes.")],
    ) -> SegmentResult:
        require_role(info, ANALYSTS)
        sid, spec, actor = _segment_id(id), input.spec(required=False), info.context.actor

        def call(session: Session) -> Segment:
            found = segments.update_segment(session, sid, spec, actor=actor)
            with segment_refresh(session) as at:  # entries and exits reach activation
                segments.refresh_segment(session, found, now=at)
            return Segment.from_model(found)

        try:
            return await _write(info, call)
        except segments.DefinitionError as error:
            return invalid_definition(error)

    @strawberry.mutation(
        description="Delete a segment with its memberships (roles: admin, analyst)."
    )
    async def delete_segment(self, info: Info, id: SegmentId) -> SegmentResult:
        require_role(info, ANALYSTS)
        sid, actor = _segment_id(id), info.context.actor

        def call(session: Session) -> Segment:
            found = Segment.from_model(segments.find_segment(session, sid))
            segments.delete_segment(session, sid, actor=actor)
            return found

        return await _write(info, call)

    @strawberry.mutation(
        description=(
            "Re-test every profile against the segment now (time windows move on their own; "
            "`cdp segments refresh` does this on a schedule). Roles: admin, analyst."
        )
    )
    async def refresh_segment(self, info: Info, id: SegmentId) -> SegmentResult:
        require_role(info, ANALYSTS)
        sid = _segment_id(id)

        def call(session: Session) -> Segment:
            found = segments.find_segment(session, sid)
            with segment_refresh(session) as at:  # entries and exits reach activation
                segments.refresh_segment(session, found, now=at)
            return Segment.from_model(found)

        return await _write(info, call)

    @strawberry.mutation(
        description=(
            "The members with consent for a purpose, as CSV (profile_id, given_name, "
            "family_name, email, phone, entered_at); members without it are left out and "
            "counted. Audited (roles: admin, app)."
        )
    )
    async def export_segment(
        self,
        info: Info,
        id: SegmentId,
        purpose: Annotated[str, strawberry.argument(description="e.g. email_marketing.")],
        channel: Annotated[
            str | None, strawberry.argument(description="Only consent on this channel.")
        ] = None,
    ) -> ExportResult:
        require_role(info, WRITERS)
        sid, actor = _segment_id(id), info.context.actor

        def call(session: Session) -> SegmentExport:
            found = segments.find_segment(session, sid)
            text, result = segments.export_text(
                session, found, purpose, actor=actor, channel=channel
            )
            return SegmentExport(
                csv=text,
                purpose=result.purpose,
                exported=result.exported,
                left_out=result.left_out,
            )

        return await _write(info, call)
