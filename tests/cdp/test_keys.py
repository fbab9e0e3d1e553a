from __future__ import annotations

import asyncio

import pytest
from click.testing import CliRunner
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from cdp.cli import cli
from cdp.db import unit_of_work
from cdp.errors import CdpError, NotFoundError
from cdp.services import keys


def test_created_key_authenticates_and_only_its_hash_is_stored(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        created = keys.create_key(session, role="app", name="shop app")

    with unit_of_work(session_factory) as session:
        row = keys.authenticate(session, created.key)
        assert row.role == "app"
        assert created.key not in row.key_hash
        assert created.key.split("_")[2] not in (row.key_hash + row.prefix + row.name)


@pytest.mark.parametrize(
    "bad",
    ["", "cdp_only-two", "cdp_nope_nope", "xyz_a_b"],
    ids=["empty", "short", "unknown", "scheme"],
)
def test_bad_key_is_refused_when_authenticating(
    session_factory: sessionmaker[Session], bad: str
) -> None:
    with unit_of_work(session_factory) as session, pytest.raises(keys.InvalidKeyError):
        keys.authenticate(session, bad)


def test_revoked_key_is_refused_when_authenticating(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        created = keys.create_key(session, role="admin", name="ops")
        keys.revoke_key(session, str(created.id))

    with (
        unit_of_work(session_factory) as session,
        pytest.raises(keys.InvalidKeyError, match="revoked"),
    ):
        keys.authenticate(session, created.key)


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _count_queries(engine: AsyncEngine) -> list[str]:
    statements: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    return statements


async def test_key_cache_skips_the_query_when_key_was_valid_within_ttl(
    session_factory: sessionmaker[Session],
    async_engine: AsyncEngine,
    async_session_factory: async_sessionmaker[AsyncSession],
) -> None:
    with unit_of_work(session_factory) as session:
        created = keys.create_key(session, role="analyst", name="bi")
    cache = keys.KeyCache(ttl=5.0, clock=_Clock())
    statements = _count_queries(async_engine)

    first = await cache.authenticate(async_session_factory, created.key)
    second = await cache.authenticate(async_session_factory, f" {created.key} ")

    assert first == second
    assert (first.role, first.source_id, first.key_id) == ("analyst", None, created.id)
    assert len(statements) == 1


async def _cached_then_revoked(
    session_factory: sessionmaker[Session],
    async_session_factory: async_sessionmaker[AsyncSession],
    refresh: float,
) -> tuple[keys.KeyCache, _Clock, str]:
    """A key checked once into a new 5 s cache, then revoked in the database."""
    with unit_of_work(session_factory) as session:
        created = keys.create_key(session, role="app", name="shop")
    clock = _Clock()
    cache = keys.KeyCache(ttl=5.0, refresh=refresh, clock=clock)
    await cache.authenticate(async_session_factory, created.key)
    with unit_of_work(session_factory) as session:
        keys.revoke_key(session, str(created.id))
    return cache, clock, created.key


async def test_key_cache_refuses_revoked_key_when_ttl_has_passed(
    session_factory: sessionmaker[Session],
    async_session_factory: async_sessionmaker[AsyncSession],
) -> None:
    # No check before expiry (refresh=0): the entry alone decides until it expires.
    cache, clock, key = await _cached_then_revoked(session_factory, async_session_factory, 0.0)

    clock.now += 4.9
    still_cached = await cache.authenticate(async_session_factory, key)
    clock.now += 0.2
    with pytest.raises(keys.InvalidKeyError, match="revoked"):
        await cache.authenticate(async_session_factory, key)

    assert still_cached.role == "app"


async def test_key_cache_checks_bad_keys_every_time_and_keeps_at_most_size_keys(
    session_factory: sessionmaker[Session],
    async_engine: AsyncEngine,
    async_session_factory: async_sessionmaker[AsyncSession],
) -> None:
    with unit_of_work(session_factory) as session:
        made = [keys.create_key(session, role="app", name=f"k{n}").key for n in range(3)]
    cache = keys.KeyCache(ttl=60.0, size=2, clock=_Clock())
    statements = _count_queries(async_engine)

    for key in made:  # the third evicts the first
        await cache.authenticate(async_session_factory, key)
    await cache.authenticate(async_session_factory, made[2])
    await cache.authenticate(async_session_factory, made[0])
    for _ in range(2):
        with pytest.raises(keys.InvalidKeyError, match="unknown"):
            await cache.authenticate(
                async_session_factory, made[0][:-1] + ("A" if made[0][-1] != "A" else "B")
            )

    assert len(statements) == 3 + 1 + 2


async def test_key_cache_misses_at_once_share_one_check(
    session_factory: sessionmaker[Session],
    async_engine: AsyncEngine,
    async_session_factory: async_sessionmaker[AsyncSession],
) -> None:
    with unit_of_work(session_factory) as session:
        good = keys.create_key(session, role="app", name="shop").key
    bad = good[:-1] + ("A" if good[-1] != "A" else "B")
    clock = _Clock()
    cache = keys.KeyCache(ttl=5.0, clock=clock)
    statements = _count_queries(async_engine)

    grants = await asyncio.gather(
        *(cache.authenticate(async_session_factory, good) for _ in range(20))
    )
    clock.now += 5.1  # expired: the next burst checks again, once
    again = await asyncio.gather(
        *(cache.authenticate(async_session_factory, good) for _ in range(20))
    )
    refused = await asyncio.gather(
        *(cache.authenticate(async_session_factory, bad) for _ in range(5)), return_exceptions=True
    )

    assert {g.role for g in grants + again} == {"app"}
    assert len(statements) == 3
    assert all(isinstance(error, keys.InvalidKeyError) for error in refused)


async def test_key_cache_waiters_check_again_when_the_checking_request_is_cancelled(
    session_factory: sessionmaker[Session],
    async_session_factory: async_sessionmaker[AsyncSession],
) -> None:
    with unit_of_work(session_factory) as session:
        good = keys.create_key(session, role="analyst", name="bi").key
    cache = keys.KeyCache(ttl=5.0, clock=_Clock())

    first = asyncio.ensure_future(cache.authenticate(async_session_factory, good))
    await asyncio.sleep(0)  # the first request is now making the check
    waiter = asyncio.ensure_future(cache.authenticate(async_session_factory, good))
    await asyncio.sleep(0)
    first.cancel()

    assert (await waiter).role == "analyst"
    with pytest.raises(asyncio.CancelledError):
        await first


async def _settled(cache: keys.KeyCache) -> None:
    """Until the cache's background checks are done."""
    while cache._refreshing:
        await asyncio.gather(*cache._refreshing, return_exceptions=True)


async def test_key_cache_checks_a_busy_key_again_before_it_expires_without_waiting(
    session_factory: sessionmaker[Session],
    async_engine: AsyncEngine,
    async_session_factory: async_sessionmaker[AsyncSession],
) -> None:
    with unit_of_work(session_factory) as session:
        created = keys.create_key(session, role="app", name="shop")
    clock = _Clock()
    cache = keys.KeyCache(ttl=5.0, refresh=1.0, clock=clock)
    statements = _count_queries(async_engine)
    await cache.authenticate(async_session_factory, created.key)

    clock.now += 3.9  # not yet in the last second: no check
    await cache.authenticate(async_session_factory, created.key)
    checks_before_refresh = len(statements)
    clock.now += 0.2  # in the last second: answered from the entry, checked in the background
    task = asyncio.ensure_future(cache.authenticate(async_session_factory, created.key))
    await asyncio.sleep(0)
    answered_at_once = task.done()
    await _settled(cache)
    checks_after_refresh = len(statements)
    clock.now += 4.0  # 8.1 s after the first check, 4 s after the background one
    renewed = await cache.authenticate(async_session_factory, created.key)

    assert answered_at_once
    assert (checks_before_refresh, checks_after_refresh, len(statements)) == (1, 2, 2)
    assert renewed.role == "app"


async def test_key_cache_drops_a_key_its_background_check_finds_revoked(
    session_factory: sessionmaker[Session],
    async_session_factory: async_sessionmaker[AsyncSession],
) -> None:
    cache, clock, key = await _cached_then_revoked(session_factory, async_session_factory, 1.0)

    clock.now += 4.5
    last_cached = await cache.authenticate(async_session_factory, key)
    await _settled(cache)

    assert last_cached.role == "app"
    with pytest.raises(keys.InvalidKeyError, match="revoked"):  # before the 5 s were up
        await cache.authenticate(async_session_factory, key)


def test_write_key_needs_an_existing_source(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        with pytest.raises(CdpError, match="--source"):
            keys.create_key(session, role="write", name="w")
        with pytest.raises(NotFoundError, match="'nowhere'"):
            keys.create_key(session, role="write", name="w", source_name="nowhere")
        session.add(models.Source(name="web", channel="web", adapter="web.segment"))
        session.flush()
        created = keys.create_key(session, role="write", name="w", source_name="web")

    assert created.source == "web"


def test_keys_command_prints_key_last_and_lists_without_secrets(db_url: str) -> None:
    runner = CliRunner()
    env = {"CDP_DATABASE_URL": db_url}

    created = runner.invoke(cli, ["keys", "create", "--role", "analyst"], env=env)
    listed = runner.invoke(cli, ["keys"], env=env)
    revoked = runner.invoke(cli, ["keys", "revoke", "1"], env=env)

    assert created.exit_code == 0, created.output
    key = created.stdout.strip().splitlines()[-1]
    assert key.startswith("cdp_")
    assert "analyst" in listed.stdout
    assert key.split("_")[2] not in listed.stdout
    assert "revoked key #1" in revoked.stdout
