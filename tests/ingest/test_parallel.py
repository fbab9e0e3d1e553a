"""`run_ingest(..., workers=2)`: the same outcome as one process, record for record."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from ingest.adapter import RawRecord
from ingest.adapters import SegmentAdapter
from ingest.codec import loads
from ingest.errors import AdapterConfigError
from ingest.parallel import _Partition
from ingest.runner import run_ingest
from tests.ingest.conftest import FIXTURES, counts
from tests.ingest.test_exactly_once import ROOT, N, _assert_whole, _write_events
from tests.ingest.test_exactly_once import _stored as _stored_count

EVENTS = FIXTURES / "web.segment" / "events.jsonl"


def _message(i: int, **extra: Any) -> dict[str, Any]:
    return {
        "type": "track",
        "messageId": f"m-{i}",
        "anonymousId": f"a-{i % 7}",
        "userId": f"u-{i % 5}",
        "event": "Product Viewed",
        "timestamp": f"2026-01-0{1 + i % 9}T10:00:00Z",
        "properties": {"product_id": f"p-{i}", **extra},
    }


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines))
    return path


def _stored(session_factory: sessionmaker[Session], source: str) -> dict[str, Any]:
    table = models.SourceRecord
    with session_factory() as session:
        rows = session.execute(
            select(table.external_id, table.content_hash, table.payload)
            .join(models.Source)
            .where(models.Source.name == source)
        )
        return {external_id: (digest, payload) for external_id, digest, payload in rows}


def test_two_workers_store_what_one_process_stores(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    lines = [json.dumps(_message(i)) for i in range(60)]
    # m-3 comes again later with changed content: the later line must win, as in one process
    lines.append(json.dumps(_message(3, colour="red")))
    lines.append(json.dumps(_message(4)))  # an identical resend: a duplicate
    lines.append('{"type": "track", "messageId": "broken"')
    path = _write(tmp_path / "web.jsonl", lines)

    single = run_ingest(session_factory, SegmentAdapter(files=[path]), source="one", batch_size=7)
    double = run_ingest(
        session_factory, SegmentAdapter(files=[path]), source="two", batch_size=7, workers=2
    )

    assert double.is_balanced
    assert double.error is None
    outcome = (double.read, double.stored, double.replaced, double.duplicates, double.quarantined)
    assert outcome == (single.read, single.stored, single.replaced, single.duplicates, 1)
    assert outcome == (63, 61, 1, 1, 1)  # 60 new + m-3 replaced; the m-4 resend; the bad line
    assert _stored(session_factory, "two") == _stored(session_factory, "one")
    assert _stored(session_factory, "two")["m-3"][1]["properties"]["colour"] == "red"
    with session_factory() as session:
        positions = session.scalars(
            select(models.Quarantine.position).where(models.Quarantine.source_name == "two")
        ).all()
    assert positions == ["web.jsonl:63"]


def test_two_workers_write_identifiers_and_facts_and_rerun_adds_nothing(
    session_factory: sessionmaker[Session],
) -> None:
    summary = run_ingest(session_factory, SegmentAdapter(files=[EVENTS]), source="web", workers=2)

    assert (summary.read, summary.stored, summary.quarantined) == (7, 7, 0)
    got = counts(session_factory)
    assert (got["records"], got["events"], got["orders"], got["items"]) == (7, 5, 1, 2)
    again = run_ingest(session_factory, SegmentAdapter(files=[EVENTS]), source="web", workers=2)
    assert (again.read, again.stored, again.duplicates) == (7, 0, 7)
    assert counts(session_factory) == got


def test_workers_refuse_callbacks_they_could_not_run_in_order(
    session_factory: sessionmaker[Session],
) -> None:
    with pytest.raises(AdapterConfigError, match="on_batch"):
        run_ingest(
            session_factory,
            SegmentAdapter(files=[EVENTS]),
            source="web",
            workers=2,
            on_batch=lambda ids: None,
        )


# JSON values that may hold the key again (nested), quotes, backslashes and escapes.
_TEXT = st.sampled_from(["m-1", " m-1 ", "m\\-1", 'm"1', "m\u00e9", "", "messageId", '"a"'])
_VALUE = st.recursive(
    st.none() | st.integers(-3, 3) | _TEXT,
    lambda inner: (
        st.lists(inner, max_size=2)
        | st.dictionaries(st.sampled_from(["messageId", "a", "b"]), inner, max_size=2)
    ),
    max_leaves=6,
)
# Objects whose top-level key may come after a nested one, or be missing, or not be a string.
_OBJECT = st.lists(
    st.tuples(st.just("messageId"), _TEXT | _VALUE) | st.tuples(st.sampled_from("xy"), _VALUE),
    max_size=3,
    unique_by=lambda pair: pair[0],
).map(dict)


@settings(max_examples=300)
@given(
    _OBJECT,
    st.booleans(),
    st.sampled_from([(",", ":"), (", ", ": "), (",", " :  ")]),
)
def test_a_line_and_its_parsed_record_fall_in_one_partition_by_their_key(
    value: dict[str, Any], ascii_only: bool, separators: tuple[str, str]
) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only, separators=separators)
    parsed = loads(text)
    workers = [_Partition("messageId", index, 3) for index in range(3)]
    # Exactly one worker lets the line through and then keeps the record.
    owner = _owners(workers, text)
    assert len(owner) == 1
    # A sure reading of the raw text is the parsed top-level key.
    scanned = workers[0].scan(text)
    if scanned is not None and "messageId" in parsed:
        assert scanned == str(parsed["messageId"])
    # Records with the same trimmed key go to the same worker, however their text reads.
    if isinstance(parsed.get("messageId"), str) and parsed["messageId"].strip():
        assert _owners(workers, json.dumps({"messageId": parsed["messageId"].strip()})) == owner


def _owners(workers: list[_Partition], text: str) -> list[int]:
    raw = RawRecord("f.jsonl:1", loads(text), text)
    return [w.index for w in workers if w.line(text) and w.record(raw)]


_SCRIPT = """
import sys
from cdp.config import Settings
from cdp.db import create_db_engine, make_sessionmaker
from ingest.adapters import SegmentAdapter
from ingest.runner import run_ingest

