from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from ingest.adapters import SegmentAdapter, ShopifyOrdersAdapter
from ingest.runner import run_ingest
from tests.ingest.conftest import FIXTURES, counts

EVENTS = FIXTURES / "web.segment" / "events.jsonl"


def test_segment_file_is_stored_with_identifiers_and_facts(
    session_factory: sessionmaker[Session],
) -> None:
    summary = run_ingest(session_factory, SegmentAdapter(files=[EVENTS]), source="web")

    assert (summary.read, summary.stored, summary.duplicates, summary.quarantined) == (7, 7, 0, 0)
    assert summary.is_balanced
    assert summary.error is None
    got = counts(session_factory)
    assert got["records"] == 7
    assert got["events"] == 5  # page, 2 tracks, screen, group
    assert (got["orders"], got["items"]) == (1, 2)
    with session_factory() as session:
        identify = session.scalar(
            select(models.SourceRecord).where(models.SourceRecord.external_id == "m-1")
        )
        assert identify is not None
        assert identify.kind == "profile"
        assert identify.attributes["address"]["city"] == "Springfield"
        kinds = {(i.kind, i.value) for i in identify.identifiers}
        assert ("anonymous_id", "a-1") in kinds
        assert ("user_id", "u-1") in kinds
        assert ("email", "jane.doe@example.com") in kinds
        assert ("phone", "+14155550101") in kinds
        assert ("social_handle", "x:jane_doe") in kinds
        order = session.scalar(select(models.Order))
        assert order is not None
        assert (order.total_minor, order.currency, order.external_id) == (4250, "USD", "o-1")


def test_rerun_of_same_file_adds_nothing_when_content_is_unchanged(
    session_factory: sessionmaker[Session],
) -> None:
    run_ingest(session_factory, SegmentAdapter(files=[EVENTS]), source="web")
    before = counts(session_factory)

    again = run_ingest(session_factory, SegmentAdapter(files=[EVENTS]), source="web")

    assert (again.read, again.stored, again.duplicates) == (7, 0, 7)
    assert counts(session_factory) == before


def test_malformed_records_go_to_quarantine_with_reason_when_batch_proceeds(
    session_factory: sessionmaker[Session],
) -> None:
    bad = FIXTURES / "web.segment" / "malformed.jsonl"

    summary = run_ingest(session_factory, SegmentAdapter(files=[EVENTS, bad]), source="web")

    assert (summary.read, summary.stored, summary.quarantined) == (15, 7, 8)
    with session_factory() as session:
        rows = {q.position: q for q in session.scalars(select(models.Quarantine))}
    assert "timestamp" in rows["malformed.jsonl:1"].reason
    assert "'yesterday'" in rows["malformed.jsonl:1"].reason
    assert "'explode'" in rows["malformed.jsonl:2"].reason
    assert rows["malformed.jsonl:3"].field == "messageId"
    assert "userId" in rows["malformed.jsonl:4"].reason
    assert "absurd" in rows["malformed.jsonl:5"].reason
    assert "UTC offset" in rows["malformed.jsonl:6"].reason
    assert "malformed JSON" in rows["malformed.jsonl:7"].reason
    assert rows["malformed.jsonl:7"].raw == "{not json"
    assert "JSON object" in rows["malformed.jsonl:8"].reason


