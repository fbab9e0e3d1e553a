"""A killed run's records are resolved at the next ingest or server start, which says so.

`cdp ingest` is run as a real process and killed with SIGKILL while some of its stored records
are not yet resolved (stored and resolved are two transactions); the next run picks them up.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from cdp import models
from cdp.app import create_app
from cdp.config import Settings
from cdp.resume import SETTLE
from ingest.adapters import SegmentAdapter
from ingest.runner import run_ingest


def _events(path: Path, people: int) -> Path:
    with path.open("w") as out:
        for i in range(people):
            for kind in ("identify", "track"):
                message = {
                    "type": kind,
                    "messageId": f"{kind}-{i}",
                    "userId": f"u-{i}",
                    "timestamp": "2026-01-05T10:00:00Z",
                    "event": "Viewed",
                    "traits": {"email": f"person{i}@example.com", "firstName": f"P{i}"},
                }
                out.write(json.dumps(message) + "\n")
    return path


def _unresolved(session_factory: sessionmaker[Session]) -> tuple[int, int]:
    with session_factory() as session:
        sr = models.SourceRecord
        stored = session.scalar(select(func.count()).select_from(sr)) or 0
        pending = session.scalar(select(func.count()).where(sr.resolved_at.is_(None))) or 0
    return int(stored), int(pending)


def _cdp(settings: Settings, *args: str) -> list[str]:
    return [sys.executable, "-m", "cdp", *args]


def _env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "CDP_DATABASE_URL": settings.database_url,
        "CDP_SOURCES_FILE": str(settings.sources_file),
        "CDP_ENV": "test",
    }


def test_records_left_unresolved_by_a_killed_ingest_are_resolved_by_the_next_one(
    settings: Settings, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    events = _events(tmp_path / "web.jsonl", 400)
    command = _cdp(settings, "ingest", "--adapter", "web.segment", "--source", "web", str(events))
    command += ["--batch-size", "100", "--no-progress"]
    process = subprocess.Popen(
        command, env=_env(settings), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and process.poll() is None:
            stored, pending = _unresolved(session_factory)
            if stored and pending:
                process.send_signal(signal.SIGKILL)
                break
            time.sleep(0.01)
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()
    stored, left = _unresolved(session_factory)
    assert process.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    assert left > 0  # what the kill left: stored, never resolved

    time.sleep(SETTLE.total_seconds())
    rerun = subprocess.run(
        [*command, "--json"], env=_env(settings), capture_output=True, text=True, timeout=600
    )

    assert rerun.returncode == 0, rerun.stderr
    summary = json.loads(rerun.stdout)
    assert summary["resumed"] >= left
    assert f"resumed: resolved {summary['resumed']:,} records" in rerun.stderr
    assert summary["read"] == 800
    assert summary["stored"] + summary["duplicates"] == 800
    assert _unresolved(session_factory) == (800, 0)
    with session_factory() as session:
        no_profile = session.scalar(
            select(func.count()).where(models.SourceRecord.profile_id.is_(None))
        )
    assert no_profile == 0


def test_the_server_resolves_left_over_records_when_it_starts(
    settings: Settings, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    # As a server killed during pushes leaves them: stored, not resolved, a while ago.
    events = _events(tmp_path / "web.jsonl", 50)
    run_ingest(session_factory, SegmentAdapter(files=[events]), source="web")
    with session_factory.begin() as session:
        old = datetime.now(UTC) - timedelta(minutes=5)
        session.execute(update(models.SourceRecord).values(received_at=old))
    assert _unresolved(session_factory) == (100, 100)

    with TestClient(create_app(settings)) as client:
        assert client.app.state.resolver.wait_idle()  # type: ignore[attr-defined]

    assert _unresolved(session_factory) == (100, 0)


def test_records_stored_a_moment_ago_are_left_to_the_run_resolving_them(
    settings: Settings, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    from cdp.resume import resolve_left_over

    events = _events(tmp_path / "web.jsonl", 5)
    run_ingest(session_factory, SegmentAdapter(files=[events]), source="web")

    assert resolve_left_over(session_factory) == 0
    assert resolve_left_over(session_factory, settle=timedelta(0)) == 10
    assert _unresolved(session_factory) == (10, 0)
