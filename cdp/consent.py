"""Consent: may this profile be contacted for this purpose (on this channel)? The one definition.

Consents are stored as decisions (`models.Consent`, one row per decision a channel or an app
reported: `granted`, `denied` or `revoked`, with its source, time and evidence), never
overwritten, so the full history stays. For a purpose, the decision in force is the latest
one (by time, then by arrival) among the profile's decisions for that purpose on the channel
asked about or on `any` channel; asked without a channel, the latest on any channel. Only a
grant allows contact: unknown means no, and `denied` (never agreed) and `revoked` (withdrawn)
both mean no.

A merge moves every decision to the survivor, so histories combine and the latest decision
per purpose wins; a split gives each side back its own (a decision from a record follows the
record; one an app set follows the profile it was made for, `origin_profile_id`, see
`follow_origin`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, func, select, update
from sqlalchemy.orm import Session

from cdp import models

__all__ = [
    "ANY_CHANNEL",
    "DENIED",
    "GRANTED",
    "REVOKED",
    "STATUSES",
    "Decision",
    "can_contact",
    "consent_in_force",
    "consented_profiles",
    "decision_query",
    "follow_origin",
    "is_allowed",
    "status_in_force",
]

GRANTED = "granted"
DENIED = "denied"
REVOKED = "revoked"
STATUSES = (GRANTED, DENIED, REVOKED)
#: the channel of a decision that covers every channel (a cookie banner's "Analytics: off")
ANY_CHANNEL = "any"


def is_allowed(status: str | None) -> bool:
    """Whether a decision in force allows contact: only a grant does (None is unknown: no)."""
    return status == GRANTED


def _channel_matches(channel: str | None) -> list[ColumnElement[bool]]:
    c = models.Consent
    return [] if channel is None else [c.channel.in_((channel, ANY_CHANNEL))]


_NEWEST_FIRST = (models.Consent.occurred_at.desc(), models.Consent.id.desc())


def _latest(purpose: str, channel: str | None) -> Select[tuple[str, str]]:
    c = models.Consent
    ranked = (
        select(
            c.profile_id.label("profile_id"),
            c.status.label("status"),
            func.row_number().over(partition_by=c.profile_id, order_by=_NEWEST_FIRST).label("rank"),
        )
        .where(c.purpose == purpose, c.profile_id.is_not(None), *_channel_matches(channel))
        .subquery("ranked_consents")
    )
    return select(ranked.c.profile_id, ranked.c.status).where(ranked.c.rank == 1)


def consented_profiles(purpose: str, channel: str | None = None) -> Select[tuple[str]]:
    """A select of the ids of the profiles whose decision in force for `purpose` (on
    `channel`, when given) is a grant; use it as a subquery (`profile_id.in_(...)`)."""
    latest = _latest(purpose, channel).subquery("latest_consents")
    return select(latest.c.profile_id).where(latest.c.status == GRANTED)


def decision_query(profile_id: str, purpose: str, channel: str | None = None) -> Select[str]:
    """The status in force for one profile and purpose (one row at most); run it on a sync or
    an async session and pass the result to `is_allowed`."""
    c = models.Consent
    return (
        select(c.status)
        .where(c.profile_id == profile_id, c.purpose == purpose, *_channel_matches(channel))
        .order_by(*_NEWEST_FIRST)
        .limit(1)
    )


def can_contact(
    session: Session, profile_id: str, purpose: str, channel: str | None = None
) -> bool:
    """Whether the decision in force for this profile and purpose (and channel) is a grant."""
    status = session.scalars(decision_query(profile_id, purpose, channel)).first()
    return is_allowed(status)


def status_in_force(
    rows: Sequence[models.Consent], purpose: str, channel: str | None = None
) -> str | None:
    """`decision_query` over one profile's rows already loaded (any order): the status of the
    latest decision for `purpose` on `channel` or `any` (on any channel when None)."""
    best: models.Consent | None = None
    for row in rows:
        if row.purpose != purpose:
            continue
        if channel is not None and row.channel not in (channel, ANY_CHANNEL):
            continue
        if best is None or (row.occurred_at, row.id) > (best.occurred_at, best.id):
            best = row
    return None if best is None else best.status


@dataclass(frozen=True)
class Decision:
    """A decision in force: for one purpose on one channel (or `any`)."""

    purpose: str
    channel: str
    status: str
    occurred_at: datetime
    consent_id: int

    @property
    def is_allowed(self) -> bool:
        return is_allowed(self.status)


def consent_in_force(rows: Sequence[models.Consent]) -> list[Decision]:
    """The decision in force per (purpose, channel) among one profile's decisions, sorted by
    purpose and channel (pure: the rows come from any loader)."""
    latest: dict[tuple[str, str], models.Consent] = {}
    for row in rows:
        key = (row.purpose, row.channel)
        kept = latest.get(key)
        if kept is None or (row.occurred_at, row.id) > (kept.occurred_at, kept.id):
            latest[key] = row
    return [
        Decision(row.purpose, row.channel, row.status, row.occurred_at, row.id)
        for _, row in sorted(latest.items())
    ]


def follow_origin(session: Session, profile_ids: Sequence[str] | None) -> int:
    """Give decisions an app set back to the profile they were made for when it is active
    again (after a split), for these profiles (None: all); returns how many moved. A refresh
    step (`cdp.refresh.steps`)."""
    c = models.Consent
    p = models.Profile
    active = select(p.id).where(p.status == "active")
    if profile_ids is not None:
        active = active.where(p.id.in_(list(profile_ids)))
    result = session.execute(
        update(c)
        .where(
            c.record_id.is_(None),
            c.origin_profile_id.in_(active),
            c.profile_id != c.origin_profile_id,
        )
        .values(profile_id=c.origin_profile_id)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
