from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from ingest.errors import AdapterConfigError
from ingest.mapping import MappingAdapter, load_mapping, parse_mapping
from ingest.observation import FeedbackFact, Identifier, OrderFact
from ingest.runner import run_ingest
from tests.ingest.conftest import FIXTURES

POS = FIXTURES / "pos"
EXAMPLE = Path(__file__).parents[2] / "examples" / "mappings" / "pos.toml"


def test_pos_row_becomes_order_with_local_time_converted_to_utc() -> None:
    adapter = MappingAdapter(load_mapping(EXAMPLE))
    row = {
        "receipt_id": "R-1", "store_id": "S1", "sold_at": "05/01/2026 10:15",
        "customer_name": "Doe, Jane", "loyalty_card": "L-5", "phone": "", "email": "",
        "street": "", "city": "", "postcode": "", "total": "42.50", "currency": "",
    }  # fmt: skip

    observation = adapter.to_observation(row)

    assert observation.occurred_at == datetime(2026, 1, 5, 15, 15, tzinfo=UTC)  # 10:15 at -05:00
    assert observation.identifiers == (Identifier("loyalty_id", "L-5"),)
    assert observation.person.full_name == "Doe, Jane"
    (order,) = observation.facts
    assert isinstance(order, OrderFact)
    assert (order.total_minor, order.currency, order.sales_channel) == (4250, "USD", "pos")


def test_pos_file_is_ingested_and_bad_rows_quarantined(
    session_factory: sessionmaker[Session],
) -> None:
    adapter = MappingAdapter(
        load_mapping(POS / "pos-mapping.toml"),
        files=[POS / "pos-receipts.csv", POS / "pos-bad.csv"],
    )

    summary = run_ingest(session_factory, adapter, source="pos")

    assert (summary.read, summary.stored, summary.quarantined) == (5, 3, 2)
    with session_factory() as session:
        reasons = {q.position: q.reason for q in session.scalars(select(models.Quarantine))}
        orders = list(session.scalars(select(models.Order).order_by(models.Order.external_id)))
    assert "'2026-01-05 10:00'" in reasons["pos-bad.csv:2"]
    assert "order.total" in reasons["pos-bad.csv:3"]
    assert "'abc'" in reasons["pos-bad.csv:3"]
    assert [o.external_id for o in orders] == ["R-1001", "R-1002", "R-1003"]
    assert orders[1].currency == "EUR"  # the default fills the blank cell


def test_yaml_mapping_reads_like_toml(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(
        "channel: web\nkind: event\nformat: jsonl\nkey: id\n"
        "timestamp: {column: at}\n"
        "fields: {identifiers.email: mail}\n"
        "constants: {event.type: signup}\n"
    )

    adapter = MappingAdapter(load_mapping(path))
    observation = adapter.to_observation(
        {"id": "1", "at": "2026-01-01T00:00:00Z", "mail": "a@b.io"}
    )

    assert observation.identifiers == (Identifier("email", "a@b.io"),)
    assert adapter.channel == "web"


def test_invalid_mapping_reports_every_problem_at_once() -> None:
    data = {
        "channel": "fax",
        "kind": "order",
        "timestamp": {"column": "t", "utc_offset": "1 hour"},
        "fields": {"identifiers.passport": "p", "person.nickname": "n"},
    }

    with pytest.raises(AdapterConfigError) as caught:
        parse_mapping(data, "bad.toml")

    message = str(caught.value)
    for expected in ("channel = 'fax'", "key = None", "'1 hour'", "identifiers.passport",
                     "person.nickname", "order.total"):  # fmt: skip
        assert expected in message


def test_missing_columns_fail_the_run_before_any_row_is_read(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    csv_path = tmp_path / "pos.csv"
    csv_path.write_text("receipt_id,sold_at,total\nR-1,05/01/2026 10:15,1.00\n")
    adapter = MappingAdapter(load_mapping(EXAMPLE), files=[csv_path])

    summary = run_ingest(session_factory, adapter, source="pos")

    assert (summary.read, summary.stored, summary.quarantined) == (0, 0, 0)
    assert summary.error is not None
    for column in ("'loyalty_card'", "'customer_name'", "'currency'"):
        assert column in summary.error
    assert "its columns are 'receipt_id', 'sold_at', 'total'" in summary.error
    with session_factory() as session:
        assert session.scalar(select(models.Quarantine)) is None
        assert session.scalar(select(models.SourceRecord)) is None


def test_jsonl_mapping_reaches_into_nested_objects_and_tolerates_missing_keys(
    tmp_path: Path,
) -> None:
    path = tmp_path / "m.toml"
    path.write_text(
        'channel = "social"\nkind = "feedback"\nformat = "jsonl"\nkey = "id"\n'
        '[timestamp]\ncolumn = "meta.at"\n'
        '[fields]\n"identifiers.email" = "user.email"\n"identifiers.phone" = "user.phone"\n'
        '"feedback.text" = "body"\n"feedback.rating" = "stars"\n'
        '[constants]\n"feedback.kind" = "survey"\n'
    )
    record = {"id": 7, "meta": {"at": "2026-01-01T00:00:00Z"}, "user": {"email": "a@b.io"},
              "body": "ok", "stars": 4}  # fmt: skip

    observation = MappingAdapter(load_mapping(path)).to_observation(record)

    assert observation.identifiers == (Identifier("email", "a@b.io"),)
    assert observation.external_id == "7"
    (feedback,) = observation.facts
    assert feedback == FeedbackFact(kind="survey", text="ok", rating=4)
