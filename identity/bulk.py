"""Writing a full resolution in bulk: profiles with their golden records, record and fact
assignments, links with evidence and block keys, as few statements over as many rows as the
backend takes (COPY on PostgreSQL, executemany on SQLite).

A full run replaces every automatic link and every block key inside its transaction, so the
indexes of those tables are dropped before the rows go in and built once afterwards (a sort
instead of a million index insertions); the transaction holds the tables' locks throughout,
and a failure rolls the indexes back with everything else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import islice
from typing import Any

import numpy as np
import orjson
from sqlalchemy import ForeignKeyConstraint, Index, Table, delete, select, text
from sqlalchemy.orm import Session
from sqlalchemy.schema import AddConstraint, CreateIndex, DropConstraint, DropIndex

from cdp import models
from identity._swap import Rewrite, swap_statements, swappable
from identity.blocking import block_keys
from identity.engine import Link
from identity.model import MatchModel
from identity.records import PersonRecord, RecordTable
from identity.writer import (
    FACT_TABLES,
    GOLDEN_RECORD_COLUMNS,
    WriteSummary,
    derive_profile_id,
    earliest,
    existing_profiles,
    golden_values,
    retire_unclaimed,
    reuse_or_derive,
)

__all__ = ["clear_automatic", "copy_rows", "large_page_cache", "stamp", "write_full"]

_BATCH = 20_000


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _driver(session: Session) -> Any:
    """The DBAPI connection of the session's transaction (psycopg or sqlite3)."""
    return session.connection().connection.driver_connection


