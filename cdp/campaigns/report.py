"""One campaign's figures together: email counts, conversions, retention, and per day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from cdp.campaigns.attribution import (
    AttributionSettings,
    Conversions,
    Retention,
    conversions,
    retention,
    send_times,
)
from cdp.campaigns.email import CampaignFilter, EmailCounts, email_counts

__all__ = ["CampaignDay", "CampaignReport", "campaign_days", "campaign_reports"]


@dataclass(frozen=True)
class CampaignReport:
    campaign_id: str
    first_sent_at: datetime | None
    email: EmailCounts
    conversions: Conversions
    retention: Retention | None


@dataclass(frozen=True)
class CampaignDay:
    day: str
    email: EmailCounts
    conversions: Conversions


def campaign_reports(
    session: Session,
    where: CampaignFilter | None = None,
    settings: AttributionSettings | None = None,
    *,
    with_retention: bool = True,
) -> list[CampaignReport]:
    """Every matching campaign's figures, the most recently sent first."""
    where = where or CampaignFilter()
    settings = settings or AttributionSettings()
    counts = email_counts(session, where)
    converted = conversions(session, where, settings)
    kept = retention(session, where, settings) if with_retention else {}
    sent_at = {
        str(row.campaign_id): row.sent_at for row in session.execute(send_times(session, where))
    }
    reports = [
        CampaignReport(
            campaign_id=campaign_id,
            first_sent_at=sent_at.get(campaign_id),
            email=email,
            conversions=converted.get((campaign_id, None), Conversions()),
            retention=kept.get(campaign_id),
        )
        for (campaign_id, _), email in counts.items()
    ]
    reports.sort(key=lambda r: (r.first_sent_at is not None, r.first_sent_at, r.campaign_id))
    reports.reverse()
    return reports


def campaign_days(
    session: Session,
    campaign_id: str,
    where: CampaignFilter | None = None,
    settings: AttributionSettings | None = None,
) -> list[CampaignDay]:
    """One campaign's events and attributed orders per UTC day, oldest first."""
    base = where or CampaignFilter()
    where = CampaignFilter((campaign_id,), base.since, base.until, base.segment_id)
    settings = settings or AttributionSettings()
    counts = email_counts(session, where, by_day=True)
    converted = conversions(session, where, settings, by_day=True)
    days = sorted({day for _, day in (*counts, *converted) if day is not None})
    return [
        CampaignDay(
            day=day,
            email=counts.get((campaign_id, day), EmailCounts()),
            conversions=converted.get((campaign_id, day), Conversions()),
        )
        for day in days
    ]
