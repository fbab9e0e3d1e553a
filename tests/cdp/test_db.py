from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, bindparam, func, literal_column, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from cdp.config import Settings
from cdp.db import (
    check_database,
    create_async_db_engine,
    create_async_read_engine,
    create_db_engine,
    dispose_read_engine,
    fetch_rows,
    make_async_sessionmaker,
    unit_of_work,
)
from cdp.errors import DatabaseError
from cdp.services.profiles import ProfileRow


def make_source(session: Session, *, name: str = "web-main", channel: str = "web") -> models.Source:
    source = models.Source(name=name, channel=channel, adapter="web.segment")
    session.add(source)
    session.flush()
    return source


def make_record(
    session: Session, *, source: models.Source, external_id: str = "r-1"
) -> models.SourceRecord:
    record = models.SourceRecord(
        source_id=source.id,
        external_id=external_id,
        kind="event",
        payload={"b": 1, "a": [1, 2]},
        content_hash="0" * 64,
    )
    session.add(record)
    session.flush()
    return record


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_sqlite_runs_with_foreign_keys_and_wal_when_connected(engine: Engine) -> None:
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_timestamps_come_back_aware_utc_when_stored(session_factory: sessionmaker[Session]) -> None:
    moment = datetime(2026, 3, 1, 12, 30, tzinfo=timezone(timedelta(hours=2)))
    with unit_of_work(session_factory) as session:
        record = make_record(session, source=make_source(session))
        record.occurred_at = moment
        record_id = record.id

    with unit_of_work(session_factory) as session:
        stored = session.get_one(models.SourceRecord, record_id)
        assert stored.occurred_at == moment
        assert stored.occurred_at is not None
        assert stored.occurred_at.tzinfo is not None
        assert stored.occurred_at.utcoffset() == timedelta(0)
        assert stored.received_at.tzinfo is not None


def test_naive_timestamp_is_refused_when_written(session_factory: sessionmaker[Session]) -> None:
    with pytest.raises(Exception, match="naive datetime"), unit_of_work(session_factory) as session:
        record = make_record(session, source=make_source(session))
        record.occurred_at = datetime(2026, 3, 1, 12, 30)
        session.flush()


def test_external_id_is_unique_per_source_when_inserted_twice(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        source = make_source(session)
        make_record(session, source=source)
        other = make_source(session, name="web-other")
        make_record(session, source=other)  # same external id, other source: fine

    with pytest.raises(IntegrityError), unit_of_work(session_factory) as session:
        make_record(session, source=session.get_one(models.Source, source.id))


def test_foreign_keys_are_enforced_when_record_names_missing_source(
    session_factory: sessionmaker[Session],
) -> None:
    with pytest.raises(IntegrityError), unit_of_work(session_factory) as session:
        session.add(
            models.SourceRecord(
                source_id=999, external_id="x", kind="event", payload={}, content_hash="0"
            )
        )


def test_unit_of_work_rolls_back_when_block_raises(session_factory: sessionmaker[Session]) -> None:
    with pytest.raises(RuntimeError), unit_of_work(session_factory) as session:
        make_source(session)
        raise RuntimeError("boom")

    with unit_of_work(session_factory) as session:
        assert session.scalars(select(models.Source)).all() == []


def test_payload_round_trips_when_json(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        record_id = make_record(session, source=make_source(session)).id

    with unit_of_work(session_factory) as session:
        assert session.get_one(models.SourceRecord, record_id).payload == {"b": 1, "a": [1, 2]}


def test_unreachable_database_is_one_line_when_checked() -> None:
    engine = create_db_engine(Settings(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none"))
    with pytest.raises(DatabaseError) as caught:
        check_database(engine)
    engine.dispose()

    assert "\n" not in str(caught.value)
    assert "127.0.0.1:1/none" in str(caught.value)


def test_profile_merge_pointer_resolves_when_followed(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        session.add(models.Profile(id="p-winner"))
        session.flush()
        session.add(models.Profile(id="p-loser", status="merged", merged_into_id="p-winner"))

    with unit_of_work(session_factory) as session:
        loser = session.get_one(models.Profile, "p-loser")
        assert (loser.status, loser.merged_into_id) == ("merged", "p-winner")
        assert loser.created_at.tzinfo is UTC or loser.created_at.utcoffset() == timedelta(0)


_PROFILE_BY_EMAIL = select(*models.Profile.__table__.columns).where(
    models.Profile.email == bindparam("email")
)


async def test_prebuilt_reads_convert_values_as_a_session_does(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(session_factory) as session:
        session.add(
            models.Profile(
                id="p1",
                email="jane@example.com",
                attributes={"address": {"city": "Oslo"}},
                first_seen_at=datetime(2026, 3, 1, 12, 30, tzinfo=timezone(timedelta(hours=2))),
            )
        )
    engine = create_async_db_engine(settings)
    read_engine = create_async_read_engine(settings, engine)
    readers = make_async_sessionmaker(read_engine)
    try:
        for _ in range(3):  # the first run, and runs of the prepared statement
            rows = await fetch_rows(readers, _PROFILE_BY_EMAIL, {"email": "jane@example.com"})
            async with readers() as session:
                expected = (
                    await session.execute(_PROFILE_BY_EMAIL, {"email": "jane@example.com"})
                ).all()
            assert [list(row) for row in rows] == [list(row) for row in expected]
        first_seen = dict(zip(models.Profile.__table__.columns.keys(), rows[0], strict=True))[
            "first_seen_at"
        ]
        assert first_seen.utcoffset() == timedelta(0)
        assert await fetch_rows(readers, _PROFILE_BY_EMAIL, {"email": "nobody@example.com"}) == []
    finally:
        await dispose_read_engine(read_engine)
        await engine.dispose()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_a_direct_read_cut_short_closes_its_connection(settings: Settings) -> None:
    engine = create_async_db_engine(settings)
    read_engine = create_async_read_engine(settings, engine)
    readers = make_async_sessionmaker(read_engine)
    slow = select(func.pg_sleep(5).label("slept"), literal_column("1").label("one"))
    try:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.2):
                await fetch_rows(readers, slow, {})
        # The interrupted connection was not handed out again: the next read works at once.
        async with asyncio.timeout(2):
            rows = await fetch_rows(readers, _PROFILE_BY_EMAIL, {"email": "x@example.com"})
        assert rows == []
    finally:
        await dispose_read_engine(read_engine)
        await engine.dispose()


def test_profile_rows_hold_every_column_of_a_stored_profile() -> None:
    # find_by_identifier reads a ProfileRow positionally from the profile's columns.
    assert set(ProfileRow.__slots__) == set(models.Profile.__table__.columns.keys())
