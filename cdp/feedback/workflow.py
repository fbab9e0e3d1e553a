"""The status workflow of a feedback item: open -> in progress -> resolved -> closed, with
reopening (`cdp.feedback.kinds.TRANSITIONS`), an assignee and a resolution note.

Every change of status or assignee adds a `feedback_status_changes` row with the actor, the
time and the note; a move the workflow does not allow is refused with `ConflictError` naming
the current status and the allowed ones. Resolving needs a resolution note (given now, or
already stored). Functions take the caller's session and never commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cdp import models
from cdp.errors import ConflictError, InvalidInputError, NotFoundError
from cdp.feedback.kinds import CLOSED_STATUSES, FEEDBACK_STATUSES, TRANSITIONS, can_move
from cdp.types import utcnow

__all__ = ["assign_feedback", "change_status", "feedback_history", "get_feedback"]

MAX_NOTE = 5000


async def get_feedback(session: AsyncSession, feedback_id: int) -> models.Feedback:
    """The row (locked for update on PostgreSQL), or `NotFoundError`."""
    row = await session.scalar(
        select(models.Feedback).where(models.Feedback.id == feedback_id).with_for_update()
    )
    if row is None:
        raise NotFoundError("feedback", str(feedback_id))
    return row


def _check_note(note: str | None) -> str | None:
    if note is not None and len(note) > MAX_NOTE:
        raise InvalidInputError("note", f"{len(note)} characters is too long; at most {MAX_NOTE}")
    return note.strip() or None if note is not None else None


async def change_status(
    session: AsyncSession,
    feedback_id: int,
    status: str,
    *,
    actor: str,
    note: str | None = None,
    at: datetime | None = None,
) -> models.Feedback:
    """Move the item to `status`; the note becomes the resolution note when resolving."""
    if status not in FEEDBACK_STATUSES:
        known = ", ".join(FEEDBACK_STATUSES)
        raise InvalidInputError("status", f"{status!r} is not one of {known}")
    note = _check_note(note)
    row = await get_feedback(session, feedback_id)
    if not can_move(row.status, status):
        allowed = ", ".join(sorted(TRANSITIONS[row.status])) or "none"
        raise ConflictError(
            f"feedback {feedback_id} is {row.status!r} and cannot move to {status!r}; "
            f"from {row.status!r} it may move to: {allowed}"
        )
    if status == "resolved" and not (note or row.resolution_note):
        raise InvalidInputError("note", "resolving needs a resolution note saying what was done")
    now = at or utcnow()
    previous = row.status
    row.status = status
    if status == "resolved" and note:
        row.resolution_note = note
    if status in CLOSED_STATUSES:
        row.resolved_at = row.resolved_at or now
    else:
        row.resolved_at = None
    row.updated_at = now
    _history(session, row, previous, status, actor, note, now)
    await session.flush()
    return row


async def assign_feedback(
    session: AsyncSession,
    feedback_id: int,
    assignee: str | None,
    *,
    actor: str,
    at: datetime | None = None,
) -> models.Feedback:
    """Give the item to `assignee` (None takes it from whoever had it); an open item
    assigned to someone is in progress."""
    cleaned = assignee.strip() if assignee else None
    if cleaned is not None and len(cleaned) > 200:
        raise InvalidInputError("assignee", f"{len(cleaned)} characters is too long; at most 200")
    row = await get_feedback(session, feedback_id)
    now = at or utcnow()
    previous = row.status
    row.assignee = cleaned or None
    if row.assignee and row.status == "open":
        row.status = "in_progress"
    row.updated_at = now
    note = f"assigned to {row.assignee}" if row.assignee else "unassigned"
    _history(session, row, previous, row.status, actor, note, now)
    await session.flush()
    return row


def _history(
    session: AsyncSession,
    row: models.Feedback,
    previous: str,
    status: str,
    actor: str,
    note: str | None,
    at: datetime,
) -> None:
    session.add(
        models.FeedbackStatusChange(
            feedback_id=row.id,
            from_status=previous,
            to_status=status,
            actor=actor,
            note=note,
            changed_at=at,
        )
    )


async def feedback_history(
    session: AsyncSession, feedback_ids: list[int]
) -> dict[int, list[models.FeedbackStatusChange]]:
    """The status changes of each item, oldest first (one query for all ids)."""
    table = models.FeedbackStatusChange
    rows = await session.scalars(
        select(table).where(table.feedback_id.in_(feedback_ids)).order_by(table.id)
    )
    history: dict[int, list[models.FeedbackStatusChange]] = {i: [] for i in feedback_ids}
    for row in rows:
        history[row.feedback_id].append(row)
    return history
