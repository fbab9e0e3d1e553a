"""Quarantine entries are resolved when their record later arrives, by replay, or dismissed by
a person with a reason; resolved entries leave the counts but are kept (both backends)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from cdp.cli import cli
from ingest import count_quarantine, list_quarantine
from ingest.adapters import SegmentAdapter
from ingest.runner import run_ingest


def _track(message_id: str, timestamp: str = "2026-01-05T10:00:00Z") -> str:
    message = {"type": "track", "messageId": message_id, "userId": "u-1", "event": "E",
               "timestamp": timestamp}  # fmt: skip
    return json.dumps(message)


def _entries(session_factory: sessionmaker[Session]) -> list[models.Quarantine]:
    with session_factory() as session:
        return list(session.scalars(select(models.Quarantine).order_by(models.Quarantine.id)))


def test_an_entry_is_resolved_when_its_fixed_record_is_ingested(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    path = tmp_path / "web.jsonl"
    path.write_text("\n".join([_track("ok"), _track("late", "yesterday"), "{broken"]) + "\n")
    run_ingest(session_factory, SegmentAdapter(files=[path]), source="web")
    fixed = tmp_path / "fixed.jsonl"
    fixed.write_text(_track("late") + "\n")  # the same record, fixed, in another file

    run_ingest(session_factory, SegmentAdapter(files=[fixed]), source="web")

    late, broken = _entries(session_factory)
    assert (late.record_key, late.resolution) == ("late", "arrived")
    assert late.resolved_at is not None
    assert (broken.record_key, broken.resolution) == (None, None)
    with session_factory() as session:
        assert [c.count for c in count_quarantine(session)] == [1]
        assert [i.position for i in list_quarantine(session)] == ["web.jsonl:3"]
        assert [i.resolution for i in list_quarantine(session, resolved=True)] == ["arrived"]


def test_cli_dismiss_with_a_reason_and_sources_counts_only_open_entries(
    session_factory: sessionmaker[Session], db_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "web.jsonl"
    path.write_text("\n".join(["{broken", "[1]", _track("ok")]) + "\n")
    run_ingest(session_factory, SegmentAdapter(files=[path]), source="web")
    env = {"CDP_DATABASE_URL": db_url, "CDP_SOURCES_FILE": str(tmp_path / "cdp.toml")}
    first = _entries(session_factory)[0].id
    runner = CliRunner()

    refused = runner.invoke(cli, ["quarantine", "dismiss", str(first), "--reason", " "], env=env)
    one = runner.invoke(
        cli, ["quarantine", "dismiss", str(first), "--reason", "test data"], env=env
    )
    sources = runner.invoke(cli, ["sources", "--json"], env=env)
    rest = runner.invoke(
        cli, ["quarantine", "dismiss", "--source", "web", "--reason", "known junk"], env=env
    )

    assert refused.exit_code != 0
    assert one.exit_code == 0, one.output
    assert "dismissed 1" in one.output
    (web,) = json.loads(sources.stdout)
    assert web["quarantined"] == 1
    assert "dismissed 1" in rest.output
    notes = [(e.resolution, e.resolution_note) for e in _entries(session_factory)]
    assert notes == [("dismissed", "test data"), ("dismissed", "known junk")]


def test_replay_resolves_what_now_passes_and_keeps_the_entry(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    from ingest.quarantine import replay_quarantine

    path = tmp_path / "web.jsonl"
    path.write_text(_track("x", "2026-01-05T10:00:00") + "\n")  # no UTC offset
    run_ingest(session_factory, SegmentAdapter(files=[path]), source="web")
    with session_factory.begin() as session:
        entry = session.scalar(select(models.Quarantine))
        assert entry is not None
        entry.raw = _track("x")

    summary = replay_quarantine(session_factory, source="web", adapter=SegmentAdapter())
    again = replay_quarantine(session_factory, source="web", adapter=SegmentAdapter())

    assert (summary.stored, summary.still_failing) == (1, 0)
    assert again.replayed == 0
    (kept,) = _entries(session_factory)
    assert kept.resolution == "replayed"