def test_changed_order_replaces_earlier_version_and_its_items(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    page = json.loads((FIXTURES / "store.shopify" / "orders-1.json").read_text())
    first = tmp_path / "orders-1.json"
    first.write_text(json.dumps(page))
    run_ingest(session_factory, ShopifyOrdersAdapter(files=[first]), source="shop")
    page["orders"][0]["updated_at"] = "2026-01-13T10:00:00+00:00"
    page["orders"][0]["line_items"].append(
        {"id": 3, "product_id": 5, "sku": "CASE", "title": "Case", "quantity": 1, "price": "10.00"}
    )
    page["orders"][0]["total_price"] = "69.90"
    second = tmp_path / "orders-2.json"
    second.write_text(json.dumps(page))

    summary = run_ingest(session_factory, ShopifyOrdersAdapter(files=[second]), source="shop")

    assert (summary.stored, summary.replaced, summary.duplicates) == (1, 1, 1)
    got = counts(session_factory)
    assert (got["records"], got["orders"], got["items"]) == (2, 2, 3)
    with session_factory() as session:
        record = session.scalar(
            select(models.SourceRecord).where(models.SourceRecord.external_id == "450789469")
        )
        order = session.scalar(select(models.Order).where(models.Order.external_id == "450789469"))
    assert record is not None
    assert order is not None
    assert record.version == 2
    assert record.resolved_at is None
    assert order.total_minor == 6990
    assert order.record_id == record.id


def test_callback_gets_committed_record_ids_per_batch(
    session_factory: sessionmaker[Session],
) -> None:
    seen: list[Sequence[int]] = []

    run_ingest(
        session_factory,
        SegmentAdapter(files=[EVENTS]),
        source="web",
        batch_size=3,
        on_batch=seen.append,
    )

    assert [len(ids) for ids in seen] == [3, 3, 1]
    with session_factory() as session:
        stored = set(session.scalars(select(models.SourceRecord.id)))
    assert {i for ids in seen for i in ids} == stored


def test_rerun_of_file_with_bad_lines_keeps_each_bad_line_once(
    session_factory: sessionmaker[Session],
) -> None:
    bad = FIXTURES / "web.segment" / "malformed.jsonl"
    run_ingest(session_factory, SegmentAdapter(files=[bad]), source="web")

    again = run_ingest(session_factory, SegmentAdapter(files=[bad]), source="web")

    assert again.quarantined == 8
    assert again.is_balanced
    with session_factory() as session:
        attempts = list(session.scalars(select(models.Quarantine.attempts)))
    assert attempts == [2] * 8


def test_insert_skips_keys_another_writer_stored_meanwhile(
    session_factory: sessionmaker[Session],
) -> None:
    from cdp.db import unit_of_work
    from cdp.types import utcnow
    from ingest.runner import transform
    from ingest.state import ensure_source
    from ingest.store import _insert_records

    run_ingest(session_factory, SegmentAdapter(files=[EVENTS]), source="web")
    adapter = SegmentAdapter(files=[EVENTS])
    prepared, _ = transform(adapter, list(adapter.fetch(None)), "US")

    # As if a push stored these keys after this batch checked for them: on PostgreSQL the
    # COPY hits the unique key and the batch retries through ON CONFLICT DO NOTHING.
    with unit_of_work(session_factory) as session:
        ref = ensure_source(session, name="web", channel="web", adapter="web.segment", config={})
        inserted = _insert_records(session, ref, prepared[:3], utcnow())

    assert inserted == {}
    assert counts(session_factory)["records"] == 7


def test_stored_values_round_trip_when_written_in_bulk(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    message = {
        "type": "track",
        "messageId": "m-\u00e9\u20ac-1",
        "userId": "u-\u00fcml\u00e4ut",
        "event": "Caf\u00e9 \u2615 Viewed",
        "timestamp": "2026-01-05T10:00:00.123456+02:00",
        "properties": {
            "text": 'tab\there, newline\nthere, back\\slash, quote"',
            "big": 123456789012345678901234567890,
            "ratio": 0.1,
            "nested": {"list": [1, None, True, "\u4e2d\u6587"]},
        },
    }
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps(message, ensure_ascii=False) + "\n", encoding="utf-8")

    run_ingest(session_factory, SegmentAdapter(files=[path]), source="web")

    with session_factory() as session:
        record = session.scalars(select(models.SourceRecord)).one()
        event = session.scalars(select(models.Event)).one()
        identifiers = set(session.execute(select(models.Identifier.kind, models.Identifier.value)))
    assert record.external_id == "m-\u00e9\u20ac-1"
    assert record.payload == message
    assert record.occurred_at is not None
    assert record.occurred_at.isoformat() == "2026-01-05T08:00:00.123456+00:00"
    assert event.name == "Caf\u00e9 \u2615 Viewed"
    assert event.properties == message["properties"]
    assert event.occurred_at == record.occurred_at
    assert event.source_id == record.source_id
    assert identifiers == {("user_id", "u-\u00fcml\u00e4ut")}


def test_deleting_records_deletes_their_identifiers_and_events_when_stored(
    session_factory: sessionmaker[Session],
) -> None:
    run_ingest(session_factory, SegmentAdapter(files=[EVENTS]), source="web")
    before = counts(session_factory)

    with session_factory.begin() as session:
        doomed = list(
            session.scalars(
                select(models.SourceRecord.id).where(
                    models.SourceRecord.external_id.in_(["m-1", "m-2"])
                )
            )
        )
        session.execute(delete(models.SourceRecord).where(models.SourceRecord.id.in_(doomed)))

    after = counts(session_factory)
    assert before["identifiers"] > 0
    with session_factory() as session:
        left = {
            table.__tablename__: session.scalar(
                select(func.count()).select_from(table).where(table.record_id.in_(doomed))
            )
            for table in (models.Identifier, models.Event)
        }
    assert left == {"identifiers": 0, "events": 0}
    assert after["records"] == before["records"] - 2
    assert after["events"] == before["events"] - 1  # m-1 is an identify, m-2 a page
    assert after["identifiers"] < before["identifiers"]