def copy_rows(
    session: Session, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Append rows to `table` (values in `columns` order; JSON already encoded as text,
    times as `stamp` gives them)."""
    if _is_postgresql(session):
        raw = _driver(session)
        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
        return
    names = ", ".join(columns)
    marks = ", ".join("?" * len(columns))
    raw = _driver(session)
    cursor = raw.cursor()
    iterator = iter(rows)
    while part := list(islice(iterator, _BATCH)):
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", part)
    cursor.close()


def _json(value: object) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY).decode()


def stamp(session: Session, value: datetime | None) -> Any:
    """A time as the driver is handed it: on SQLite the text SQLAlchemy's `DateTime` stores
    (UTC), so that the values sort and compare with those written through the ORM."""
    return _stamper(session)(value)


def _stamper(session: Session) -> Callable[[datetime | None], Any]:
    """`stamp` for this session's backend, decided once for many rows."""
    return _as_is if _is_postgresql(session) else _sqlite_text


def _as_is(value: datetime | None) -> Any:
    return value


def _sqlite_text(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(" ", "microseconds")


# SQLite's page cache while a full run writes (KiB); its default, 2 MB, made the updates of
# a million rows and their indexes read most pages from the operating system again.
_SQLITE_CACHE_KIB = 256 * 1024


@contextmanager
def large_page_cache(session: Session) -> Iterator[None]:
    """SQLite: a large page cache for the block (the size before is restored after)."""
    if _is_postgresql(session):
        yield
        return
    raw = _driver(session)
    previous = int(raw.execute("PRAGMA cache_size").fetchone()[0])
    raw.execute(f"PRAGMA cache_size = -{_SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA cache_size = {previous}")


def write_full(
    session: Session,
    records: Sequence[PersonRecord],
    table: RecordTable,
    clusters_found: list[list[int]],
    links: list[Link],
    model: MatchModel,
    *,
    previous: Mapping[int, str],
    actor: str,
    now: datetime | None = None,
) -> WriteSummary:
    """Persist a full run over every record (none of which carries a profile here):
    profile ids stay those the records had (`previous`), or derive from the earliest record."""
    now = now or datetime.now(UTC)
    summary = WriteSummary()
    clusters = [
        sorted((records[p] for p in cluster), key=lambda r: r.record_id)
        for cluster in clusters_found
    ]
    clusters.sort(key=lambda members: members[0].record_id)
    # A derived id may name a stored profile no record points at any more (merged away):
    # it is known here, so it is taken up again rather than inserted twice.
    derived = {derive_profile_id(earliest(members).key) for members in clusters}
    existing = existing_profiles(session, set(previous.values()) | derived)
    claimed: set[str] = set()
    assignment: dict[int, str] = {}
    changed = 0
    fresh: list[tuple[str, list[PersonRecord]]] = []
    kept: list[tuple[str, list[PersonRecord]]] = []
    for members in clusters:
        profile_id = reuse_or_derive(members, previous, existing, claimed)
        if profile_id in existing:
            kept.append((profile_id, members))
        else:
            existing[profile_id] = "active"
            fresh.append((profile_id, members))
            summary.created += 1
        claimed.add(profile_id)
        for record in members:
            assignment[record.record_id] = profile_id
            if previous.get(record.record_id) != profile_id:
                summary.touched.add(profile_id)
                changed += 1
    _write_profiles(session, fresh, kept, model, now)
    retire_unclaimed(session, previous, assignment, claimed, actor, now, summary)
    summary.records = len(assignment)
    summary.assignment = assignment
    _stage_assignment(session, assignment)
    taken = _manual_pairs(session)
    statements = _assignment_statements(session, rebuild=2 * changed > len(assignment))
    # The database rewrites every record's profile id (its largest job) while this process
    # builds the link and block-key rows: the connection is the other thread's until then.
    with _beside(session, statements, now) as done:
        rows = _link_rows(session, records, links, assignment, model, summary, taken, now)
        keys = _block_key_rows(table, model)
    done()
    _load_with_indexes_rebuilt(session, _table(models.IdentityLink), _LINK_COLUMNS, rows)
    _load_with_indexes_rebuilt(session, _table(models.BlockKey), ("record_id", "rule", "key"), keys)
    if _is_postgresql(session):
        # Fresh statistics: the planner otherwise plans incremental look-ups against the
        # sizes these tables had before (a sequential scan instead of an index).
        # A swapped table (`_assignment_statements`) starts with no statistics at all.
        tables = ("profiles", "identity_links", "block_keys", "source_records")
        for name in (*tables, *(fact.__tablename__ for fact in FACT_TABLES)):
            session.execute(text(f"ANALYZE {name}"))
    return summary


_GOLDEN = tuple(column for column, _ in GOLDEN_RECORD_COLUMNS)
_PROFILE_COLUMNS = ("id", "status", "merged_into_id", "created_at", *_GOLDEN)


def _profile_row(
    to_db: Callable[[datetime | None], Any],
    profile_id: str,
    members: list[PersonRecord],
    model: MatchModel,
    now: datetime,
) -> tuple[Any, ...]:
    """A `_PROFILE_COLUMNS` row of an active profile made of `members`, as of `now`."""
    values = golden_values(members, model, now)
    values["attributes"] = _json(values["attributes"])
    for column in ("first_seen_at", "last_seen_at", "updated_at"):
        values[column] = to_db(values[column])
    return (profile_id, "active", None, to_db(now), *(values[column] for column in _GOLDEN))


def _write_profiles(
    session: Session,
    fresh: list[tuple[str, list[PersonRecord]]],
    kept: list[tuple[str, list[PersonRecord]]],
    model: MatchModel,
    now: datetime,
) -> None:
    """New profiles are appended whole; kept ones get their golden record through a staging
    table and one `UPDATE ... FROM` (and become active again if they were not)."""
    to_db = _stamper(session)
    copy_rows(
        session,
        "profiles",
        _PROFILE_COLUMNS,
        (_profile_row(to_db, pid, members, model, now) for pid, members in fresh),
    )
    if not kept:
        return
    pg = _is_postgresql(session)
    json_type, time_type = ("JSONB", "TIMESTAMPTZ") if pg else ("TEXT", "TIMESTAMP")
    session.execute(
        text(
            "CREATE TEMPORARY TABLE identity_golden (id VARCHAR(40) PRIMARY KEY, status "
            f"VARCHAR(10), merged_into_id VARCHAR(40), attributes {json_type}, "
            "given_name VARCHAR(200), family_name VARCHAR(200), email VARCHAR(320), "
            "phone VARCHAR(40), record_count INTEGER, channel_count INTEGER, "
            f"first_seen_at {time_type}, last_seen_at {time_type}, created_at {time_type}, "
            f"updated_at {time_type})"
        )
    )
    copy_rows(
        session,
        "identity_golden",
        _PROFILE_COLUMNS,
        (_profile_row(to_db, pid, members, model, now) for pid, members in kept),
    )
    golden = ", ".join(f"{column} = g.{column}" for column in _GOLDEN)
    session.execute(
        text(
            f"UPDATE profiles SET status = 'active', merged_into_id = NULL, {golden} "
            "FROM identity_golden AS g WHERE profiles.id = g.id"
        )
    )
    session.execute(text("DROP TABLE identity_golden"))


@contextmanager
def _beside(
    session: Session, statements: Sequence[str], now: datetime
) -> Iterator[Callable[[], None]]:
    """Run `statements` (`{now}` standing for `now`) on the session's connection in a
    second thread while the block runs; `done()` waits for them and raises their error.
    Both drivers let go of the GIL while the database works (psycopg waiting on the server,
    sqlite3 in each step), so the block's Python work runs beside it on the other core. The
    block must not use the session's connection. An in-memory SQLite database (whose
    connection may not leave its thread) runs them first, in this thread."""
    raw = _driver(session)
    when = stamp(session, now)
    mark = "%s" if _is_postgresql(session) else "?"

    def run() -> None:
        for statement in statements:
            if "{now}" in statement:
                raw.execute(statement.replace("{now}", mark), (when,))
            else:
                raw.execute(statement)

    in_memory = session.connection().engine.url.database in (None, "", ":memory:")
    if in_memory and not _is_postgresql(session):
        run()
        yield lambda: None
        return
    with ThreadPoolExecutor(max_workers=1) as pool:
        # Leaving the pool waits for the job, also when the block raised.
        yield pool.submit(run).result


def _table(model: type[models.Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _stage_assignment(session: Session, assignment: Mapping[int, str]) -> None:
    session.execute(
        text("CREATE TEMPORARY TABLE identity_assign (id BIGINT PRIMARY KEY, pid VARCHAR(40))")
    )
    copy_rows(session, "identity_assign", ("id", "pid"), sorted(assignment.items()))
    if _is_postgresql(session):
        session.execute(text("ANALYZE identity_assign"))


def _assignment_statements(session: Session, rebuild: bool) -> list[str]:
    """Every record's profile id, copied onto its identifiers and facts: one
    `UPDATE ... FROM` the staging table per table (rows already right are left alone).
    With `rebuild` (most records change profile, as in a first run), PostgreSQL copies each
    table into a new one with the profile ids joined in and swaps it in (`identity._swap`:
    no dead row versions, every index built once by a sort), when the tables have nothing
    the swap could not reproduce. Otherwise, with `rebuild`, the indexes the updates would
    maintain row by row are dropped first and built once afterwards, and so, on PostgreSQL,
    are the foreign keys on `profile_id` (checked once, by one join, when they are added
    back, instead of by a trigger per row)."""
    tables = [_table(models.SourceRecord), *(_table(fact) for fact in FACT_TABLES)]
    dialect = session.get_bind().dialect
    if rebuild and dialect.name == "postgresql":
        rewrites = _rewrites()
        if swappable(session, [rewrite.table for rewrite in rewrites]):
            copy, swap = swap_statements(session, rewrites)
            return [*copy, "DROP TABLE identity_assign", *swap]
    indexes = [ix for table in tables for ix in _rewritten_indexes(table, dialect.name)]
    keys = [
        fk
        for table in tables
        for fk in _foreign_keys(table, dialect.name)
        if fk.column_keys == ["profile_id"]
    ]
    drop, add = _without(indexes if rebuild else [], keys if rebuild else [], dialect)
    statements = list(drop)
    # SQLite otherwise walks the records in the order of their (source, external id) index,
    # which reads and writes a million-row table at random: in id order, page by page.
    in_order = " NOT INDEXED" if dialect.name == "sqlite" else ""
    # A record whose profile stays (most of them, in a re-run) is left alone: it was resolved
    # already, and rewriting a million unchanged rows was most of a re-run's write.
    statements.append(
        f"UPDATE source_records{in_order} SET profile_id = a.pid, resolved_at = {{now}} "
        "FROM identity_assign AS a WHERE source_records.id = a.id "
        "AND (source_records.profile_id IS NULL OR source_records.profile_id <> a.pid "
        "OR source_records.resolved_at IS NULL)"
    )
    for fact in FACT_TABLES:
        name = fact.__tablename__
        statements.append(
            f"UPDATE {name} SET profile_id = a.pid FROM identity_assign AS a "
            f"WHERE {name}.record_id = a.id "
            f"AND ({name}.profile_id IS NULL OR {name}.profile_id <> a.pid)"
        )
    statements.append("DROP TABLE identity_assign")
    return statements + add


def _rewrites() -> list[Rewrite]:
    """`source_records` and the fact tables, copied with the staged profile ids (and the
    records' resolution time) joined in: rows not staged keep theirs."""
    profile = {"profile_id": "COALESCE(a.pid, t.profile_id)"}
    records = Rewrite(
        "source_records",
        "LEFT JOIN identity_assign AS a ON a.id = t.id",
        {**profile, "resolved_at": "CASE WHEN a.id IS NULL THEN t.resolved_at ELSE {now} END"},
    )
    facts = [
        Rewrite(fact.__tablename__, "LEFT JOIN identity_assign AS a ON a.id = t.record_id", profile)
        for fact in FACT_TABLES
    ]
    return [records, *facts]


def _foreign_keys(table: Table, dialect: str) -> list[ForeignKeyConstraint]:
    """The foreign keys a bulk write may drop and add back: PostgreSQL's only (SQLite cannot
    drop a constraint without rebuilding its table)."""
    if dialect != "postgresql":
        return []
    return sorted(table.foreign_key_constraints, key=lambda fk: str(fk.name))


def _without(
    indexes: Sequence[Index], keys: Sequence[ForeignKeyConstraint], dialect: Any
) -> tuple[list[str], list[str]]:
    """The statements dropping these indexes and foreign keys before a bulk write, and
    those building them again after it (inside the same transaction)."""
    drop = [str(DropConstraint(fk).compile(dialect=dialect)) for fk in keys]
    drop += [str(DropIndex(ix).compile(dialect=dialect)) for ix in indexes]
    add = [str(CreateIndex(ix).compile(dialect=dialect)) for ix in indexes]
    add += [str(AddConstraint(fk).compile(dialect=dialect)) for fk in keys]
    return drop, add


def _rewritten_indexes(table: Table, dialect: str) -> list[Index]:
    """The plain indexes an update of `profile_id` and `resolved_at` writes to: on SQLite
    those over (or filtered by) these columns; on PostgreSQL every one, since a row's new
    version gets an entry in each index of its table."""

    def touched(ix: Index) -> bool:
        where = ix.dialect_options[dialect].get("where")
        names = {column.name for column in ix.columns} | ({"where"} if where is not None else set())
        return dialect == "postgresql" or bool(names & {"profile_id", "resolved_at", "where"})

    return [ix for ix in _rebuilt_indexes(table) if touched(ix)]


def _rebuilt_indexes(table: Table) -> list[Index]:
    """The table's plain (non-unique) indexes: dropped for a bulk load, built again after."""
    return sorted((ix for ix in table.indexes if not ix.unique), key=lambda ix: str(ix.name))


_LINK_COLUMNS = (
    "profile_id",
    "left_record_id",
    "right_record_id",
    "method",
    "rule",
    "decision",
    "score",
    "probability",
    "reason",
    "evidence",
    "model_version",
    "created_at",
)


def _manual_pairs(session: Session) -> set[tuple[int, int]]:
    """The pairs of the links left after the automatic ones were deleted (manual decisions,
    which keep their pair: the first decision about a pair wins)."""
    link = models.IdentityLink
    return {
        (left, right)
        for left, right in session.execute(select(link.left_record_id, link.right_record_id))
    }


def _link_rows(
    session: Session,
    records: Sequence[PersonRecord],
    links: list[Link],
    assignment: Mapping[int, str],
    model: MatchModel,
    summary: WriteSummary,
    taken: set[tuple[int, int]],
    now: datetime,
) -> list[tuple[Any, ...]]:
    """The rows of `identity_links`; `links` is emptied as they are built (a million links
    with their evidence would otherwise be held twice)."""
    when = stamp(session, now)
    version = model.version
    rows: list[tuple[Any, ...]] = []
    while links:
        part = links[:_BATCH]
        del links[:_BATCH]
        rows.extend(_link_part(part, records, assignment, version, summary, taken, when))
    return rows


def _link_part(
    part: list[Link],
    records: Sequence[PersonRecord],
    assignment: Mapping[int, str],
    version: str,
    summary: WriteSummary,
    taken: set[tuple[int, int]],
    when: Any,
) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    for found in part:
        a, b = records[found.left].record_id, records[found.right].record_id
        pair = (a, b) if a < b else (b, a)
        if pair in taken:
            continue
        taken.add(pair)
        summary.links[found.decision] += 1
        rows.append(
            (
                assignment.get(a) if found.decision == "accepted" else None,
                pair[0],
                pair[1],
                found.method,
                found.rule,
                found.decision,
                found.score,
                found.probability,
                found.reason,
                _json(found.evidence),
                version,
                when,
            )
        )
    return rows


def _block_key_rows(table: RecordTable, model: MatchModel) -> Iterator[tuple[int, str, str]]:
    """The rows of `block_keys`, computed per rule now and yielded lazily (a million records
    have several million keys: the arrays are kept, not a tuple per key)."""
    ids = table.record_ids
    computed = [(rule.name, block_keys(table, rule)) for rule in model.blocking_rules]

    def rows() -> Iterator[tuple[int, str, str]]:
        for name, keys in computed:
            present = np.flatnonzero(keys != None)  # noqa: E711 (elementwise on an object array)
            for record_id, key in zip(ids[present].tolist(), keys[present].tolist(), strict=True):
                yield record_id, name, key[:200]

    return rows()


def _load_with_indexes_rebuilt(
    session: Session, table: Table, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]
) -> None:
    dialect = session.get_bind().dialect
    drop, add = _without(_rebuilt_indexes(table), _foreign_keys(table, dialect.name), dialect)
    for statement in drop:
        session.execute(text(statement))
    copy_rows(session, table.name, columns, rows)
    for statement in add:
        session.execute(text(statement))


def clear_automatic(session: Session) -> None:
    """Remove every automatic link and every block key before a full run rewrites them.

    PostgreSQL empties both tables by TRUNCATE, with the few `manual` links set aside in a
    temporary table and put back: deleting the 1.2M links of a 1M-record run took 2.4 s
    and left as many dead row versions. SQLite deletes row by row whichever way it is
    asked (with foreign keys enforced, its truncate optimisation is off)."""
    if not _is_postgresql(session):
        session.execute(delete(models.IdentityLink).where(models.IdentityLink.method != "manual"))
        session.execute(delete(models.BlockKey))
        return
    session.execute(
        text(
            "CREATE TEMPORARY TABLE manual_links AS "
            "SELECT * FROM identity_links WHERE method = 'manual'"
        )
    )
    session.execute(text("TRUNCATE identity_links, block_keys"))
    session.execute(text("INSERT INTO identity_links SELECT * FROM manual_links"))
    session.execute(text("DROP TABLE manual_links"))
