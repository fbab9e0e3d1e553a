"""The files: each parses in its real format, with its required fields, and agrees with the
record view and `truth.csv`."""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from cdp.synthetic import PERIOD_END, PERIOD_START, write_world
from tests.synthetic.conftest import Generated

EARLIEST = PERIOD_START
LATEST = PERIOD_END


def _in_period(when: datetime) -> bool:
    return EARLIEST <= when.astimezone(UTC) <= LATEST


def _segment(out: Path) -> list[dict[str, Any]]:
    with (out / "web/segment-events.jsonl").open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def _pages(out: Path, pattern: str) -> list[dict[str, Any]]:
    paths = sorted(out.glob(pattern), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    return [json.loads(p.read_text(encoding="utf-8")) for p in paths]


def _file_ids(out: Path) -> set[tuple[str, str]]:
    ids = {("web.segment", m["messageId"]) for m in _segment(out)}
    events = json.loads((out / "email/sendgrid-events.json").read_text(encoding="utf-8"))
    ids |= {("email.sendgrid", e["sg_event_id"]) for e in events}
    for page in _pages(out, "store/shopify-orders-*.json"):
        ids |= {("store.shopify", str(o["id"])) for o in page["orders"]}
    with (out / "store/pos-receipts.csv").open(encoding="utf-8", newline="") as handle:
        ids |= {("store.pos", row["receipt_id"]) for row in csv.DictReader(handle)}
    for page in _pages(out, "social/meta-leads-*.json"):
        ids |= {("social.meta_leads", lead["id"]) for lead in page["data"]}
    for page in _pages(out, "social/x-mentions-*.json"):
        ids |= {("social.x_mentions", tweet["id"]) for tweet in page["data"]}
    return ids


def _truth(out: Path) -> list[tuple[str, str, str]]:
    with (out / "truth.csv").open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        assert next(reader) == ["adapter", "external_id", "person_id"]
        return [(a, e, p) for a, e, p in reader]


def test_truth_covers_every_record_in_the_files_once(generated: Generated) -> None:
    truth = _truth(generated.out_dir)
    keys = [(a, e) for a, e, _ in truth]
    assert len(keys) == len(set(keys)) == generated.summary.records
    assert set(keys) == _file_ids(generated.out_dir)


def test_record_view_matches_truth(generated: Generated) -> None:
    records = {
        (r.adapter, r.external_id, r.person_id) for h in generated.households for r in h.records
    }
    assert records == set(_truth(generated.out_dir))


def test_summary_counts_match_the_files(generated: Generated) -> None:
    counts = Counter(a for a, _, _ in _truth(generated.out_dir))
    assert counts == generated.summary.records_by_adapter
    written = {
        str(p.relative_to(generated.out_dir)) for p in generated.out_dir.rglob("*") if p.is_file()
    }
    assert written == set(generated.summary.files)


def test_segment_messages_follow_the_spec(generated: Generated) -> None:
    messages = _segment(generated.out_dir)
    assert {m["type"] for m in messages} == {"identify", "track", "page"}
    previous = EARLIEST
    for m in messages:
        assert isinstance(m["messageId"], str)
        assert m.get("userId") or m.get("anonymousId")
        when = datetime.fromisoformat(m["timestamp"])
        assert when.tzinfo is not None
        assert _in_period(when)
        assert when >= previous
        previous = when
        if m["type"] == "identify":
            assert isinstance(m["traits"], dict)
        if m["type"] == "track":
            assert isinstance(m["event"], str)
            assert isinstance(m["properties"], dict)
        if m.get("event") == "Order Completed":
            props = m["properties"]
            assert isinstance(props["order_id"], str)
            assert props["currency"] == "USD"
            assert props["products"]
            assert (
                abs(sum(p["price"] * p["quantity"] for p in props["products"]) - props["total"])
                < 0.01
            )


def test_identify_joins_anonymous_ids_to_users(generated: Generated) -> None:
    messages = _segment(generated.out_dir)
    identified = {m["anonymousId"] for m in messages if m["type"] == "identify"}
    with_user = {m["anonymousId"] for m in messages if m.get("userId")}
    assert identified
    assert with_user <= identified
    anonymous_only = [m for m in messages if "userId" not in m and m["anonymousId"] in identified]
    assert anonymous_only, "some browsing before sign-in must be anonymous"


SENDGRID_EVENTS = {
    "processed",
    "delivered",
    "open",
    "click",
    "bounce",
    "dropped",
    "deferred",
    "spamreport",
    "unsubscribe",
    "group_unsubscribe",
    "group_resubscribe",
}


def test_sendgrid_events_follow_the_webhook(generated: Generated) -> None:
    events = json.loads((generated.out_dir / "email/sendgrid-events.json").read_text("utf-8"))
    assert isinstance(events, list)
    kinds = Counter(e["event"] for e in events)
    assert set(kinds) <= SENDGRID_EVENTS
    assert {
        "processed",
        "delivered",
        "open",
        "click",
        "bounce",
        "unsubscribe",
        "spamreport",
    } <= set(kinds)
    for e in events:
        assert isinstance(e["email"], str)
        assert isinstance(e["timestamp"], int)
        assert _in_period(datetime.fromtimestamp(e["timestamp"], UTC))
        assert isinstance(e["sg_event_id"], str)
        assert isinstance(e["sg_message_id"], str)
        assert isinstance(e["category"], (str, list))
        assert e["campaign_id"].startswith("cmp-")
        if e["event"] == "click":
            assert e["url"].startswith("https://")
        if e["event"] == "group_unsubscribe":
            assert isinstance(e["asm_group_id"], int)
        if e["event"] == "bounce":
            assert e["status"].startswith("5.")


def test_shopify_pages_follow_the_admin_api(generated: Generated) -> None:
    pages = _pages(generated.out_dir, "store/shopify-orders-*.json")
    assert all(len(page["orders"]) <= 250 for page in pages)
    previous = EARLIEST
    for order in (o for page in pages for o in page["orders"]):
        assert isinstance(order["id"], int)
        assert order["name"].startswith("#")
        created = datetime.fromisoformat(order["created_at"])
        updated = datetime.fromisoformat(order["updated_at"])
        assert created.utcoffset() == timedelta(hours=-5)
        assert _in_period(created)
        assert _in_period(updated)
        assert updated >= created
        assert updated >= previous
        previous = updated
        assert order["source_name"] in {"web", "pos"}
        assert isinstance(order["customer"]["id"], int)
        items = sum(float(i["price"]) * i["quantity"] for i in order["line_items"])
        assert abs(items - float(order["total_price"])) < 0.01
        for address in (order["billing_address"], order["shipping_address"]):
            assert {
                "first_name",
                "last_name",
                "address1",
                "city",
                "province_code",
                "zip",
                "country_code",
            } <= set(address)
        for refund in order["refunds"]:
            assert refund["transactions"][0]["kind"] == "refund"
            assert float(refund["transactions"][0]["amount"]) > 0


def test_pos_receipts_are_a_till_csv(generated: Generated) -> None:
    path = generated.out_dir / "store/pos-receipts.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == [
        "receipt_id",
        "store_id",
        "sold_at",
        "customer_name",
        "loyalty_card",
        "phone",
        "email",
        "street",
        "city",
        "postcode",
        "total",
        "currency",
    ]
    local = timezone(timedelta(hours=-5))
    for row in rows:
        sold = datetime.strptime(row["sold_at"], "%d/%m/%Y %H:%M").replace(tzinfo=local)
        assert _in_period(sold)
        assert float(row["total"]) > 0
        assert row["currency"] == "USD"
    assert any(", " in row["customer_name"] for row in rows)
    assert any(row["phone"] == "" for row in rows)


