"""Social campaign figures from X mention pages and Meta lead pages in the APIs' own shapes,
ingested through the real adapters and read through GraphQL and `cdp campaigns --social`
(both databases)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from sqlalchemy.orm import Session, sessionmaker

import identity
from cdp.cli import cli
from cdp.db import unit_of_work
from ingest.adapters import MetaLeadsAdapter, XMentionsAdapter
from ingest.runner import run_ingest
from tests.schema.conftest import Gql

SOCIAL = """query($since: DateTime, $until: DateTime) {
  socialCampaigns(since: $since, until: $until) {
    network campaign posts leads people likes replies reposts quotes impressions
    interactions interactionsPerPost interactionRate firstAt lastAt
  }
}"""


METRICS = ("like_count", "reply_count", "retweet_count", "quote_count", "impression_count")


def _tweet(
    n: int, author: str, text: str, day: int, metrics: tuple[int, ...] | None, **more: Any
) -> dict[str, Any]:
    tweet: dict[str, Any] = {
        "id": str(1880000000000000000 + n),
        "text": text,
        "author_id": author,
        "created_at": f"2026-03-{day:02d}T12:00:00.000Z",
    }
    if metrics is not None:
        tweet["public_metrics"] = dict(zip(METRICS, metrics, strict=True))
    return {**tweet, **more}


def _world(tmp_path: Path) -> tuple[Path, Path]:
    tag = {"hashtags": [{"start": 20, "end": 31, "tag": "SpringSale"}]}
    tweets = [
        # tagged in `entities` (as X sends them when asked for), two campaigns on one post
        _tweet(1, "111", "@shop love the deals #SpringSale", 2, (10, 2, 3, 1, 400),
               entities=tag),
        _tweet(2, "222", "@shop #springsale prices are fine #NewArrivals", 3, (4, 0, 1, 0, 100),
               entities={"hashtags": [{"start": 6, "end": 17, "tag": "springsale"},
                                      {"start": 34, "end": 46, "tag": "NewArrivals"}]}),
        # no `entities` requested: read from the text; an order number is no hashtag
        _tweet(3, "111", "@shop order #49987 is late #SpringSale", 4, (0, 5, 2, 0, 300)),
        # a post without public_metrics: counted, its reach unknown
        _tweet(4, "333", "@shop #NewArrivals look great", 5, None),
        # outside the window asked for below
        _tweet(5, "333", "@shop #SpringSale again", 28, (1, 0, 0, 0, 10)),
        # no hashtag: in no campaign
        _tweet(6, "222", "@shop where is my parcel?", 6, (9, 9, 9, 9, 90)),
    ]  # fmt: skip
    names = (("111", "Jane Doe"), ("222", "Bob Smith"), ("333", "Wei Zhang"))
    users = [{"id": i, "username": f"user{i}", "name": name} for i, name in names]
    x = tmp_path / "x-mentions-1.json"
    x.write_text(json.dumps({"data": tweets, "includes": {"users": users},
                             "meta": {"result_count": len(tweets)}}))  # fmt: skip
    leads = [
        {"id": str(9000 + n), "created_time": f"2026-03-{n + 1:02d}T10:00:00+0000",
         "form_id": "f-1", "campaign_id": campaign, "ad_id": "777",
         "field_data": [{"name": "email", "values": [email]}]}
        for n, (campaign, email) in enumerate([
            ("120210000000001", "ann@example.com"), ("120210000000001", "ann@example.com"),
            ("120210000000001", "cy@example.com"), (None, "di@example.com")])
    ]  # fmt: skip
    meta = tmp_path / "leads-1.json"
    meta.write_text(json.dumps({"data": leads, "paging": {}}))
    return x, meta


def _ingest(session_factory: sessionmaker[Session], tmp_path: Path) -> None:
    x, meta = _world(tmp_path)
    run_ingest(session_factory, XMentionsAdapter(files=[x]), source="x")
    run_ingest(session_factory, MetaLeadsAdapter(files=[meta]), source="leads")
    with unit_of_work(session_factory) as session:
        identity.resolve(session)


def test_hashtags_and_lead_campaigns_with_their_rates(
    gql: Gql, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    _ingest(session_factory, tmp_path)
    window = {"since": "2026-03-01T00:00:00Z", "until": "2026-03-20T00:00:00Z"}

    found = {
        (c["network"], c["campaign"]): c
        for c in gql(SOCIAL, window, role="analyst")["data"]["socialCampaigns"]
    }

    assert set(found) == {("x", "springsale"), ("x", "newarrivals"), ("meta", "120210000000001")}
    spring = found[("x", "springsale")]
    assert (spring["posts"], spring["people"]) == (3, 2)
    assert [spring[k] for k in ("likes", "replies", "reposts", "quotes", "impressions")] == [
        14, 7, 6, 1, 800]  # fmt: skip
    assert spring["interactions"] == 28
    assert spring["interactionsPerPost"] == 28 / 3
    assert spring["interactionRate"] == 28 / 800
    assert spring["firstAt"] == "2026-03-02T12:00:00+00:00"
    arrivals = found[("x", "newarrivals")]
    assert (arrivals["posts"], arrivals["interactions"], arrivals["impressions"]) == (2, 5, 100)
    assert arrivals["interactionRate"] == 5 / 100
    lead = found[("meta", "120210000000001")]
    assert (lead["posts"], lead["leads"], lead["people"], lead["interactionRate"]) == (
        0,
        3,
        2,
        None,
    )


def test_the_command_prints_the_same_figures(
    db_url: str, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    _ingest(session_factory, tmp_path)
    runner = CliRunner()
    env = {"CDP_DATABASE_URL": db_url}

    table = runner.invoke(cli, ["campaigns", "--social", "--until", "2026-03-20"], env=env)
    lines = runner.invoke(cli, ["campaigns", "--social", "--json"], env=env)
    refused = runner.invoke(cli, ["campaigns", "--by-day"], env=env)

    assert table.exit_code == 0, table.output
    assert "springsale" in table.output
    assert "3 social campaigns" in table.output
    rows = {row["campaign"]: row for row in map(json.loads, lines.output.splitlines())}
    assert rows["springsale"]["posts"] == 4  # no window: the post of the 28th counts too
    assert rows["springsale"]["interaction_rate"] == 29 / 810
    assert refused.exit_code == 2
    assert "--by-day applies to --social only" in refused.output


def test_a_bad_period_is_an_error_naming_it(gql: Gql) -> None:
    backwards = gql(SOCIAL, {"since": "2026-03-20T00:00:00Z", "until": "2026-03-01T00:00:00Z"})
    naive = gql(SOCIAL, {"since": "2026-03-20T00:00:00"})

    assert backwards["data"] is None
    assert "2026-03-01T00:00:00+00:00 is not after since 2026-03-20" in str(backwards["errors"])
    assert naive["data"] is None
    assert "has no time zone" in str(naive["errors"])


DAYS = """query($filter: CampaignFilter) {
  socialCampaigns(filter: $filter) {
    network campaign posts people day
    days { day posts likes impressions interactionRate }
  }
}"""


def _segment_of_janes_posts(session_factory: sessionmaker[Session]) -> int:
    from datetime import UTC, datetime

    from sqlalchemy import select

    from cdp import models

    with unit_of_work(session_factory) as session:
        jane = session.scalar(
            select(models.Interaction.profile_id).where(
                models.Interaction.occurred_at == datetime(2026, 3, 2, 12, tzinfo=UTC)
            )
        )
        segment = models.Segment(name="jane only")
        session.add(segment)
        session.flush()
        session.add(models.SegmentMembership(segment_id=segment.id, profile_id=jane))
        return segment.id


def test_social_figures_per_day_and_per_segment(
    gql: Gql, db_url: str, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    _ingest(session_factory, tmp_path)
    segment_id = _segment_of_janes_posts(session_factory)
    spring = {"campaignIds": ["SpringSale"], "until": "2026-03-20T00:00:00Z"}

    every = gql(DAYS, {"filter": spring}, role="analyst")["data"]["socialCampaigns"]
    janes = gql(DAYS, {"filter": {**spring, "segmentId": str(segment_id)}}, role="analyst")
    lines = CliRunner().invoke(
        cli,
        ["campaigns", "--social", "--by-day", "--json", "--segment", str(segment_id)],
        env={"CDP_DATABASE_URL": db_url},
    )

    assert [(c["network"], c["campaign"], c["posts"], c["day"]) for c in every] == [
        ("x", "springsale", 3, None)
    ]
    assert [(d["day"], d["posts"], d["likes"], d["impressions"]) for d in every[0]["days"]] == [
        ("2026-03-02", 1, 10, 400), ("2026-03-03", 1, 4, 100), ("2026-03-04", 1, 0, 300)
    ]  # fmt: skip
    assert every[0]["days"][0]["interactionRate"] == 16 / 400
    (jane,) = janes["data"]["socialCampaigns"]
    assert (jane["posts"], jane["people"]) == (2, 1)  # her posts of the 2nd and the 4th
    assert [d["day"] for d in jane["days"]] == ["2026-03-02", "2026-03-04"]
    assert lines.exit_code == 0, lines.output
    rows = [json.loads(line) for line in lines.output.splitlines()]
    assert [(r["campaign"], r["day"], r["posts"]) for r in rows] == [
        ("springsale", "2026-03-02", 1), ("springsale", "2026-03-04", 1)
    ]  # fmt: skip
