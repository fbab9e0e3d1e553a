"""The refresh steps of activation (`cdp.refresh.steps`): `mark` runs first and notes when
the refresh began; `capture` runs last and, for the touched profiles, writes the segment
entries and exits the refresh made (memberships added, exits recorded since the mark) to the
outbox, for the destinations that want those segments, and publishes them, with a
`profile.changed` per touched profile, to live subscriptions (`cdp.activation.live`).

Trait changes: when some destination lists traits (`profile_traits` columns, e.g.
`value_tier`), `mark` snapshots those values of the touched profiles (up to
`MAX_TRAIT_SNAPSHOT` of them: a full rebuild is not a stream of changes) and `capture` writes a
`trait.changed` entry (`trait`, `old`, `new`) for each value the refresh changed.

A segment refresh outside `refresh_profiles` (`cdp segments refresh` for time windows, a
segment created or changed, GraphQL's `refreshSegment`) runs inside `segment_refresh`, which
gives it the moment to refresh at and then writes the entries and exits made at that moment
the same way.

Segment entries and exits are written for the segments some enabled destination lists or
some enabled flow is triggered by (`{ segment = "vip" }`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cdp import models
from cdp.activation.dispatch import listed
from cdp.activation.live import LiveChange, publish
from cdp.activation.outbox import Change, emit
from cdp.types import utcnow

__all__ = ["capture", "mark", "segment_changes", "segment_refresh"]

_SINCE = "cdp.activation.refresh_started"
CHUNK = 2_000


_TRAITS_BEFORE = "cdp.activation.traits_before"
MAX_TRAIT_SNAPSHOT = 1_000
_TRAIT_COLUMNS = tuple(
    c.name for c in models.ProfileTraits.__table__.columns if c.name not in ("profile_id",)
)


def mark(session: Session, profile_ids: Sequence[str] | None) -> None:
    session.info[_SINCE] = utcnow()
    names = _listed_traits(session)
    if names and profile_ids is not None and len(profile_ids) <= MAX_TRAIT_SNAPSHOT:
        session.info[_TRAITS_BEFORE] = (names, _trait_values(session, names, profile_ids))


def _listed_traits(session: Session) -> tuple[str, ...]:
    """The trait columns some enabled destination lists (`*`: every one)."""
    listed_names: set[str] = set()
    for names in session.scalars(
        select(models.Destination.traits).where(models.Destination.enabled.is_(True))
    ):
        listed_names.update(names or ())
    for definition in session.scalars(
        select(models.Flow.definition).where(models.Flow.enabled.is_(True))
    ):
        if definition.get("trigger", {}).get("trait"):
            listed_names.add(definition["trigger"]["trait"])
    if "*" in listed_names:
        return tuple(c for c in _TRAIT_COLUMNS if c not in ("computed_at", "as_of"))
    return tuple(c for c in _TRAIT_COLUMNS if c in listed_names)


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _trait_values(
    session: Session, names: Sequence[str], profile_ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    t = models.ProfileTraits
    columns = [getattr(t, name) for name in names]
    rows = session.execute(
        select(t.profile_id, *columns).where(t.profile_id.in_(list(profile_ids)))
    )
    return {row[0]: {n: _jsonable(v) for n, v in zip(names, row[1:], strict=True)} for row in rows}


def trait_changes(session: Session, profile_ids: Sequence[str]) -> list[Change]:
    """`trait.changed` for every listed trait whose value the refresh changed."""
    snapshot = session.info.pop(_TRAITS_BEFORE, None)
    if snapshot is None:
        return []
    names, before = snapshot
    after = _trait_values(session, names, profile_ids)
    changes = []
    for profile_id in profile_ids:
        old, new = before.get(profile_id, {}), after.get(profile_id, {})
        for name in names:
            if old.get(name) != new.get(name):
                payload = {"trait": name, "old": old.get(name), "new": new.get(name)}
                changes.append(Change("trait.changed", profile_id, payload))
    return changes


def segment_changes(
    session: Session,
    since: datetime,
    profile_ids: Sequence[str] | None,
    *,
    exactly: bool = False,
) -> list[tuple[str, str, str, datetime]]:
    """(topic, profile id, segment name, when) for entries and exits since `since` (with
    `exactly`: made at that moment, by one refresh, and not by others committed meanwhile)."""
    m, x, s = models.SegmentMembership, models.SegmentExit, models.Segment
    chunks: list[Sequence[str] | None] = (
        [None]
        if profile_ids is None
        else [profile_ids[i : i + CHUNK] for i in range(0, len(profile_ids), CHUNK)]
    )
    found: list[tuple[str, str, str, datetime]] = []
    for chunk in chunks:
        entered = select(m.profile_id, s.name, m.added_at).join(s, s.id == m.segment_id)
        entered = entered.where(m.added_at == since if exactly else m.added_at >= since)
        exited = select(x.profile_id, s.name, x.exited_at).join(s, s.id == x.segment_id)
        exited = exited.where(x.exited_at == since if exactly else x.exited_at >= since)
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
    traits = trait_changes(session, profile_ids) if profile_ids is not None else []
    return _write(session, changes, traits, profile_ids)


@contextmanager
def segment_refresh(session: Session) -> Iterator[datetime]:
    """Around a segment refresh outside `refresh_profiles`: yields the moment to refresh at
    (pass it as the refresh's `now`), then writes the entries and exits made at that moment to
    the outbox and live subscriptions, as `capture` does for a profile refresh."""
    at = utcnow()
    yield at
    _write(session, segment_changes(session, at, None, exactly=True), [], None)


def _wanted_segments(session: Session) -> list[list[str]]:
    """The segment lists of enabled destinations, and the segments enabled flows start on."""
    from cdp.activation.flows import trigger_segment_names

    wanted = list(
        session.scalars(
            select(models.Destination.segments).where(models.Destination.enabled.is_(True))
        )
    )
    return [*wanted, sorted(trigger_segment_names(session))]


def _write(
    session: Session,
    changes: list[tuple[str, str, str, datetime]],
    traits: list[Change],
    profile_ids: Sequence[str] | None,
) -> int:
    wanted = _wanted_segments(session) if changes else []
    written = emit(
        session,
        [
            Change(topic, profile_id, {"segment": name, "at": at.isoformat()})
            for topic, profile_id, name, at in changes
            if any(listed(names, name) for names in wanted)
        ]
        + traits,
    )
    now = utcnow().isoformat()
    live = [LiveChange(topic, p, at.isoformat(), name) for topic, p, name, at in changes]
    if profile_ids is not None:
        live += [LiveChange("profile.changed", p, now) for p in profile_ids]
    publish(session, live)
    return written
