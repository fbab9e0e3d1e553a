"""The refresh steps of activation (`cdp.refresh.steps`): `mark` runs first and notes when
the refresh began; `capture` runs last and, for the touched profiles, writes the segment
entries and exits the refresh made (memberships added, exits recorded since the mark) to the
outbox, for the destinations that want those segments, and publishes them, with a
`profile.changed` per touched profile, to live subscriptions (`cdp.activation.live`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cdp import models
from cdp.activation.dispatch import listed
from cdp.activation.live import LiveChange, publish
from cdp.activation.outbox import Change, emit
from cdp.types import utcnow

__all__ = ["capture", "mark", "segment_changes"]

_SINCE = "cdp.activation.refresh_started"
CHUNK = 2_000


def mark(session: Session, profile_ids: Sequence[str] | None) -> None:
    session.info[_SINCE] = utcnow()


def segment_changes(
    session: Session, since: datetime, profile_ids: Sequence[str] | None
) -> list[tuple[str, str, str, datetime]]:
    """(topic, profile id, segment name, when) for entries and exits since `since`."""
    m, x, s = models.SegmentMembership, models.SegmentExit, models.Segment
    chunks: list[Sequence[str] | None] = (
        [None]
        if profile_ids is None
        else [profile_ids[i : i + CHUNK] for i in range(0, len(profile_ids), CHUNK)]
    )
    found: list[tuple[str, str, str, datetime]] = []
    for chunk in chunks:
        entered = select(m.profile_id, s.name, m.added_at).join(s, s.id == m.segment_id)
        entered = entered.where(m.added_at >= since)
        exited = select(x.profile_id, s.name, x.exited_at).join(s, s.id == x.segment_id)
        exited = exited.where(x.exited_at >= since)
        if chunk is not None:
            entered = entered.where(m.profile_id.in_(list(chunk)))
            exited = exited.where(x.profile_id.in_(list(chunk)))
        found += [("segment.entered", p, n, t) for p, n, t in session.execute(entered)]
        found += [("segment.exited", p, n, t) for p, n, t in session.execute(exited)]
    return found


def capture(session: Session, profile_ids: Sequence[str] | None) -> int:
    """Outbox entries and live changes for this refresh; returns the outbox entries written."""
    since = session.info.pop(_SINCE, None)
    if since is None:
        return 0
    changes = segment_changes(session, since, profile_ids)
    wanted = list(
        session.scalars(
            select(models.Destination.segments).where(models.Destination.enabled.is_(True))
        )
    )
    written = emit(
        session,
        [
            Change(topic, profile_id, {"segment": name, "at": at.isoformat()})
            for topic, profile_id, name, at in changes
            if any(listed(names, name) for names in wanted)
        ],
    )
    now = utcnow().isoformat()
    live = [LiveChange(topic, p, at.isoformat(), name) for topic, p, name, at in changes]
    if profile_ids is not None:
        live += [LiveChange("profile.changed", p, now) for p in profile_ids]
    publish(session, live)
    return written
