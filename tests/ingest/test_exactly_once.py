"""Exactly once: SIGKILL a real `cdp ingest` at several points, re-run it, lose and
duplicate nothing; and no killed run leaves a record without its identifiers or facts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from tests.ingest.conftest import counts
from tests.ingest.fake_apis import FakeShopify, serve_in_thread

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


def _orders(n: int) -> list[dict[str, object]]:
    start = datetime(2026, 2, 1, tzinfo=UTC)
    return [
        {
            "id": 5000 + i,
            "email": f"p{i}@example.com",
            "currency": "USD",
            "total_price": "10.00",
            "created_at": (start + timedelta(minutes=i)).isoformat(),
            "updated_at": (start + timedelta(minutes=i)).isoformat(),
            "customer": {"id": 900 + i},
            "line_items": [],
        }
        for i in range(n)
    ]


def test_killed_pull_resumes_from_its_checkpoint_exactly_once(
    session_factory: sessionmaker[Session], db_url: str, tmp_path: Path
) -> None:
    orders = _orders(1500)
    api = FakeShopify(orders, token="shpat_test")
    with serve_in_thread(api, delay=0.02) as url:
        (tmp_path / "cdp.toml").write_text(
            f'[sources.shop]\nadapter = "store.shopify"\nshop_url = "{url}"\n'
            'access_token_env = "SHOP_TOKEN"\npage_size = 50\n'
        )
        env = {"SHOP_TOKEN": "shpat_test"}
        kills = 0
        for threshold in (100, 600):
            process = _start_source(db_url, tmp_path, env)
            deadline = time.monotonic() + 120
            while _stored(session_factory) < threshold and process.poll() is None:
                assert time.monotonic() < deadline, "pull made no progress"
                time.sleep(0.01)
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                kills += 1
            process.wait(timeout=60)
        resumed_from = len(api.requests)
        assert _start_source(db_url, tmp_path, env).wait(timeout=300) == 0

    assert kills == 2
    # A request the killed run sent just before dying may be logged after `resumed_from`
    # (the server answers in its own thread); the re-run's first request opens a new query.
    first = next(r for r in api.requests[resumed_from:] if "page_info" not in r.url.params)
    assert "updated_at_min" in first.url.params
    got = counts(session_factory)
    assert (got["records"], got["orders"]) == (1500, 1500)
    with session_factory() as session:
        state = session.scalar(select(models.Checkpoint.state))
    assert state == {"cursor": orders[-1]["updated_at"]}


def _start_source(db_url: str, cwd: Path, extra: dict[str, str]) -> subprocess.Popen[bytes]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "CDP_DATABASE_URL": db_url,
        "CDP_SOURCES_FILE": str(cwd / "cdp.toml"),
        **extra,
    }
    command = [sys.executable, "-m", "cdp", "ingest", "shop", "--batch-size", "100", "--no-resolve"]
    return subprocess.Popen(
        command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
