"""Privacy in the schema: access exports and erasures (admin mutations), erasure receipts and
the audit log (admin queries). Each calls `cdp.privacy` / `cdp.audit` on a sync session
through `run_sync`; a mutation is one unit of work."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, TypeVar

import strawberry
from sqlalchemy import select
from sqlalchemy.orm import Session
from strawberry.scalars import JSON

from cdp import audit, models
from cdp.errors import InvalidInputError
from cdp.privacy.access import export_profile
from cdp.privacy.erasure import ErasureReceipt, erase_profile
from schema._access import ONLY_ADMIN, requires
from schema._context import Context
from schema._mutation import check_role
from schema._paging import page_size
from schema._results import Forbidden, InvalidInput, NotFound, RoleDeniedError

__all__ = ["PrivacyMutation", "PrivacyQuery"]

Info = strawberry.Info[Context, None]
T = TypeVar("T")


async def _write(info: Info, call: Callable[[Session], T]) -> T:
    async with info.context.sessionmaker.begin() as session:
        return await session.run_sync(call)


async def _checked(info: Info, action: str, target: str) -> None:
    """`check_role` for admins only; a refused attempt is audited (outcome `denied`)."""
    try:
        check_role(info, ONLY_ADMIN)
    except RoleDeniedError:
        entry = audit.entry(
            actor=info.context.actor,
            action=action,
            target_type="profile",
            target_id=target,
            key_id=info.context.key_id,
            outcome="denied",
        )
        async with info.context.sessionmaker.begin() as session:
            session.add(entry)
        raise


async def _read(info: Info, call: Callable[[Session], T]) -> T:
    async with info.context.sessionmaker() as session:
        return await session.run_sync(call)


@strawberry.type(description="Everything held about a person, as one JSON document.")
class ProfileExport:
    profile_id: strawberry.ID = strawberry.field(description="The (surviving) profile.")
    document: JSON = strawberry.field(
        description="Golden record, identifiers, raw records, facts, consents, traits, segment "
        "memberships, merge history: every row of every table that refers to the person."
    )


@strawberry.type(description="What an erasure removed, when and by whom; no personal data.")
class ErasureReceiptType:
    id: strawberry.ID = strawberry.field(description="The receipt's id.")
    actor: str = strawberry.field(description="Who asked for it, and through which key.")
    reason: str = strawberry.field(description="Why (e.g. the request's ticket).")
    requested_at: datetime = strawberry.field(description="When it started.")
    completed_at: datetime = strawberry.field(description="When it was done.")
    profiles: int = strawberry.field(description="Profiles erased (the person and merged ones).")
    records: int = strawberry.field(description="Source records erased.")
    rows_by_table: JSON = strawberry.field(description="Rows removed (or cleaned) per table.")
    suppressed: JSON = strawberry.field(description="Identifiers suppressed, per kind.")

    @classmethod
    def from_receipt(cls, receipt: ErasureReceipt) -> ErasureReceiptType:
        return cls(
            id=strawberry.ID(receipt.id),
            actor=receipt.actor,
            reason=receipt.reason,
            requested_at=receipt.requested_at,
            completed_at=receipt.completed_at,
            profiles=receipt.profiles,
            records=receipt.records,
            rows_by_table=JSON(receipt.rows_by_table),
            suppressed=JSON(receipt.suppressed),
        )


@strawberry.type(description="The person was erased; the receipt says what went.")
class ProfileErased:
    receipt: ErasureReceiptType = strawberry.field(description="The erasure's receipt.")


ExportProfileResult = Annotated[
    ProfileExport | NotFound | Forbidden,
    strawberry.union("ExportProfileResult", description="The document, or why not."),
]
EraseProfileResult = Annotated[
    ProfileErased | NotFound | InvalidInput | Forbidden,
    strawberry.union("EraseProfileResult", description="Erased, or why not."),
]


@strawberry.input(description="An erasure request (GDPR article 17).")
class EraseProfileInput:
    profile_id: strawberry.ID = strawberry.field(description="Whom (merged ids follow).")
    requested_by: str = strawberry.field(description="Who asked for it (kept on the receipt).")
    reason: str = strawberry.field(
        description="Why, e.g. the request's ticket; no personal data (kept on the receipt)."
    )


@strawberry.type
class PrivacyMutation:
    @strawberry.mutation(
        description="Everything held about a person as one JSON document (role: admin; audited)."
    )
    async def export_profile(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="A profile id.")],
    ) -> ExportProfileResult:
        await _checked(info, "privacy.export", str(id))
        actor, key_id = info.context.actor, info.context.key_id
        document = await _write(
            info, lambda s: export_profile(s, str(id), actor=actor, key_id=key_id)
        )
        return ProfileExport(
            profile_id=strawberry.ID(document["profile_id"]), document=JSON(document)
        )

    @strawberry.mutation(
        description="Erase a person from every table, suppress their identifiers so their "
        "records are held back when they arrive again, and keep a receipt (role: admin; audited)."
    )
    async def erase_profile(
        self,
        info: Info,
        input: Annotated[EraseProfileInput, strawberry.argument(description="The request.")],
    ) -> EraseProfileResult:
        await _checked(info, "privacy.erase", str(input.profile_id))
        requested_by = input.requested_by.strip()
        if not requested_by:
            raise InvalidInputError("requestedBy", "is empty; name who asked for the erasure")
        actor = f"{requested_by[:100]} ({info.context.actor})"
        key_id = info.context.key_id
        receipt = await _write(
            info,
            lambda s: erase_profile(
                s, str(input.profile_id), actor=actor, reason=input.reason, key_id=key_id
            ),
        )
        return ProfileErased(receipt=ErasureReceiptType.from_receipt(receipt))


@strawberry.type(description="One administrative action, as the audit log keeps it.")
class AuditEntry:
    id: strawberry.ID = strawberry.field(description="Increasing with time.")
    at: datetime = strawberry.field(description="When.")
    actor: str = strawberry.field(description="Who (`key:PREFIX`, `cli:USER`, or a name).")
    key_id: int | None = strawberry.field(description="The API key's id, when a key acted.")
    action: str = strawberry.field(description="What, e.g. `privacy.erase`, `consent.set`.")
    target_type: str = strawberry.field(description="The kind of thing acted on.")
    target_id: str = strawberry.field(description="Its id.")
    outcome: str = strawberry.field(description="`ok`, `denied` or `failed`.")
    details: JSON = strawberry.field(description="Ids and counts; never personal data.")

    @classmethod
    def from_model(cls, row: models.AuditLog) -> AuditEntry:
        return cls(
            id=strawberry.ID(str(row.id)),
            at=row.created_at,
            actor=row.actor,
            key_id=row.key_id,
            action=row.action,
            target_type=row.target_type,
            target_id=row.target_id,
            outcome=row.outcome,
            details=JSON(row.details),
        )


@strawberry.type(description="A page of audit entries, newest first.")
class AuditPage:
    nodes: list[AuditEntry] = strawberry.field(description="The entries.")
    end_cursor: str | None = strawberry.field(description="Pass as `after` for the next page.")
    has_next_page: bool = strawberry.field(description="Whether older entries remain.")


@strawberry.input(description="Narrows the audit log; every field is optional.")
class AuditFilterInput:
    action: str | None = strawberry.field(default=None, description="Actions with this prefix.")
    actor: str | None = strawberry.field(default=None, description="Exactly this actor.")
    target_type: str | None = strawberry.field(default=None, description="e.g. `profile`.")
    target_id: str | None = strawberry.field(default=None, description="e.g. a profile id.")
    since: datetime | None = strawberry.field(default=None, description="At or after.")
    until: datetime | None = strawberry.field(default=None, description="Before.")


def _cursor(entry_id: int) -> str:
    return base64.urlsafe_b64encode(f"audit:{entry_id}".encode()).decode()


def _before_id(after: str | None) -> int | None:
    if after is None:
        return None
    try:
        kind, _, value = base64.urlsafe_b64decode(after.encode()).decode().partition(":")
        if kind == "audit" and value.isdigit():
            return int(value)
    except (ValueError, UnicodeDecodeError):
        pass
    raise InvalidInputError("after", f"{after[:40]!r} is not a cursor from auditLog's endCursor")


@strawberry.type
class PrivacyQuery:
    @strawberry.field(
        description="The audit log of administrative actions, newest first (role: admin).",
        permission_classes=requires(ONLY_ADMIN),
    )
    async def audit_log(
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description="Page size.")] = None,
        after: Annotated[
            str | None, strawberry.argument(description="`endCursor` of the page before.")
        ] = None,
        filter: Annotated[
            AuditFilterInput | None, strawberry.argument(description="Narrows the entries.")
        ] = None,
    ) -> AuditPage:
        size = page_size(info, first)
        before = _before_id(after)
        f = filter or AuditFilterInput()
        filters = audit.AuditFilter(f.action, f.actor, f.target_type, f.target_id, f.since, f.until)
        rows = await _read(
            info, lambda s: list(audit.list_entries(s, filters, limit=size + 1, before_id=before))
        )
        page = rows[:size]
        return AuditPage(
            nodes=[AuditEntry.from_model(r) for r in page],
            end_cursor=_cursor(page[-1].id) if page else None,
            has_next_page=len(rows) > size,
        )

    @strawberry.field(
        description="Erasure receipts, newest first (role: admin).",
        permission_classes=requires(ONLY_ADMIN),
    )
    async def erasures(
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description="How many.")] = None,
    ) -> list[ErasureReceiptType]:
        size = page_size(info, first)

        def load(session: Session) -> list[ErasureReceipt]:
            e = models.Erasure
            rows = session.scalars(select(e).order_by(e.requested_at.desc()).limit(size))
            return [ErasureReceipt.from_model(row) for row in rows]

        return [ErasureReceiptType.from_receipt(r) for r in await _read(info, load)]
