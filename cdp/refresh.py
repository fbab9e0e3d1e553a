"""Recompute what depends on profiles, for exactly the profiles a change touched.

Identity and ingest report what they touched (the records they stored and resolved, the
profiles they merged or split); the composition root (`cdp.commands`, `cdp.web`) and the
GraphQL mutations pass those profile ids here, in the same unit of work as the change, and
each domain's step recomputes its derived data for them: traits first (`cdp.value`), segment
memberships after them (`cdp.segments`), change capture for activation last
(`cdp.activation`). A step takes a session and the touched ids (`None` means every profile,
after a full rebuild) and never commits.

A merge touches both the survivor and the merged-away id (whose derived rows must go); a split
touches both sides.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from cdp import models

__all__ = ["RefreshReport", "Step", "after_resolution", "refresh_profiles", "steps"]

#: a domain's refresh: the session and the touched profile ids (None: every profile)
Step = Callable[[Session, Sequence[str] | None], object]


def steps() -> list[tuple[str, Step]]:
    """The refresh steps, in the order they run. Each domain adds its own entry here, imported
    lazily so that importing this module stays cheap and free of cycles."""
    from cdp.activation.actions import follow_profiles  # flows' awards follow merges
    from cdp.activation.capture import capture, mark  # first and last: what changed between
    from cdp.consent import follow_origin  # consent set through the API follows its profile
    from cdp.value.step import refresh_traits

    found: list[tuple[str, Step]] = [
        ("activation.mark", mark),
        ("consent", follow_origin),
        ("activation.follow", follow_profiles),
        ("traits", refresh_traits),
    ]
    from cdp.segments import refresh_touched  # after traits: conditions read them

    found.append(("segments", refresh_touched))
    found.append(("activation", capture))
    return found


@dataclass(frozen=True)
class RefreshReport:
    """What a refresh did: how many profiles it was asked about and the seconds per step."""

    profiles: int | None
    seconds: dict[str, float] = field(default_factory=dict)


def refresh_profiles(session: Session, profile_ids: Iterable[str] | None) -> RefreshReport:
    """Run every step for these profiles (None: for every profile); an empty set does nothing."""
    ids: list[str] | None = None if profile_ids is None else sorted(set(profile_ids))
    if ids is not None and not ids:
        return RefreshReport(0)
    seconds: dict[str, float] = {}
    for name, step in steps():
        started = time.perf_counter()
        step(session, ids)
        seconds[name] = time.perf_counter() - started
    return RefreshReport(None if ids is None else len(ids), seconds)


def profiles_of_records(session: Session, record_ids: Sequence[int]) -> set[str]:
    """The profiles these records resolved to (records not resolved yet have none)."""
    found: set[str] = set()
    ids = sorted(set(record_ids))
    for start in range(0, len(ids), 5_000):
        chunk = ids[start : start + 5_000]
        found.update(
            session.scalars(
                select(models.SourceRecord.profile_id)
                .where(models.SourceRecord.id.in_(chunk))
                .where(models.SourceRecord.profile_id.is_not(None))
                .distinct()
            )
        )
    return found


def after_resolution(
    session: Session,
    record_ids: Sequence[int],
    merges: Iterable[tuple[str, str]] = (),
) -> RefreshReport:
    """Refresh after a batch of records was resolved: their profiles, and both sides of every
    merge the batch caused."""
    touched = profiles_of_records(session, record_ids)
    for survivor, merged in merges:
        touched.update((survivor, merged))
    report = refresh_profiles(session, touched)
    # the records' events, for destinations and flows (cdp.activation), after the traits and
    # memberships they may read
    from cdp.activation.outbox import capture_records

    capture_records(session, record_ids)
    return report
