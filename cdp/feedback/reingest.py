"""Keeping a piece of feedback's workflow when its source record is re-ingested changed.

Ingest replaces a changed record's facts (it deletes them and writes the new version's), and
the workflow of its feedback (status, assignee, resolution, when it was resolved, the history
of changes, and the row's id, which apps and people refer to) belongs to the people who
worked on it, not to the source. `detach` takes that workflow aside before the delete;
`reattach` gives it to the new rows after the write, matched per record in order (the first
feedback of the record's old version to the first of the new one...), under the old id. The
new text is analysed again like any new row. Feedback of a new version that has more rows
than the old one starts fresh; workflow of old rows the new version no longer has is dropped
with its row. Both run in ingest's transaction and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from cdp import models

__all__ = ["DetachedWorkflow", "detach", "reattach"]

_KEPT = ("status", "assignee", "resolution_note", "resolved_at", "created_at", "updated_at")
_HISTORY = ("from_status", "to_status", "actor", "note", "changed_at")


@dataclass(frozen=True)
class DetachedWorkflow:
    """Per record id: each old feedback row's id, workflow fields and history, in id order."""

    rows: dict[int, list[tuple[int, dict[str, Any], list[dict[str, Any]]]]]


def detach(session: Session, record_ids: Sequence[int]) -> DetachedWorkflow:
    """Read the workflow of the feedback of these records (before ingest deletes it)."""
    f, h = models.Feedback, models.FeedbackStatusChange
    if not record_ids:
        return DetachedWorkflow({})
    columns = [getattr(f, name) for name in _KEPT]
    found = session.execute(
        select(f.id, f.record_id, *columns).where(f.record_id.in_(record_ids)).order_by(f.id)
    ).all()
    if not found:
        return DetachedWorkflow({})
    history: dict[int, list[dict[str, Any]]] = {}
    changes = session.execute(
        select(h.feedback_id, *(getattr(h, name) for name in _HISTORY))
        .where(h.feedback_id.in_([row[0] for row in found]))
        .order_by(h.id)
    )
    for feedback_id, *values in changes:
        history.setdefault(feedback_id, []).append(dict(zip(_HISTORY, values, strict=True)))
    rows: dict[int, list[tuple[int, dict[str, Any], list[dict[str, Any]]]]] = {}
    for feedback_id, record_id, *values in found:
        kept = dict(zip(_KEPT, values, strict=True))
        rows.setdefault(record_id, []).append((feedback_id, kept, history.get(feedback_id, [])))
    return DetachedWorkflow(rows)


def reattach(session: Session, detached: DetachedWorkflow) -> int:
    """Give the detached workflow to the records' new feedback rows; returns how many."""
    if not detached.rows:
        return 0
    f, h = models.Feedback, models.FeedbackStatusChange
    new_rows = session.execute(
        select(f.id, f.record_id).where(f.record_id.in_(list(detached.rows))).order_by(f.id)
    ).all()
    by_record: dict[int, list[int]] = {}
    for feedback_id, record_id in new_rows:
        if record_id is not None:
            by_record.setdefault(record_id, []).append(feedback_id)
    carried = 0
    for record_id, old in detached.rows.items():
        for (old_id, kept, history), new_id in zip(old, by_record.get(record_id, []), strict=False):
            session.execute(update(f).where(f.id == new_id).values(id=old_id, **_changed(kept)))
            if history:
                session.execute(
                    insert(h), [{"feedback_id": old_id, **change} for change in history]
                )
            carried += 1
    return carried


def _changed(kept: dict[str, Any]) -> dict[str, Any]:
    values = dict(kept)
    if values.get("updated_at") is None:
        values.pop("updated_at")
    created: datetime | None = values.get("created_at")
    if created is None:
        values.pop("created_at")
    return values