factory = make_sessionmaker(create_db_engine(Settings(database_url=sys.argv[1])))
adapter = SegmentAdapter(files=[sys.argv[2]])
run_ingest(factory, adapter, source="web", batch_size=500, workers=2)
"""


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_killed_parallel_ingest_takes_its_workers_down_and_reruns_to_exactly_once(
    session_factory: sessionmaker[Session], db_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "events.jsonl"
    bad = _write_events(path)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", _SCRIPT, db_url, str(path)]
    kills = 0
    for threshold in (1, N // 3):
        process = subprocess.Popen(command, env=env, cwd=tmp_path)
        deadline = time.monotonic() + 120
        while _stored_count(session_factory) < threshold and process.poll() is None:
            assert time.monotonic() < deadline, "ingest made no progress"
            time.sleep(0.01)
        workers = _children(process.pid)
        if process.poll() is None:
            assert len(workers) == 2, workers  # records are stored by the workers only
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait(timeout=60)
        deadline = time.monotonic() + 30
        while any(_alive(pid) for pid in workers):
            assert time.monotonic() < deadline, f"workers {workers} outlived their parent"
            time.sleep(0.05)
        _assert_whole(session_factory)

    final = subprocess.run(command, env=env, cwd=tmp_path, timeout=300, check=False)
    assert final.returncode == 0

    assert kills >= 1, "the ingest finished before it could be killed; raise N"
    got = counts(session_factory)
    assert (got["records"], got["quarantine"]) == (N - bad, bad)
    _assert_whole(session_factory)
