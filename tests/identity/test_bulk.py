"""The bulk write of a full run from scratch: on PostgreSQL the rewritten tables are swapped
for new copies (`identity._swap`); the schema must come out as a fresh upgrade builds it, and
a failure must leave everything as it was."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, select, text
from sqlalchemy.orm import Session, sessionmaker

import identity.bulk
from cdp import migrate, models
from cdp.config import Settings
from cdp.db import create_db_engine, unit_of_work
from identity import resolve
from tests.identity.factories import make_record, person

_SWAPPED = ("source_records", "identifiers", "events", "orders")

# One query per part of a PostgreSQL table's definition, each over every table of the schema
# (columns by position among the live ones: a new table has no dropped columns).
_CATALOG = {
    "columns": """
        SELECT c.relname, row_number() OVER (PARTITION BY c.relname ORDER BY a.attnum),
               a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               pg_get_expr(d.adbin, d.adrelid), a.attcollation, a.attstorage,
               a.attcompression, a.attidentity, a.attgenerated
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
        AND a.attnum > 0 AND NOT a.attisdropped""",
    "constraints": """
        SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid),
               condeferrable, condeferred, convalidated
        FROM pg_constraint WHERE connamespace = 'public'::regnamespace""",
    "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'",
    "triggers": """
        SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid), tgenabled
        FROM pg_trigger WHERE NOT tgisinternal""",
    "sequences": """
        SELECT s.relname, d.refobjid::regclass::text, a.attname, d.deptype
        FROM pg_class s JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass
        JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
        WHERE s.relkind = 'S' AND s.relnamespace = 'public'::regnamespace""",
    "comments": """
        SELECT c.relname, d.objsubid, d.description FROM pg_description d
        JOIN pg_class c ON c.oid = d.objoid AND d.classoid = 'pg_class'::regclass
        WHERE c.relnamespace = 'public'::regnamespace""",
    "tables": """
        SELECT relname, relkind, relpersistence, reloptions, relacl, relrowsecurity,
               relreplident, pg_get_userbyid(relowner)
        FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'S', 'v')""",
}


def _schema(connection: Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Everything the database says about the tables' definitions, sorted."""
    if connection.dialect.name == "sqlite":
        rows = connection.execute(text("SELECT type, name, tbl_name, sql FROM sqlite_master"))
        return {"sqlite_master": sorted(tuple(row) for row in rows)}
    return {
        part: sorted((tuple(row) for row in connection.execute(text(query))), key=repr)
        for part, query in _CATALOG.items()
    }


