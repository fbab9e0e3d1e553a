"""Exactly once: SIGKILL a real `cdp ingest` at several points, re-run it, lose and
duplicate nothing; and no killed run leaves a record without its identifiers or facts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from tests.ingest.conftest import counts

ROOT = Path(__file__).resolve().parents[2]
N = 12_000
BAD_EVERY = 1000


def _write_events(path: Path) -> int:
    bad = 0
    with path.open("w") as handle:
        for i in range(N):
            if i % BAD_EVERY == 999:
                handle.write('{"type": "track", "messageId": "broken\n')
                bad += 1
                continue
            message = {
                "type": "track",
                "messageId": f"m-{i}",
                "anonymousId": f"anon-{i % 3000}",
                "userId": f"user-{i % 1000}",
                "event": "Product Viewed",
                "timestamp": "2026-01-05T10:00:00+00:00",
                "properties": {"product_id": f"p-{i % 50}", "i": i},
            }
            handle.write(json.dumps(message) + "\n")
    return bad


def _start(db_url: str, path: Path, cwd: Path) -> subprocess.Popen[bytes]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "CDP_DATABASE_URL": db_url,
        "CDP_SOURCES_FILE": str(cwd / "cdp.toml"),
    }
    command = [sys.executable, "-m", "cdp", "ingest", "--adapter", "web.segment"]
    command += ["--source", "web", "--batch-size", "500", "--no-resolve", str(path)]
    return subprocess.Popen(
        command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _stored(session_factory: sessionmaker[Session]) -> int:
    with session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(models.SourceRecord)) or 0)


def _assert_whole(session_factory: sessionmaker[Session]) -> None:
    """Every stored record has its event and both identifiers: nothing is half-written."""
    got = counts(session_factory)
    assert got["events"] == got["records"], got
    assert got["identifiers"] == 2 * got["records"], got


def test_killed_ingest_reruns_to_exactly_once(
    session_factory: sessionmaker[Session], db_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "events.jsonl"
    bad = _write_events(path)
    kills = 0
    for threshold in (1, N // 4, N // 2):
        process = _start(db_url, path, tmp_path)
        deadline = time.monotonic() + 120
        while _stored(session_factory) < threshold and process.poll() is None:
            assert time.monotonic() < deadline, "ingest made no progress"
            time.sleep(0.01)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait(timeout=60)
        _assert_whole(session_factory)

    final = _start(db_url, path, tmp_path)
    assert final.wait(timeout=300) == 0

    assert kills >= 2, "the ingest finished before it could be killed; raise N"
    got = counts(session_factory)
    assert got["records"] == N - bad
    assert got["quarantine"] == bad
    _assert_whole(session_factory)
    with session_factory() as session:
        distinct = session.scalar(
            select(func.count(func.distinct(models.SourceRecord.external_id)))
        )
    assert distinct == N - bad