def test_meta_lead_pages_follow_the_graph_api(generated: Generated) -> None:
    pages = _pages(generated.out_dir, "social/meta-leads-*.json")
    for page in pages:
        assert set(page["paging"]["cursors"]) == {"before", "after"}
        for lead in page["data"]:
            created = datetime.strptime(lead["created_time"], "%Y-%m-%dT%H:%M:%S%z")
            assert _in_period(created)
            fields = {f["name"]: f["values"] for f in lead["field_data"]}
            assert {"email", "full_name"} <= set(fields)
            assert all(isinstance(v, list) and len(v) == 1 for v in fields.values())
    assert sum("next" in page["paging"] for page in pages) >= 1 or len(pages) <= 3


def test_x_mention_pages_follow_api_v2(generated: Generated) -> None:
    pages = _pages(generated.out_dir, "social/x-mentions-*.json")
    for number, page in enumerate(pages, start=1):
        data = page["data"]
        users = {u["id"]: u for u in page["includes"]["users"]}
        assert page["meta"]["result_count"] == len(data)
        assert page["meta"]["newest_id"] == data[0]["id"]
        assert ("next_token" in page["meta"]) == (number < len(pages))
        times = [datetime.fromisoformat(t["created_at"]) for t in data]
        assert times == sorted(times, reverse=True)
        for tweet in data:
            assert tweet["author_id"] in users
            assert set(users[tweet["author_id"]]) == {"id", "username", "name"}
            assert _in_period(datetime.fromisoformat(tweet["created_at"]))


def test_writing_the_same_world_twice_gives_identical_files(tmp_path: Path) -> None:
    first = write_world(tmp_path / "a", people=150, seed=3)
    second = write_world(tmp_path / "b", people=150, seed=3)
    assert first.files == second.files
    for name in first.files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_a_non_empty_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError, match=f"{tmp_path} is not empty"):
        write_world(tmp_path, people=10, seed=1)
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_overwrite_replaces_a_previous_world(tmp_path: Path) -> None:
    write_world(tmp_path / "w", people=50, seed=1)
    summary = write_world(tmp_path / "w", people=20, seed=2, overwrite=True)
    assert len(_truth(tmp_path / "w")) == summary.records
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w"]