def _differences(
    now: dict[str, list[tuple[Any, ...]]], fresh: dict[str, list[tuple[Any, ...]]]
) -> dict[str, tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    """Per part of the schema: (what is there and should not be, what is missing)."""
    out = {}
    for part in fresh:
        extra = [row for row in now.get(part, []) if row not in fresh[part]]
        missing = [row for row in fresh[part] if row not in now.get(part, [])]
        if extra or missing:
            out[part] = (extra, missing)
    return out


def _oids(session: Session) -> dict[str, int]:
    return {
        name: session.scalar(text("SELECT to_regclass(:n)::oid"), {"n": name}) for name in _SWAPPED
    }


def _store(session: Session) -> list[int]:
    """Two people over four records, with identifiers, events and an order with an item."""
    ids = []
    for n, (given, email) in enumerate([("Jane", "j@x.com"), ("John", "o@x.com")] * 2):
        record = make_record(
            session,
            attributes=person(given, "Doe", email=email, birth_date=f"198{n % 2}-01-02"),
            identifiers={"email": email, "customer_id": f"c-{given}"},
            with_event=True,
        )
        ids.append(record.id)
    order = models.Order(
        record_id=ids[0],
        source_id=1,
        external_id="o-1",
        channel="store",
        currency="EUR",
        total_minor=1200,
        placed_at=datetime(2026, 1, 2, tzinfo=UTC),
    )
    order.items.append(models.OrderItem(name="Mug", quantity=2, unit_price_minor=600))
    session.add(order)
    return ids


def _state(session: Session) -> dict[str, Any]:
    record, ident = models.SourceRecord, models.Identifier
    return {
        "records": session.execute(
            select(record.id, record.profile_id, record.resolved_at).order_by(record.id)
        ).all(),
        "identifiers": session.execute(
            select(ident.record_id, ident.value, ident.profile_id).order_by(
                ident.record_id, ident.value
            )
        ).all(),
        "events": session.execute(
            select(models.Event.record_id, models.Event.profile_id).order_by(models.Event.id)
        ).all(),
        "orders": session.execute(select(models.Order.record_id, models.Order.profile_id)).all(),
        "items": session.execute(select(models.OrderItem.order_id, models.OrderItem.name)).all(),
        "profiles": session.scalar(select(text("count(*)")).select_from(models.Profile)),
    }


def _assert_two_people(ids: list[int], state: dict[str, Any]) -> dict[int, str]:
    """`_store`'s records resolved into Jane's and John's profiles, identifiers with them;
    returns each record's profile id."""
    jane, john = state["records"][0][1], state["records"][1][1]
    assert jane is not None
    assert john is not None
    assert jane != john
    assert [pid for _, pid, _ in state["records"]] == [jane, john, jane, john]
    assert all(resolved is not None for _, _, resolved in state["records"])
    owners = dict(zip(ids, [jane, john, jane, john], strict=True))
    assert all(pid == owners[rid] for rid, _, pid in state["identifiers"])
    return owners


def test_full_run_from_scratch_leaves_the_schema_a_fresh_upgrade_built(
    session_factory: sessionmaker[Session], backend: str
) -> None:
    with unit_of_work(session_factory) as session:
        fresh = _schema(session.connection())
        ids = _store(session)
        before = _oids(session) if backend == "postgresql" else {}
    with unit_of_work(session_factory) as session:
        resolve(session, full=True)
    with unit_of_work(session_factory) as session:
        assert _differences(_schema(session.connection()), fresh) == {}
        state = _state(session)
        if backend == "postgresql":
            # The tables were swapped, not updated in place.
            after = _oids(session)
            assert all(after[name] != before[name] for name in _SWAPPED)
    owners = _assert_two_people(ids, state)
    jane = owners[ids[0]]
    assert len(state["identifiers"]) == 8
    assert state["events"] == [(rid, owners[rid]) for rid in ids]
    assert state["orders"] == [(ids[0], jane)]
    assert [name for _, name in state["items"]] == ["Mug"]
    # The swapped tables took the old ones' sequences: new rows still get fresh ids.
    with unit_of_work(session_factory) as session:
        newer = make_record(session, attributes=person("Ann", "Roe"))
        assert newer.id > max(ids)


def test_full_run_in_an_in_memory_sqlite_database(backend: str) -> None:
    # Its connection may not leave its thread: the rewrite runs in this one.
    if backend != "sqlite":
        pytest.skip("an in-memory database is SQLite's")
    engine = create_db_engine(Settings(database_url="sqlite://"))
    migrate.upgrade(engine)
    factory = sessionmaker(engine, expire_on_commit=False)
    with unit_of_work(factory) as session:
        ids = _store(session)
    with unit_of_work(factory) as session:
        resolve(session, full=True)
    with unit_of_work(factory) as session:
        state = _state(session)
    engine.dispose()
    _assert_two_people(ids, state)


@pytest.mark.parametrize("where", ["beside the rewrite", "after the rewrite"])
def test_failed_full_run_leaves_tables_rows_and_schema_as_they_were(
    session_factory: sessionmaker[Session],
    backend: str,
    monkeypatch: pytest.MonkeyPatch,
    where: str,
) -> None:
    with unit_of_work(session_factory) as session:
        fresh = _schema(session.connection())
        _store(session)
    with unit_of_work(session_factory) as session:
        stored = _state(session)
        before = _oids(session) if backend == "postgresql" else {}

    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    target = "_block_key_rows" if where == "beside the rewrite" else "_load_with_indexes_rebuilt"
    monkeypatch.setattr(identity.bulk, target, fail)
    with pytest.raises(RuntimeError, match="disk full"), unit_of_work(session_factory) as session:
        resolve(session, full=True)
    monkeypatch.undo()
    with unit_of_work(session_factory) as session:
        assert _differences(_schema(session.connection()), fresh) == {}
        assert _state(session) == stored
        if backend == "postgresql":
            assert _oids(session) == before
    with unit_of_work(session_factory) as session:
        resolve(session, full=True)
    with unit_of_work(session_factory) as session:
        assert _differences(_schema(session.connection()), fresh) == {}
        assert all(pid is not None for _, pid, _ in _state(session)["records"])


@pytest.mark.parametrize(
    "obstacle",
    [
        "COMMENT ON TABLE source_records IS 'kept by the full run'",
        # A new table's owner has every privilege: a copy could not be made the same.
        "REVOKE TRUNCATE ON source_records FROM CURRENT_USER",
    ],
    ids=["comment", "owner-privilege-revoked"],
)
def test_table_the_swap_cannot_reproduce_is_updated_in_place(
    session_factory: sessionmaker[Session], backend: str, obstacle: str
) -> None:
    if backend != "postgresql":
        pytest.skip("the swap is PostgreSQL's")
    with unit_of_work(session_factory) as session:
        _store(session)
        session.execute(text(obstacle))
        kept = _schema(session.connection())
        before = _oids(session)
    with unit_of_work(session_factory) as session:
        resolve(session, full=True)
    with unit_of_work(session_factory) as session:
        assert _oids(session) == before
        assert _differences(_schema(session.connection()), kept) == {}
        assert all(pid is not None for _, pid, _ in _state(session)["records"])


def test_privileges_granted_on_swapped_tables_come_back_the_same(
    session_factory: sessionmaker[Session], backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("the swap is PostgreSQL's")
    role = f"cdp_swap_reader_{uuid.uuid4().hex[:8]}"
    with unit_of_work(session_factory) as session:
        _store(session)
        session.execute(text(f"CREATE ROLE {role}"))
        session.execute(text(f"GRANT SELECT ON source_records, identifiers TO {role}"))
        session.execute(text(f"GRANT SELECT, INSERT ON events TO {role} WITH GRANT OPTION"))
        session.execute(text("GRANT SELECT ON orders TO PUBLIC"))
        granted = _schema(session.connection())
        before = _oids(session)
    try:
        with unit_of_work(session_factory) as session:
            resolve(session, full=True)
        with unit_of_work(session_factory) as session:
            after = _oids(session)
            assert all(after[name] != before[name] for name in _SWAPPED)  # swapped
            assert _differences(_schema(session.connection()), granted) == {}
            assert session.scalar(
                text("SELECT has_table_privilege(:r, 'events', 'INSERT WITH GRANT OPTION')"),
                {"r": role},
            )
            assert all(pid is not None for _, pid, _ in _state(session)["records"])
    finally:
        with unit_of_work(session_factory) as session:
            session.execute(text(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}"))
            session.execute(text(f"DROP ROLE {role}"))
