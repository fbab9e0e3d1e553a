"""Identity in the schema: explain, compare, the review list (for analysts), and manual
merge, split and forbid-link (for admins). Each calls identity's public API on a sync
session through `run_sync`; a mutation is one unit of work."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

import strawberry
from sqlalchemy.orm import Session
from strawberry.scalars import JSON

import identity
from cdp import audit
from cdp.errors import InvalidInputError
from cdp.refresh import refresh_profiles
from schema._access import ANALYSTS, ONLY_ADMIN, mask_evidence, requires
from schema._context import Context
from schema._identity_types import (
    CompareResult,
    Comparison,
    ExplainResult,
    ForbidLinkResult,
    LinkForbidden,
    MergeProfilesResult,
    ProfileExplanation,
    ProfilesMerged,
    ProfileSplit,
    ReviewItem,
    SplitProfileResult,
)
from schema._mutation import check_role
from schema._paging import page_size

Info = strawberry.Info[Context, None]
T = TypeVar("T")


async def _read(info: Info, call: Callable[[Session], T]) -> T:
    async with info.context.sessionmaker() as session:
        return await session.run_sync(call)


async def _write(info: Info, call: Callable[[Session], T]) -> T:
    async with info.context.sessionmaker.begin() as session:
        return await session.run_sync(call)


R = TypeVar("R", identity.MergeResult, identity.SplitResult)


def _refreshed(session: Session, result: R, context: Context | None = None) -> R:
    """Refresh what depends on both sides of a merge or a split (`cdp.refresh`), and audit it."""
    is_merge = isinstance(result, identity.MergeResult)
    other = (
        result.merged_profile_id
        if isinstance(result, identity.MergeResult)
        else result.new_profile_id
    )
    refresh_profiles(session, [result.profile_id, other])
    if context is not None:
        audit.record(
            session,
            actor=context.actor,
            action="identity.merge" if is_merge else "identity.split",
            target_type="profile",
            target_id=result.profile_id,
            details={"merged_profile_id" if is_merge else "new_profile_id": other},
            key_id=context.key_id,
        )
    return result


def _record_id(value: strawberry.ID, field: str) -> int:
    if not str(value).isdigit() or len(str(value)) > 18:
        raise InvalidInputError(field, f"{str(value)[:40]!r} is not a record id (digits)")
    return int(value)


@strawberry.type
class IdentityQuery:
    @strawberry.field(
        description="How a profile was built: its records, the links and evidence, its history.",
        permission_classes=requires(ANALYSTS),
    )
    async def explain_profile(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="A profile id.")],
    ) -> ExplainResult:
        found = await _read(info, lambda s: identity.explain_profile(s, str(id)))
        return ProfileExplanation.from_result(found, masked=info.context.is_masked)

    @strawberry.field(
        description=(
            "Why two profiles (or two records, with `records: true`) are or are not the same "
            "person: the weight per field, the total, and what kept them apart."
        ),
        permission_classes=requires(ANALYSTS),
    )
    async def compare(
        self,
        info: Info,
        left: Annotated[
            strawberry.ID, strawberry.argument(description="A profile (or record) id.")
        ],
        right: Annotated[
            strawberry.ID, strawberry.argument(description="Another profile (or record) id.")
        ],
        records: Annotated[
            bool, strawberry.argument(description="Compare record ids instead of profile ids.")
        ] = False,
    ) -> CompareResult:
        region = info.context.settings.default_region
        refs: tuple[int | str, int | str] = (
            (_record_id(left, "left"), _record_id(right, "right"))
            if records
            else (str(left), str(right))
        )
        report = await _read(
            info, lambda s: identity.compare(s, refs[0], refs[1], default_region=region)
        )
        return Comparison.from_report(report, masked=info.context.is_masked)

    @strawberry.field(
        description="Pairs of profiles that may be one person, best first: one item per pair, "
        "however many of their records are possible matches.",
        permission_classes=requires(ANALYSTS),
    )
    async def review_list(
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description="How many.")] = None,
        offset: Annotated[int, strawberry.argument(description="How many to skip.")] = 0,
    ) -> list[ReviewItem]:
        size = page_size(info, first)
        if size == 0:
            return []
        items = await _read(info, lambda s: identity.review_list(s, limit=size, offset=offset))
        masked = info.context.is_masked
        return [
            ReviewItem(
                link_id=strawberry.ID(str(x.link_id)),
                left_record_id=strawberry.ID(str(x.left_record_id)),
                right_record_id=strawberry.ID(str(x.right_record_id)),
                left_profile_id=strawberry.ID(x.left_profile_id) if x.left_profile_id else None,
                right_profile_id=strawberry.ID(x.right_profile_id) if x.right_profile_id else None,
                score=x.score,
                probability=x.probability,
                evidence=JSON(mask_evidence(x.evidence) if masked else x.evidence),
                link_count=x.links,
                reason=x.reason,
            )
            for x in items
        ]


@strawberry.input(description="Merge one profile into another.")
class MergeProfilesInput:
    winner_id: strawberry.ID = strawberry.field(description="The profile that keeps its id.")
    other_id: strawberry.ID = strawberry.field(description="The profile merged into it.")
    reason: str | None = strawberry.field(default=None, description="Why, for the merge log.")
    force: bool = strawberry.field(
        default=False,
        description="Merge even when they hold different one-per-person identifiers.",
    )


@strawberry.input(description="Move records out of a profile into a new one.")
class SplitProfileInput:
    profile_id: strawberry.ID = strawberry.field(description="The profile to split.")
    record_ids: list[strawberry.ID] = strawberry.field(description="The records to move out.")
    reason: str | None = strawberry.field(default=None, description="Why, for the merge log.")


@strawberry.input(description="Say that two records are never the same person.")
class ForbidLinkInput:
    left_record_id: strawberry.ID = strawberry.field(description="One record.")
    right_record_id: strawberry.ID = strawberry.field(description="The other record.")
    reason: str | None = strawberry.field(default=None, description="Why, for the audit.")


@strawberry.type
class IdentityMutation:
    @strawberry.mutation(description="Merge two profiles (admin); later runs respect it.")
    async def merge_profiles(
        self,
        info: Info,
        input: Annotated[MergeProfilesInput, strawberry.argument(description="What to do.")],
    ) -> MergeProfilesResult:
        check_role(info, ONLY_ADMIN)
        actor = info.context.actor
        result = await _write(
            info,
            lambda s: _refreshed(
                s,
                identity.merge_profiles(
                    s,
                    str(input.winner_id),
                    str(input.other_id),
                    actor=actor,
                    reason=input.reason,
                    force=input.force,
                ),
                info.context,
            ),
        )
        return ProfilesMerged(
            merged_profile_id=strawberry.ID(result.merged_profile_id),
            record_count=result.record_count,
            profile_id=result.profile_id,
        )

    @strawberry.mutation(description="Split records out into a new profile (admin).")
    async def split_profile(
        self,
        info: Info,
        input: Annotated[SplitProfileInput, strawberry.argument(description="What to do.")],
    ) -> SplitProfileResult:
        check_role(info, ONLY_ADMIN)
        actor = info.context.actor
        record_ids = [_record_id(r, "recordIds") for r in input.record_ids]
        result = await _write(
            info,
            lambda s: _refreshed(
                s,
                identity.split_profile(
                    s, str(input.profile_id), record_ids, actor=actor, reason=input.reason
                ),
                info.context,
            ),
        )
        return ProfileSplit(
            record_ids=[strawberry.ID(str(r)) for r in result.record_ids],
            profile_id=result.profile_id,
            new_profile_id=result.new_profile_id,
        )

    @strawberry.mutation(description="Forbid automatic runs to link two records (admin).")
    async def forbid_link(
        self,
        info: Info,
        input: Annotated[ForbidLinkInput, strawberry.argument(description="What to do.")],
    ) -> ForbidLinkResult:
        check_role(info, ONLY_ADMIN)
        actor = info.context.actor
        left = _record_id(input.left_record_id, "leftRecordId")
        right = _record_id(input.right_record_id, "rightRecordId")
        context = info.context

        def forbid(session: Session) -> identity.ForbidResult:
            done = identity.forbid_link(session, left, right, actor=actor, reason=input.reason)
            audit.record(
                session,
                actor=actor,
                action="identity.forbid_link",
                target_type="records",
                target_id=f"{left},{right}",
                key_id=context.key_id,
            )
            return done

        result = await _write(info, forbid)
        return LinkForbidden(
            left_record_id=strawberry.ID(str(result.left_record_id)),
            right_record_id=strawberry.ID(str(result.right_record_id)),
            shares_profile=result.shares_profile,
            profile_id=strawberry.ID(result.profile_id) if result.profile_id else None,
        )
