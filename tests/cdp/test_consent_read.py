"""Reading consent: the latest decision per purpose (and channel) is in force; unknown is no."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from cdp.consent import can_contact, consented_profiles
from cdp.db import unit_of_work


def _at(day: int) -> datetime:
    return datetime(2026, 1, day, tzinfo=UTC)


def test_latest_decision_wins_per_purpose_and_channel(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        for pid in ("p1", "p2", "p3"):
            session.add(models.Profile(id=pid))
        session.flush()
        rows = [
            ("p1", "email", "email_marketing", "granted", 1),
            ("p1", "email", "email_marketing", "revoked", 3),
            ("p1", "web", "email_marketing", "granted", 2),
            ("p2", "email", "email_marketing", "revoked", 1),
            ("p2", "email", "email_marketing", "granted", 2),
            ("p3", "email", "analytics", "granted", 1),
        ]
        for pid, channel, purpose, status, day in rows:
            session.add(
                models.Consent(
                    profile_id=pid,
                    channel=channel,
                    purpose=purpose,
                    status=status,
                    occurred_at=_at(day),
                )
            )
    with unit_of_work(session_factory) as session:
        assert set(session.scalars(consented_profiles("email_marketing"))) == {"p2"}
        assert set(session.scalars(consented_profiles("email_marketing", "web"))) == {"p1"}
        assert set(session.scalars(consented_profiles("analytics"))) == {"p3"}
        assert can_contact(session, "p2", "email_marketing")
        assert not can_contact(session, "p1", "email_marketing")
        assert can_contact(session, "p1", "email_marketing", "web")
        assert not can_contact(session, "p3", "email_marketing")  # unknown means no
        assert not can_contact(session, "nobody", "analytics")
