"""One bad record never stops a run: every record read ends stored, skipped as a duplicate or
quarantined with a reason, on SQLite and PostgreSQL, and the quarantine holds any bytes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from ingest import MappingAdapter, parse_mapping
from ingest.adapters import SegmentAdapter, SendGridAdapter, ShopifyOrdersAdapter
from ingest.quarantine import replay_quarantine
from ingest.runner import run_ingest
from tests.ingest.conftest import FIXTURES, counts

GOOD = [
    line.encode() for line in (FIXTURES / "web.segment" / "events.jsonl").read_text().splitlines()
]


def _event(message_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "track",
        "event": "Clicked",
        "messageId": message_id,
        "userId": "u-9",
        "timestamp": "2026-01-05T10:00:00Z",
        **extra,
    }


def _line(message_id: str, **extra: Any) -> bytes:
    return json.dumps(_event(message_id, **extra), ensure_ascii=False).encode()


def _quarantine(session_factory: sessionmaker[Session]) -> dict[str, models.Quarantine]:
    with session_factory() as session:
        return {q.position: q for q in session.scalars(select(models.Quarantine))}


def _run_lines(
    session_factory: sessionmaker[Session], tmp_path: Path, bad: list[bytes]
) -> tuple[Any, dict[str, models.Quarantine]]:
    path = tmp_path / "web.jsonl"
    path.write_bytes(b"\n".join([*GOOD[:3], *bad, *GOOD[3:]]) + b"\n")
    summary = run_ingest(session_factory, SegmentAdapter(files=[path]), source="web")
    return summary, _quarantine(session_factory)


def test_hostile_json_lines_are_quarantined_and_the_rest_stored(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    bad = [
        _line("deep", properties="@").replace(b'"@"', b'{"x":' * 1100 + b"1" + b"}" * 1100),
        "[" * 5000 + "]" * 5000,  # deeper than either parser goes
        _line("nul", properties={"note": "a\u0000b"}),  # PostgreSQL refuses \u0000
        _line("nul-key", properties={"a\u0000": 1}),
        _line("utf8", properties={"name": "caf\u00e9"}).replace(b"\xc3\xa9", b"\xe9"),
        b'{"type":"track","event":"x","messageId":"nan","userId":"u","timestamp":'
        b'"2026-01-05T10:00:00Z","properties":{"v":NaN}}',
        json.dumps(_event("surrogate", properties={"s": "\ud800"})).encode(),  # escaped: \\ud800
        _line("k" * 300),  # a key PostgreSQL's varchar(255) would refuse
        _line("ok-after"),
    ]
    bad = [b if isinstance(b, bytes) else b.encode() for b in bad]

    summary, held = _run_lines(session_factory, tmp_path, bad)

    assert summary.error is None
    assert summary.is_balanced
    assert (summary.read, summary.stored, summary.quarantined) == (16, 8, 8)
    reasons = {position.split(":")[1]: q.reason for position, q in held.items()}
    assert "nested deeper than" in reasons["4"]
    assert "nested deeper than" in reasons["5"]
    assert "NUL" in reasons["6"]
    assert "properties.note" in reasons["6"]
    assert "NUL" in reasons["7"]
    assert "invalid UTF-8" in reasons["8"]
    assert "0xe9" in reasons["8"]
    assert "NaN" in reasons["9"]
    assert "surrogate" in reasons["10"]
    assert "255" in reasons["11"]
    # The quarantine keeps the exact bytes, whatever they are.
    assert held["web.jsonl:8"].raw_bytes == bad[4]
    assert b"\xe9" in (held["web.jsonl:8"].raw_bytes or b"")
    assert "\ufffd" not in held["web.jsonl:8"].raw
    assert held["web.jsonl:6"].raw.encode() == bad[2]  # plain text: kept as text


def test_a_rerun_of_the_same_file_adds_nothing_and_keeps_each_bad_line_once(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    bad = [_line("nul", properties={"note": "a\u0000b"}), b'{"v":"\xff"}']
    _run_lines(session_factory, tmp_path, bad)
    before = counts(session_factory)

    summary, _ = _run_lines(session_factory, tmp_path, bad)

    assert (summary.stored, summary.duplicates, summary.quarantined) == (0, 7, 2)
    assert counts(session_factory) == before


def test_replay_of_binary_quarantine_entries_still_fails_with_the_same_reason(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    _run_lines(session_factory, tmp_path, [b'{"v":"\xff"}'])

    replay = replay_quarantine(session_factory, source="web", adapter=SegmentAdapter())

    assert (replay.replayed, replay.still_failing) == (1, 1)
    (entry,) = _quarantine(session_factory).values()
    assert "invalid UTF-8" in entry.reason
    assert entry.raw_bytes == b'{"v":"\xff"}'


def test_invalid_utf8_in_a_sendgrid_export_quarantines_only_that_event(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    events = json.loads((FIXTURES / "email.sendgrid" / "events.json").read_text())
    events[0]["email"] = "caf\u00e9@example.com"
    events.append({**events[1], "sg_event_id": "numeric-email", "email": 12345})
    path = tmp_path / "sendgrid.json"
    path.write_bytes(json.dumps(events, ensure_ascii=False).encode().replace(b"\xc3\xa9", b"\xe9"))

    summary = run_ingest(session_factory, SendGridAdapter(files=[path]), source="sg")

    assert summary.error is None
    assert summary.is_balanced
    assert (summary.read, summary.quarantined) == (len(events), 2)
    held = _quarantine(session_factory)
    assert "invalid UTF-8" in held["sendgrid.json#0"].reason
    assert "email" in held[f"sendgrid.json#{len(events) - 1}"].reason
    assert "12345" in held[f"sendgrid.json#{len(events) - 1}"].reason


def test_invalid_utf8_and_negative_totals_in_a_shopify_page(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    page = json.loads((FIXTURES / "store.shopify" / "orders-1.json").read_text())
    first = page["orders"][0]
    page["orders"].append({**first, "id": 991, "total_price": "-5.00"})
    page["orders"].append({**first, "id": 992, "note": "caf\u00e9"})
    path = tmp_path / "orders.json"
    path.write_bytes(json.dumps(page, ensure_ascii=False).encode().replace(b"\xc3\xa9", b"\xe9"))

    summary = run_ingest(session_factory, ShopifyOrdersAdapter(files=[path]), source="shop")

    assert summary.error is None
    assert summary.is_balanced
    assert summary.quarantined == 2
    reasons = [q.reason for q in _quarantine(session_factory).values()]
    assert any("negative" in r and "-5.00" in r for r in reasons)
    assert any("invalid UTF-8" in r for r in reasons)


_POS = """
name = "store.pos"
channel = "store"
kind = "order"
format = "csv"
key = "receipt_id"
[timestamp]
column = "sold_at"
formats = ["%d/%m/%Y %H:%M"]
utc_offset = "-05:00"
[fields]
"identifiers.email" = "email"
"order.total" = "total"
[defaults]
"order.currency" = "USD"
"""


def _pos(tmp_path: Path, rows: list[bytes]) -> MappingAdapter:
    path = tmp_path / "pos.csv"
    header = b"receipt_id,sold_at,email,total"
    path.write_bytes(b"\r\n".join([header, *rows]) + b"\r\n")
    return MappingAdapter(parse_mapping(_pos_spec(), "pos.toml"), files=[path])


def _pos_spec() -> dict[str, Any]:
    import tomllib

    return tomllib.loads(_POS)


def test_hostile_csv_rows_are_quarantined_and_the_rest_stored(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    rows = [
        b"r1,05/01/2026 10:00,a@example.com,10.00",
        b"r2,05/01/2026 10:00,b\x00@example.com,10.00",  # NUL in a field
        b"r3,05/01/2026 10:00,caf\xe9@example.com,10.00",  # invalid UTF-8
        b'r4,05/01/2026 10:00,"' + b"x" * 1_100_000 + b'",10.00',  # over csv's field limit
        b"r5,05/01/2026 10:00",  # a short row
        b"r6,05/01/2026 10:00,c@example.com,-3.00",  # a negative total
        b"k" * 300 + b",05/01/2026 10:00,d@example.com,1.00",  # a key over 255 characters
        b"r8,05/01/2026 10:00,e@example.com,12.00",
    ]

    summary = run_ingest(session_factory, _pos(tmp_path, rows), source="pos")

    assert summary.error is None
    assert summary.is_balanced
    assert (summary.read, summary.stored, summary.quarantined) == (8, 2, 6)
    reasons = {position.split(":")[1]: q for position, q in _quarantine(session_factory).items()}
    assert "NUL" in reasons["3"].reason
    assert "invalid UTF-8" in reasons["4"].reason
    assert reasons["4"].raw_bytes is not None
    assert b"caf\xe9" in reasons["4"].raw_bytes
    assert "larger than" in reasons["5"].reason
    assert "fewer cells" in reasons["6"].reason
    assert "2 of 4" in reasons["6"].reason
    assert "negative" in reasons["7"].reason
    assert "255" in reasons["8"].reason


def test_a_record_the_database_refuses_is_quarantined_alone_and_the_batch_goes_on(
    session_factory: sessionmaker[Session], tmp_path: Path, backend: str
) -> None:
    # `events.name` holds 200 characters: PostgreSQL refuses a longer one (SQLite does not
    # check lengths), which used to roll back the whole batch and stop the run.
    bad = [_line("long-name", event="E" * 230), _line("after")]

    summary, held = _run_lines(session_factory, tmp_path, bad)

    assert summary.error is None
    assert summary.is_balanced
    if backend == "postgresql":
        assert (summary.stored, summary.quarantined) == (8, 1)
        (entry,) = held.values()
        assert entry.position == "web.jsonl:4"
        assert "database refused" in entry.reason
        assert "too long" in entry.reason
        assert entry.raw.encode() == bad[0]
    else:
        assert (summary.stored, summary.quarantined) == (9, 0)


def test_currency_codes_are_checked_alike_in_every_adapter(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    order = _event(
        "order",
        event="Order Completed",
        properties={"order_id": "o-9", "total": 5, "currency": "USDX"},
    )
    summary, held = _run_lines(session_factory, tmp_path, [json.dumps(order).encode()])

    assert summary.quarantined == 1
    (entry,) = held.values()
    assert "ISO 4217" in entry.reason
    assert "USDX" in entry.reason
