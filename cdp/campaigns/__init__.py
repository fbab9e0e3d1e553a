"""Campaign effectiveness (docs/campaigns.md): email figures from the ESP's events,
conversions and revenue attributed to the last (or first) clicked campaign, the recipients'
retention next to a group not sent the campaign.

- `email`: counts and rates per campaign (and per day, per segment);
- `attribution`: conversions, revenue, retention (the attribution rule is documented there);
- `report`: the figures of each campaign together, and per day.

Functions take the caller's (sync) session and never commit; async callers use `run_sync`.
"""

from __future__ import annotations

from cdp.campaigns.attribution import (
    ATTRIBUTION_RULES,
    AttributionSettings,
    Conversions,
    Retention,
)
from cdp.campaigns.email import CampaignFilter, EmailCounts
from cdp.campaigns.report import CampaignDay, CampaignReport, campaign_days, campaign_reports

__all__ = [
    "ATTRIBUTION_RULES",
    "AttributionSettings",
    "CampaignDay",
    "CampaignFilter",
    "CampaignReport",
    "Conversions",
    "EmailCounts",
    "Retention",
    "campaign_days",
    "campaign_reports",
]
