"""Group commit of pushes (`cdp.web.push_groups`): requests that arrive during a write are
written together in one transaction, and each gets the answer it would have had alone; a
group with a held-back record or a message the database refuses is written again request by
request (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from cdp.config import Settings
from cdp.db import create_async_db_engine, make_async_sessionmaker, unit_of_work
from cdp.privacy.suppression import suppress
from cdp.web.push_groups import PushGroups, WrongSource
from ingest import PushResult, ensure_source
from tests.ingest.conftest import counts
from tests.ingest.test_push_hostile import _track


def _source(session_factory: sessionmaker[Session], adapter: str = "web.segment") -> int:
    with unit_of_work(session_factory) as session:
        return ensure_source(session, name="web", channel="web", adapter=adapter, config={}).id


def _push_together(
    settings: Settings, source_id: int, requests: Sequence[list[Any]], adapter: str = "web.segment"
) -> tuple[list[PushResult | BaseException], int]:
    """Push these requests at once (each is queued before the first write starts)."""

    async def run() -> tuple[list[PushResult | BaseException], int]:
        engine = create_async_db_engine(settings)
        try:
            groups = PushGroups(make_async_sessionmaker(engine))
            now = datetime.now(UTC)
            results = await asyncio.gather(
                *(
                    groups.push(source_id, adapter, messages, f"push /v1/batch@{i}", now)
                    for i, messages in enumerate(requests)
                ),
                return_exceptions=True,
            )
            return list(results), groups.groups
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _counts(result: PushResult | BaseException) -> tuple[int, int, int, int, int]:
    assert isinstance(result, PushResult), result
    return result.accepted, result.rejected, result.stored, result.duplicates, result.suppressed


def test_concurrent_requests_are_one_transaction_each_with_its_own_answer(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    source_id = _source(session_factory)
    requests = [
        [_track("a"), _track("b")],
        [_track("b"), _track("c")],  # b: the first request stores it
        [_track("nul", properties={"x": "a\u0000b"}), _track("d")],
        [_track("a")],
    ]

    results, groups = _push_together(settings, source_id, requests)

    assert groups == 1
    assert [_counts(r) for r in results] == [
        (2, 0, 2, 0, 0),
        (2, 0, 1, 1, 0),
        (1, 1, 1, 0, 0),
        (1, 0, 0, 1, 0),
    ]
    bad = results[2]
    assert isinstance(bad, PushResult)
    assert bad.errors[0].startswith("push /v1/batch@2#0")
    with session_factory() as session:
        keys = dict(
            session.execute(select(models.SourceRecord.id, models.SourceRecord.external_id)).all()
        )
    stored = [r.record_ids for r in results if isinstance(r, PushResult)]
    assert sorted(i for ids in stored for i in ids) == sorted(keys)
    assert counts(session_factory)["quarantine"] == 1


def test_a_held_back_record_makes_the_group_write_again_one_request_at_a_time(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    source_id = _source(session_factory)
    with unit_of_work(session_factory) as session:
        suppress(session, [("email", "gone@example.com")], erasure_id=None)
    erased = _track("gone", context={"traits": {"email": "gone@example.com"}})
    requests = [[_track("a")], [erased, _track("b")], [_track("c")]]

    results, _ = _push_together(settings, source_id, requests)

    assert [_counts(r) for r in results] == [
        (1, 0, 1, 0, 0),
        (2, 0, 1, 0, 1),
        (1, 0, 1, 0, 0),
    ]
    assert counts(session_factory)["records"] == 3


def test_a_message_the_database_refuses_costs_no_other_request_of_its_group(
    settings: Settings, session_factory: sessionmaker[Session], backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite does not check lengths: nothing is refused")
    source_id = _source(session_factory)
    requests = [[_track("a")], [_track("long", event="E" * 230), _track("b")], [_track("c")]]

    results, _ = _push_together(settings, source_id, requests)

    assert [_counts(r)[:3] for r in results] == [(1, 0, 1), (1, 1, 1), (1, 0, 1)]
    refused = results[1]
    assert isinstance(refused, PushResult)
    assert refused.errors[0].startswith("push /v1/batch@1#0")
    assert counts(session_factory)["records"] == 3


def test_a_source_of_another_adapter_refuses_the_whole_group(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    source_id = _source(session_factory, adapter="email.sendgrid")

    results, _ = _push_together(settings, source_id, [[_track("a")], [_track("b")]])

    assert all(isinstance(r, WrongSource) and r.found == "email.sendgrid" for r in results)
    assert counts(session_factory)["records"] == 0
