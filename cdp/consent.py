"""Reading consent: may this profile be contacted for this purpose (on this channel)?

Consents are stored as changes (`models.Consent`, one row per decision a channel or an app
reported); the latest decision per profile and purpose (and channel, when one is asked about)
is in force. Unknown means no: a profile with no decision is never consented.
"""

from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from cdp import models

__all__ = ["can_contact", "consented_profiles"]

GRANTED = "granted"


def _latest(purpose: str, channel: str | None) -> Select[tuple[str, str]]:
    c = models.Consent
    partition = [c.profile_id] if channel is None else [c.profile_id, c.channel]
    ranked = (
        select(
            c.profile_id.label("profile_id"),
            c.status.label("status"),
            func.row_number()
            .over(partition_by=partition, order_by=(c.occurred_at.desc(), c.id.desc()))
            .label("rank"),
        )
        .where(c.purpose == purpose, c.profile_id.is_not(None))
        .where(*([] if channel is None else [c.channel == channel]))
        .subquery("ranked_consents")
    )
    return select(ranked.c.profile_id, ranked.c.status).where(ranked.c.rank == 1)


def consented_profiles(purpose: str, channel: str | None = None) -> Select[tuple[str]]:
    """A select of the ids of the profiles whose latest decision for `purpose` (on `channel`,
    when given) is a grant; use it as a subquery (`profile_id.in_(...)`)."""
    latest = _latest(purpose, channel).subquery("latest_consents")
    return select(latest.c.profile_id).where(latest.c.status == GRANTED)


def can_contact(
    session: Session, profile_id: str, purpose: str, channel: str | None = None
) -> bool:
    """Whether the latest decision for this profile and purpose (and channel) is a grant."""
    c = models.Consent
    query = select(c.status).where(c.profile_id == profile_id, c.purpose == purpose)
    if channel is not None:
        query = query.where(c.channel == channel)
    status = session.scalars(query.order_by(c.occurred_at.desc(), c.id.desc()).limit(1)).first()
    return status == GRANTED
