"""Campaign figures on both backends, over the hand-made world of `tests.campaigns.world`."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from cdp.campaigns import AttributionSettings, CampaignFilter, campaign_days, campaign_reports
from cdp.db import unit_of_work
from cdp.errors import InvalidInputError
from tests.campaigns import world


def _reports(
    factory: sessionmaker[Session], *, build: bool = True, **kwargs: object
) -> dict[str, object]:
    if build:
        with unit_of_work(factory) as session:
            world.build(session)
    with factory() as session:
        return {r.campaign_id: r for r in campaign_reports(session, **kwargs)}  # type: ignore[arg-type]


def test_email_counts_and_rates_when_a_message_is_opened_twice_and_one_bounces(
    session_factory: sessionmaker[Session],
) -> None:
    reports = _reports(session_factory)

    c1 = reports["c1"].email  # type: ignore[attr-defined]
    assert (c1.sent, c1.delivered, c1.bounced) == (3, 2, 1)
    assert (c1.opens, c1.unique_opens, c1.clicks, c1.unique_clicks) == (3, 2, 1, 1)
    assert c1.open_rate == 1.0
    assert c1.click_through_rate == 0.5
    assert c1.click_to_open_rate == 0.5
    assert c1.bounce_rate == pytest.approx(1 / 3)
    assert list(reports) == ["c2", "c1"]  # most recently sent first


def test_last_click_attributes_the_order_once_to_the_later_campaign(
    session_factory: sessionmaker[Session],
) -> None:
    reports = _reports(session_factory)

    c1, c2 = reports["c1"].conversions, reports["c2"].conversions  # type: ignore[attr-defined]
    assert (c2.orders, c2.converters, c2.clickers) == (1, 1, 1)
    assert c2.revenue_minor == {"USD": 4500}  # the web copy is not counted; refunds are
    assert c2.conversion_rate == 1.0
    assert (c1.orders, c1.revenue_minor, c1.clickers, c1.conversion_rate) == (0, {}, 1, 0.0)


def test_first_click_attributes_the_order_to_the_earlier_campaign(
    session_factory: sessionmaker[Session],
) -> None:
    reports = _reports(session_factory, settings=AttributionSettings(rule="first_click"))

    assert reports["c1"].conversions.revenue_minor == {"USD": 4500}  # type: ignore[attr-defined]
    assert reports["c2"].conversions.orders == 0  # type: ignore[attr-defined]


def test_a_short_window_attributes_nothing(session_factory: sessionmaker[Session]) -> None:
    reports = _reports(session_factory, settings=AttributionSettings(window_days=1))

    assert all(r.conversions.orders == 0 for r in reports.values())  # type: ignore[attr-defined]


def test_retention_of_recipients_is_shown_next_to_customers_not_sent_the_campaign(
    session_factory: sessionmaker[Session],
) -> None:
    reports = _reports(session_factory, settings=AttributionSettings(retention_days=30))

    kept = reports["c1"].retention  # type: ignore[attr-defined]
    assert (kept.recipients, kept.retained, kept.rate) == (2, 2, 1.0)  # Ann and Ben
    assert (kept.comparison, kept.comparison_retained, kept.comparison_rate) == (1, 0, 0.0)
    assert kept.lift == 1.0
    short = _reports(session_factory, build=False, settings=AttributionSettings(retention_days=5))
    assert short["c1"].retention.retained == 1  # type: ignore[attr-defined]


def test_a_segment_keeps_only_its_members_events(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        people = world.build(session)
        segment = models.Segment(name="ben only")
        session.add(segment)
        session.flush()
        session.add(models.SegmentMembership(segment_id=segment.id, profile_id=people["ben"].id))
        segment_id = segment.id
    with session_factory() as session:
        reports = {
            r.campaign_id: r
            for r in campaign_reports(session, CampaignFilter(segment_id=segment_id))
        }

    assert list(reports) == ["c1"]
    assert (reports["c1"].email.delivered, reports["c1"].email.unique_clicks) == (1, 0)


def test_days_split_events_and_orders_by_utc_day(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        world.build(session)
    with session_factory() as session:
        days = campaign_days(session, "c1", settings=AttributionSettings(rule="first_click"))

    assert [d.day for d in days] == ["2026-03-02", "2026-03-03", "2026-03-05"]
    assert (days[0].email.delivered, days[0].email.opens, days[1].email.opens) == (2, 2, 1)
    assert days[2].conversions.revenue_minor == {"USD": 4500}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rule": "linear"}, "'linear' is not one of last_click, first_click"),
        ({"window_days": 0}, "0 is out of range"),
    ],
    ids=["rule", "window"],
)
def test_bad_settings_name_the_value(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        AttributionSettings(**kwargs)  # type: ignore[arg-type]


def test_a_campaign_asked_alone_still_loses_the_order_to_a_later_click_of_another(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        world.build(session)
    with session_factory() as session:
        alone = campaign_reports(session, CampaignFilter(campaign_ids=("c1",)))
        days = campaign_days(session, "c1")

    assert [r.campaign_id for r in alone] == ["c1"]
    assert alone[0].conversions.orders == 0
    assert all(d.conversions.orders == 0 for d in days)
