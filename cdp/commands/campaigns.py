"""`cdp campaigns`: email campaign figures as a table (or JSON), docs/campaigns.md."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import click

from cdp.campaigns import (
    ATTRIBUTION_RULES,
    AttributionSettings,
    CampaignFilter,
    CampaignReport,
    campaign_reports,
)
from cdp.campaigns.social import SocialCampaign, social_campaigns
from cdp.commands._common import CliState, pass_state

__all__ = ["campaigns"]

_COLUMNS = (
    ("campaign", 22), ("sent", 7), ("deliv.", 7), ("open", 6), ("CTR", 6), ("CTOR", 6),
    ("unsub", 6), ("orders", 6), ("conv.", 6), ("revenue", 12), ("retained", 8), ("others", 7),
)  # fmt: skip


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _money(revenue: dict[str, int]) -> str:
    return " ".join(f"{minor / 100:,.2f} {currency}" for currency, minor in revenue.items()) or "0"


def _row(report: CampaignReport) -> list[str]:
    e, c, r = report.email, report.conversions, report.retention
    return [
        report.campaign_id,
        f"{e.sent:,}",
        f"{e.delivered:,}",
        _percent(e.open_rate),
        _percent(e.click_through_rate),
        _percent(e.click_to_open_rate),
        _percent(e.unsubscribe_rate),
        f"{c.orders:,}",
        _percent(c.conversion_rate),
        _money(c.revenue_minor),
        _percent(r.rate if r else None),
        _percent(r.comparison_rate if r else None),
    ]


def _as_json(report: CampaignReport) -> dict[str, Any]:
    e, c, r = report.email, report.conversions, report.retention
    return {
        "campaign": report.campaign_id,
        "first_sent_at": report.first_sent_at.isoformat() if report.first_sent_at else None,
        "email": {
            **vars(e),
            "open_rate": e.open_rate,
            "click_through_rate": e.click_through_rate,
            "click_to_open_rate": e.click_to_open_rate,
            "unsubscribe_rate": e.unsubscribe_rate,
        },
        "conversions": {**vars(c), "conversion_rate": c.conversion_rate},
        "retention": None
        if r is None
        else {**vars(r), "rate": r.rate, "comparison_rate": r.comparison_rate},
    }


def _day(value: datetime | None) -> datetime | None:
    return None if value is None else value.replace(tzinfo=UTC)


@click.command("campaigns")
@click.option(
    "--attribution",
    type=click.Choice([rule.replace("_", "-") for rule in ATTRIBUTION_RULES]),
    default="last-click",
    show_default=True,
    help="Which click an order is attributed to when several qualify.",
)
@click.option("--window-days", type=click.IntRange(1, 365), default=7, show_default=True,
              help="Orders within this many days after a click are its conversions.")  # fmt: skip
@click.option("--retention-days", type=click.IntRange(1, 365), default=30, show_default=True,
              help="Recipients who order again within this many days after the send.")  # fmt: skip
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="Events from this UTC day on.")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Events before this UTC day.")
@click.option("--segment", "segment_id", type=int, help="Only this segment's current members.")
@click.option("--campaign", "campaign_ids", multiple=True, help="Only this campaign (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per campaign, per line.")
@click.option(
    "--social", is_flag=True, help="Social campaigns instead: X hashtags, Meta lead ad campaigns."
)
@click.option("--by-day", is_flag=True, help="With --social: one row per campaign and UTC day.")
@pass_state
def campaigns(
    state: CliState,
    attribution: str,
    window_days: int,
    retention_days: int,
    since: datetime | None,
    until: datetime | None,
    segment_id: int | None,
    campaign_ids: tuple[str, ...],
    as_json: bool,
    social: bool,
    by_day: bool,
) -> None:
    """Email campaign figures: sends, rates, attributed orders and revenue, retention
    (`--social`: X hashtags and Meta lead ad campaigns: posts, leads, interaction rates)."""
    where = CampaignFilter(campaign_ids, _day(since), _day(until), segment_id)
    if social:
        _social(state, where, by_day, as_json)
        return
    if by_day:
        raise click.UsageError("--by-day applies to --social only (email per day: GraphQL)")
    settings = AttributionSettings(attribution.replace("-", "_"), window_days, retention_days)
    with state.sessionmaker() as session:
        reports = campaign_reports(session, where, settings)
    if as_json:
        for report in reports:
            click.echo(json.dumps(_as_json(report), sort_keys=True))
        return
    _table(_COLUMNS, [_row(report) for report in reports])
    click.echo(
        f"{len(reports)} campaigns; {attribution} attribution within {window_days} days; "
        f"retention over {retention_days} days (recipients vs customers not sent it)"
    )


def _table(columns: tuple[tuple[str, int], ...], rows: list[list[str]]) -> None:
    click.echo("  ".join(name.rjust(width) for name, width in columns))
    for cells in rows:
        click.echo(
            "  ".join(cell.rjust(width) for cell, (_, width) in zip(cells, columns, strict=True))
        )


_SOCIAL_COLUMNS = (
    ("day", 10), ("network", 7), ("campaign", 28), ("posts", 6), ("leads", 6), ("people", 6),
    ("impressions", 11), ("interactions", 12), ("per post", 8), ("rate", 6),
)  # fmt: skip


def _social(state: CliState, where: CampaignFilter, by_day: bool, as_json: bool) -> None:
    with state.sessionmaker() as session:
        found = social_campaigns(session, where=where, by_day=by_day)
    if as_json:
        for c in found:
            click.echo(json.dumps(_social_json(c), sort_keys=True))
        return
    _table(
        _SOCIAL_COLUMNS,
        [
            [
                c.day or "-",
                c.network,
                c.campaign,
                f"{c.posts:,}",
                f"{c.leads:,}",
                f"{c.people:,}",
                f"{c.impressions:,}",
                f"{c.interactions:,}",
                "-" if c.interactions_per_post is None else f"{c.interactions_per_post:.1f}",
                _percent(c.interaction_rate),
            ]
            for c in found
        ],
    )
    click.echo(
        f"{len(found)} social campaign{' days' if by_day else 's'}; "
        "interactions = likes + replies + reposts + quotes; rate = interactions / impressions"
    )


def _social_json(c: SocialCampaign) -> dict[str, Any]:
    return {
        **{k: v for k, v in vars(c).items() if not k.endswith("_at")},
        "first_at": c.first_at.isoformat() if c.first_at else None,
        "last_at": c.last_at.isoformat() if c.last_at else None,
        "interactions": c.interactions,
        "interactions_per_post": c.interactions_per_post,
        "interaction_rate": c.interaction_rate,
    }
