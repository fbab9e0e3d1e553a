"""Writing a linking result: profiles (stable ids), merges, record and fact assignments,
links with evidence, block keys, golden records and the merge log."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import TextClause, bindparam, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from cdp import models
from identity.blocking import record_block_keys
from identity.engine import LinkResult
from identity.model import MatchModel
from identity.records import PersonRecord
from identity.store import StoredProfile, chunks, load_records
from identity.survivorship import golden_record

__all__ = [
    "FACT_TABLES",
    "WriteSummary",
    "derive_profile_id",
    "earliest",
    "existing_profiles",
    "merge_into",
    "reassign_facts",
    "refresh_profiles",
    "retire_unclaimed",
    "reuse_or_derive",
    "write_block_keys",
    "write_result",
]

FACT_TABLES: tuple[type[Any], ...] = (
    models.Identifier,
    models.Event,
    models.Order,
    models.Interaction,
    models.Feedback,
    models.Consent,
)
_FAR = datetime.max.replace(tzinfo=UTC)


def derive_profile_id(record_key: str) -> str:
    """A profile id derived from its earliest record's key: re-runs give the same id."""
    return "p_" + hashlib.sha256(record_key.encode()).hexdigest()[:20]


@dataclass
class WriteSummary:
    created: int = 0
    merged: int = 0
    records: int = 0
    links: Counter[str] = field(default_factory=Counter)
    touched: set[str] = field(default_factory=set)
    merges: list[tuple[str, str]] = field(default_factory=list)
    assignment: dict[int, str] = field(default_factory=dict)
    # Profiles created by this write with all their records (no stored record can hold a
    # brand-new id): their golden records need no read back.
    created_groups: dict[str, list[PersonRecord]] = field(default_factory=dict)


def earliest(records: Iterable[PersonRecord]) -> PersonRecord:
    return min(records, key=lambda r: (r.occurred_at or _FAR, r.key))


def _survivor(
    session: Session, profile_ids: Sequence[str], known: Mapping[str, StoredProfile]
) -> str:
    """The oldest profile (first seen, then created, then id) survives a merge."""
    rows: list[tuple[str, datetime | None, datetime | None]]
    if all(pid in known for pid in profile_ids):
        rows = [(pid, known[pid].first_seen_at, known[pid].created_at) for pid in profile_ids]
    else:
        query = select(
            models.Profile.id, models.Profile.first_seen_at, models.Profile.created_at
        ).where(models.Profile.id.in_(profile_ids))
        rows = [(pid, first, created) for pid, first, created in session.execute(query)]
    return min(rows, key=lambda r: (r[1] or _FAR, r[2] or _FAR, r[0]))[0]


def write_result(
    session: Session,
    records: Sequence[PersonRecord],
    result: LinkResult,
    model: MatchModel,
    *,
    previous: Mapping[int, str] | None = None,
    actor: str = "identity",
    now: datetime | None = None,
    stored_profiles: Mapping[str, StoredProfile] | None = None,
    refresh: bool = False,
) -> WriteSummary:
    """Persist `result` (clusters over `records` positions). `previous` maps record id to its
    profile before a full re-run, so clusters keep their ids. `stored_profiles` are profiles
    the caller read already (only the others are read here). With `refresh`, `records` hold
    every record of every stored profile among them (incremental resolution loads them
    whole): the golden record of every profile the result touches is rebuilt from them, and
    on PostgreSQL everything is written in one statement."""
    now = now or datetime.now(UTC)
    summary = WriteSummary()
    previous = previous or {}
    known = dict(stored_profiles or {})
    involved = set(previous.values()) | {r.profile_id for r in records if r.profile_id}
    existing = {pid: known[pid].status for pid in involved if pid in known}
    existing.update(existing_profiles(session, involved - existing.keys()))
    # On PostgreSQL, an incremental write is one statement, merges included.
    one_statement = refresh and not previous and session.get_bind().dialect.name == "postgresql"
    merges: list[tuple[str, str, list[int]]] = []
    claimed: set[str] = set()
    assignment: dict[int, str] = {}
    new_profiles: list[dict[str, Any]] = []
    for cluster in sorted(result.clusters, key=lambda c: min(records[p].record_id for p in c)):
        members = [records[p] for p in cluster]
        stored = sorted({r.profile_id for r in members if r.profile_id})
        if stored:
            profile_id = _survivor(session, stored, known) if len(stored) > 1 else stored[0]
            for loser in stored:
                if loser != profile_id:
                    new_ids = [r.record_id for r in members if not r.profile_id]
                    if one_statement:
                        merges.append((profile_id, loser, new_ids))
                    else:
                        merge_into(session, loser, profile_id, new_ids, actor, now)
                    summary.merges.append((profile_id, loser))
        else:
            profile_id = reuse_or_derive(members, previous, existing, claimed)
            if profile_id not in existing:
                new_profiles.append(
                    {"id": profile_id, "status": "active", "created_at": now, "updated_at": now}
                )
                existing[profile_id] = "active"
                summary.created += 1
                summary.created_groups[profile_id] = sorted(members, key=lambda r: r.record_id)
            elif existing[profile_id] != "active":
                _reactivate(session, profile_id)
        claimed.add(profile_id)
        changed = False
        for record in members:
            if record.profile_id != profile_id:
                assignment[record.record_id] = profile_id
                changed = True
        if changed:
            summary.touched.add(profile_id)
    summary.merged = len(summary.merges)
    summary.records = len(assignment)
    summary.assignment = assignment
    unresolved = [r for r in records if r.profile_id is None]
    golden = _golden_rows(_groups(records, assignment, summary.touched), model) if refresh else []
    if one_statement:
        untouched = [r.record_id for r in unresolved if r.record_id not in assignment]
        _assign(session, {}, untouched, now)
        links = _link_rows(records, result, assignment, model, summary, now)
        keys = _block_key_rows(unresolved, model)
        log = [_merge_log_row(w, lo, ids, actor, now) for w, lo, ids in merges]
        _write_all_postgresql(session, golden, assignment, links, keys, log, now)
        return summary
    if new_profiles:
        session.execute(insert(models.Profile), new_profiles)
    retire_unclaimed(session, previous, assignment, claimed, actor, now, summary)
    _assign(session, assignment, [r.record_id for r in unresolved], now)
    _write_links(session, records, result, assignment, model, summary, now)
    write_block_keys(session, unresolved, model)
    for part in chunks(golden, 5000):
        session.connection().execute(_REFRESH, list(part))
    return summary


def _groups(
    records: Sequence[PersonRecord], assignment: Mapping[int, str], profile_ids: set[str]
) -> dict[str, list[PersonRecord]]:
    """The records of each of these profiles after `assignment`, in `records` order."""
    groups: dict[str, list[PersonRecord]] = {pid: [] for pid in profile_ids}
    for record in records:
        owner = assignment.get(record.record_id, record.profile_id)
        if owner in groups:
            groups[owner].append(record)
    return groups


def existing_profiles(session: Session, ids: set[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in chunks(sorted(ids)):
        out.update(
            session.connection()
            .execute(
                select(models.Profile.id, models.Profile.status).where(models.Profile.id.in_(part))
            )
            .all()
        )
    return out


def reuse_or_derive(
    members: list[PersonRecord],
    previous: Mapping[int, str],
    existing: Mapping[str, str],
    claimed: set[str],
) -> str:
    votes = Counter(previous[r.record_id] for r in members if r.record_id in previous)
    for profile_id, _ in sorted(votes.items(), key=lambda kv: (-kv[1], kv[0])):
        if profile_id not in claimed:
            return profile_id
    base = derive_profile_id(earliest(members).key)
    candidate, n = base, 1
    while candidate in claimed or (
        candidate in existing and candidate not in votes and existing[candidate] == "active"
    ):
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _reactivate(session: Session, profile_id: str) -> None:
    session.execute(
        update(models.Profile)
        .where(models.Profile.id == profile_id)
        .values(status="active", merged_into_id=None)
    )


def merge_into(
    session: Session,
    loser: str,
    winner: str,
    record_ids: list[int],
    actor: str,
    now: datetime,
    *,
    reason: str | None = None,
    evidence: dict[str, Any] | None = None,
) -> None:
    """Fold `loser` into `winner`: records, identifiers, facts, links; the loser id resolves to
    the winner (and so do ids that were merged into the loser before)."""
    params = {"b_loser": loser, "b_winner": winner, "b_now": now}
    connection = session.connection()
    for statement in _MERGE:
        connection.execute(statement, params)
    if session.identity_map:
        session.expire_all()  # Core statements: loaded profiles would show the old state
    row = _merge_log_row(winner, loser, record_ids, actor, now, reason=reason, evidence=evidence)
    session.add(models.MergeLog(**row))


def _merge_statements() -> tuple[Any, ...]:
    """`merge_into`'s updates, built once (an ORM update built per call cost ten times more
    than running it on SQLite, and a merge runs nine)."""
    profile: Any = models.Profile.__table__
    loser: Any = bindparam("b_loser")
    winner: Any = bindparam("b_winner")
    tables: tuple[Any, ...] = (models.SourceRecord, *FACT_TABLES, models.IdentityLink)
    return (
        update(profile).where(profile.c.merged_into_id == loser).values(merged_into_id=winner),
        update(profile)
        .where(profile.c.id == loser)
        .values(status="merged", merged_into_id=winner, updated_at=bindparam("b_now")),
        *(
            update(t.__table__).where(t.__table__.c.profile_id == loser).values(profile_id=winner)
            for t in tables
        ),
    )


_MERGE = _merge_statements()


def _merge_log_row(
    winner: str,
    loser: str,
    record_ids: list[int],
    actor: str,
    now: datetime,
    *,
    reason: str | None = None,
    evidence: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "action": "merge",
        "profile_id": winner,
        "other_profile_id": loser,
        "record_ids": record_ids,
        "actor": actor,
        "reason": reason
        or ("a new record links both profiles" if record_ids else "re-resolution joined them"),
        "evidence": evidence or {},
        "created_at": now,
    }


def retire_unclaimed(
    session: Session,
    previous: Mapping[int, str],
    assignment: Mapping[int, str],
    claimed: set[str],
    actor: str,
    now: datetime,
    summary: WriteSummary,
) -> None:
    """After a full re-run, a former profile that no cluster kept points at the profile that
    took most of its records, so its id keeps resolving."""
    moved: dict[str, Counter[str]] = {}
    for record_id, old in previous.items():
        new = assignment.get(record_id, old)
        if old not in claimed:
            moved.setdefault(old, Counter())[new] += 1
    for old, targets in sorted(moved.items()):
        winner = sorted(targets.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        session.execute(
            update(models.Profile)
            .where(models.Profile.merged_into_id == old)
            .values(merged_into_id=winner)
        )
        session.execute(
            update(models.Profile)
            .where(models.Profile.id == old)
            .values(status="merged", merged_into_id=winner, updated_at=now)
        )
        session.add(
            models.MergeLog(
                action="merge",
                profile_id=winner,
                other_profile_id=old,
                record_ids=[],
                actor=actor,
                reason="full re-resolution",
                evidence={},
                created_at=now,
            )
        )
        summary.merges.append((winner, old))
        summary.merged += 1


def _by_id_update(table: Any, columns: Sequence[str]) -> Any:
    """`UPDATE table SET columns WHERE id = ...` for executemany, built once: the ORM's bulk
    update by primary key rebuilds its statement on every call."""
    t = table.__table__
    return (
        update(t)
        .where(t.c.id == bindparam("b_id"))
        .values({name: bindparam(f"b_{name}") for name in columns})
    )


_ASSIGN = _by_id_update(models.SourceRecord, ("profile_id", "resolved_at"))
_RESOLVED = _by_id_update(models.SourceRecord, ("resolved_at",))
# The columns of `profiles` a golden record sets, with their PostgreSQL types (for array
# parameters): all but the id, status, merge pointer and creation time.
GOLDEN_RECORD_COLUMNS = (
    ("attributes", "jsonb"),
    ("given_name", "varchar"),
    ("family_name", "varchar"),
    ("email", "varchar"),
    ("phone", "varchar"),
    ("record_count", "integer"),
    ("channel_count", "integer"),
    ("first_seen_at", "timestamptz"),
    ("last_seen_at", "timestamptz"),
    ("updated_at", "timestamptz"),
)
_REFRESH = _by_id_update(models.Profile, [column for column, _ in GOLDEN_RECORD_COLUMNS])


def golden_values(
    members: Sequence[PersonRecord], model: MatchModel, now: datetime
) -> dict[str, Any]:
    """The `GOLDEN_RECORD_COLUMNS` of a profile made of `members`, by column name."""
    golden = golden_record(members, model.survivorship, model.source_priority)
    attrs = golden.attributes
    return {
        "attributes": {**attrs, "sources": golden.sources},
        "given_name": attrs.get("given_name"),
        "family_name": attrs.get("family_name"),
        "email": attrs.get("email"),
        "phone": attrs.get("phone"),
        "record_count": golden.record_count,
        "channel_count": golden.channel_count,
        "first_seen_at": golden.first_seen_at,
        "last_seen_at": golden.last_seen_at,
        "updated_at": now,
    }


def _assign(
    session: Session, assignment: Mapping[int, str], unresolved: Sequence[int], now: datetime
) -> None:
    items = list(assignment.items())
    untouched = [rid for rid in unresolved if rid not in assignment]
    for ids in chunks(untouched, 20000):
        session.execute(_RESOLVED, [{"b_id": rid, "b_resolved_at": now} for rid in ids])
    if session.get_bind().dialect.name == "postgresql":
        # Records, identifiers and facts in one statement (one round trip).
        for part in chunks(items, 20000):
            ids, profiles = [rid for rid, _ in part], [pid for _, pid in part]
            session.connection().execute(
                _ASSIGN_POSTGRESQL, {"ids": ids, "pids": profiles, "now": now}
            )
        return
    for part in chunks(items, 20000):
        rows = [{"b_id": rid, "b_profile_id": pid, "b_resolved_at": now} for rid, pid in part]
        session.execute(_ASSIGN, rows)
    reassign_facts(session, sorted(assignment))


def _reassign_statement(table: Any) -> TextClause:
    name = table.__tablename__
    return text(
        f"UPDATE {name} SET profile_id = (SELECT source_records.profile_id FROM source_records "
        f"WHERE source_records.id = {name}.record_id) WHERE {name}.record_id IN :ids"
    ).bindparams(bindparam("ids", expanding=True))


# Built once: this runs for every incremental batch, where building statements costs more
# than executing them.
_REASSIGN = tuple(_reassign_statement(table) for table in FACT_TABLES)


def _reassign_all_postgresql() -> TextClause:
    """One statement for every table on PostgreSQL (data-modifying CTEs): one round trip."""
    parts = []
    for i, table in enumerate(FACT_TABLES):
        name = table.__tablename__
        parts.append(
            f"u{i} AS (UPDATE {name} SET profile_id = (SELECT source_records.profile_id "
            f"FROM source_records WHERE source_records.id = {name}.record_id) "
            f"WHERE {name}.record_id = ANY(:ids) RETURNING 1)"
        )
    return text("WITH " + ", ".join(parts) + " SELECT 1")


_REASSIGN_POSTGRESQL = _reassign_all_postgresql()


def _assign_all_postgresql() -> TextClause:
    """Set records' profile ids and copy them onto identifiers and facts in one statement:
    every part of a data-modifying CTE sees the same snapshot, so the facts take the new
    profile id from the input rather than from `source_records`."""
    return text("WITH " + ", ".join(_assignment_parts()) + " SELECT 1")


def _assignment_parts() -> list[str]:
    """CTE parts `a`, `s`, `u0`...: records `:ids` get profile ids `:pids` (and `resolved_at`
    `:now`), copied onto their facts."""
    parts = [
        "a AS (SELECT * FROM unnest(CAST(:ids AS bigint[]), CAST(:pids AS varchar[])) "
        "AS a(id, pid))",
        "s AS (UPDATE source_records SET profile_id = a.pid, resolved_at = :now FROM a "
        "WHERE source_records.id = a.id RETURNING 1)",
    ]
    for i, table in enumerate(FACT_TABLES):
        name = table.__tablename__
        parts.append(
            f"u{i} AS (UPDATE {name} SET profile_id = a.pid FROM a "
            f"WHERE {name}.record_id = a.id RETURNING 1)"
        )
    return parts


_ASSIGN_POSTGRESQL = _assign_all_postgresql()


def reassign_facts(session: Session, record_ids: Sequence[int]) -> None:
    """Copy each record's profile id onto its identifiers and facts."""
    ids = list(record_ids)
    if session.get_bind().dialect.name == "postgresql":
        for part in chunks(ids):
            session.execute(_REASSIGN_POSTGRESQL, {"ids": list(part)})
        return
    for statement in _REASSIGN:
        for part in chunks(ids):
            session.execute(statement, {"ids": list(part)})


def _insert_links_statement(dialect: Any) -> Any:
    """A pair already linked keeps its first decision."""
    return dialect.insert(models.IdentityLink.__table__).on_conflict_do_nothing(
        index_elements=["left_record_id", "right_record_id"]
    )


# Built once per dialect: building it for each incremental run cost more than running it.
_INSERT_LINKS = {
    "postgresql": _insert_links_statement(postgresql),
    "sqlite": _insert_links_statement(sqlite),
}


def _insert_links(session: Session, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    statement = _INSERT_LINKS[session.get_bind().dialect.name]
    for part in chunks(rows, 5000):
        session.connection().execute(statement, list(part))


def _link_rows(
    records: Sequence[PersonRecord],
    result: LinkResult,
    assignment: Mapping[int, str],
    model: MatchModel,
    summary: WriteSummary,
    now: datetime,
) -> list[dict[str, Any]]:
    """`identity_links` rows for the result's links (counted into `summary`)."""
    rows = []
    for link in result.links:
        a, b = records[link.left], records[link.right]
        left, right = sorted((a.record_id, b.record_id))
        profile = assignment.get(a.record_id) or a.profile_id
        rows.append(
            {
                "profile_id": profile if link.decision == "accepted" else None,
                "left_record_id": left,
                "right_record_id": right,
                "method": link.method,
                "rule": link.rule,
                "decision": link.decision,
                "score": link.score,
                "probability": link.probability,
                "reason": link.reason,
                "evidence": link.evidence,
                "model_version": model.version,
                "created_at": now,
            }
        )
        summary.links[link.decision] += 1
    return rows


def _write_links(
    session: Session,
    records: Sequence[PersonRecord],
    result: LinkResult,
    assignment: Mapping[int, str],
    model: MatchModel,
    summary: WriteSummary,
    now: datetime,
) -> None:
    rows = _link_rows(records, result, assignment, model, summary, now)
    _insert_links(session, rows)


def _block_key_rows(records: Sequence[PersonRecord], model: MatchModel) -> list[dict[str, Any]]:
    return [
        {"record_id": r.record_id, "rule": rule, "key": key}
        for r in records
        for rule, key in record_block_keys(r, model.blocking_rules)
    ]


def write_block_keys(session: Session, records: Sequence[PersonRecord], model: MatchModel) -> None:
    # A few keys per record: built and written a slice at a time to bound memory at scale.
    for part in chunks(records, 5000):
        rows = _block_key_rows(part, model)
        if rows:
            session.connection().execute(insert(models.BlockKey), rows)


def refresh_profiles(
    session: Session,
    profile_ids: Iterable[str],
    model: MatchModel,
    *,
    default_region: str = "US",
    groups: Mapping[str, Sequence[PersonRecord]] | None = None,
) -> None:
    """Recompute the golden record and denormalised columns of these profiles (from `groups`
    for the profiles whose records the caller has in memory, the others loaded)."""
    ids = sorted(set(profile_ids))
    if not ids:
        return
    known = groups or {}
    missing = [pid for pid in ids if pid not in known]
    if missing:
        loaded: dict[str, Sequence[PersonRecord]] = dict(known)
        found: dict[str, list[PersonRecord]] = {}
        for record in load_records(session, profile_ids=missing, default_region=default_region):
            if record.profile_id is not None:
                found.setdefault(record.profile_id, []).append(record)
        loaded.update(found)
        groups = loaded
    else:
        groups = known
    rows = _golden_rows({pid: groups.get(pid, ()) for pid in ids}, model)
    for part in chunks(rows, 5000):
        session.connection().execute(_REFRESH, list(part))


def _golden_rows(
    groups: Mapping[str, Sequence[PersonRecord]], model: MatchModel
) -> list[dict[str, Any]]:
    """`_REFRESH` parameters: each profile's golden record and denormalised columns."""
    stamp = datetime.now(UTC)
    return [
        {
            "b_id": profile_id,
            **{
                f"b_{column}": value
                for column, value in golden_values(groups[profile_id], model, stamp).items()
            },
        }
        for profile_id in sorted(groups)
    ]


def _column_arrays(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[tuple[str, str, str]], prefix: str
) -> dict[str, list[Any]]:
    """Parallel arrays (one per column) for `unnest`: JSON columns as JSON text."""
    out: dict[str, list[Any]] = {}
    for key, _, sql_type in columns:
        values = [row[key] for row in rows]
        if sql_type == "jsonb":
            values = [json.dumps(v) for v in values]
        out[f"{prefix}{key}"] = values
    return out


# (row key, column, SQL type) of the parts of `_WRITE_ALL_POSTGRESQL`.
_GOLDEN_COLUMNS = (
    ("b_id", "id", "varchar"),
    *((f"b_{column}", column, sql_type) for column, sql_type in GOLDEN_RECORD_COLUMNS),
)
_LINK_COLUMNS = tuple(
    (name, name, sql_type)
    for name, sql_type in (
        ("profile_id", "varchar"),
        ("left_record_id", "bigint"),
        ("right_record_id", "bigint"),
        ("method", "varchar"),
        ("rule", "varchar"),
        ("decision", "varchar"),
        ("score", "float8"),
        ("probability", "float8"),
        ("reason", "text"),
        ("evidence", "jsonb"),
        ("model_version", "varchar"),
        ("created_at", "timestamptz"),
    )
)
_MERGE_COLUMNS = tuple(
    (name, name, sql_type)
    for name, sql_type in (
        ("profile_id", "varchar"),
        ("other_profile_id", "varchar"),
        ("record_ids", "jsonb"),
        ("actor", "varchar"),
        ("reason", "text"),
        ("evidence", "jsonb"),
    )
)
_KEY_COLUMNS = (
    ("record_id", "record_id", "bigint"),
    ("rule", "rule", "varchar"),
    ("key", "key", "varchar"),
)


def _unnest(columns: Sequence[tuple[str, str, str]], prefix: str, alias: str) -> str:
    """`unnest(CAST(:x AS type[]), ...) AS alias(column, ...)` over parallel array parameters."""
    arrays = ", ".join(f"CAST(:{prefix}{key} AS {sql_type}[])" for key, _, sql_type in columns)
    names = ", ".join(column for _, column, _ in columns)
    return f"unnest({arrays}) AS {alias}({names})"


def _write_all_statement() -> TextClause:
    """Incremental resolution's writes in one statement on PostgreSQL (data-modifying CTEs:
    one round trip, and one fixed text that the driver prepares once per connection):

    - `p`: the golden record of every touched profile, inserted for a new profile and updated
      for a stored one (`ON CONFLICT (id) DO UPDATE`);
    - `a`, `s`, `u0`...: the records' profile ids, copied onto their identifiers and facts
      (every part sees the same snapshot, so the facts take the profile id from the input);
    - `l`: the links with their evidence; `k`: the new records' block keys;
    - `m`, `mr`, `ml`, `mi`, `mlog`: merges (`merge_into` in one go). The records and facts of
      a losing profile are in `a` already (its records were loaded whole), so only profiles
      pointing at the loser, the loser itself, its links and the merge log are written here.

    Each part reads its rows from parallel array parameters (`unnest`); no two parts write
    the same row. Foreign keys to a new profile are checked at the end of the statement,
    after `p` inserted it."""
    golden = [column for _, column, _ in _GOLDEN_COLUMNS]
    updated = ", ".join(f"{c} = EXCLUDED.{c}" for c in golden[1:])
    parts = [
        f"p AS (INSERT INTO profiles (status, created_at, {', '.join(golden)}) "
        f"SELECT 'active', :now, g.* FROM {_unnest(_GOLDEN_COLUMNS, 'g_', 'g')} "
        f"ON CONFLICT (id) DO UPDATE SET {updated} RETURNING 1)",
        *_assignment_parts(),
    ]
    link_columns = ", ".join(column for _, column, _ in _LINK_COLUMNS)
    parts.append(
        f"l AS (INSERT INTO identity_links ({link_columns}) "
        f"SELECT * FROM {_unnest(_LINK_COLUMNS, 'l_', 'l')} "
        "ON CONFLICT (left_record_id, right_record_id) DO NOTHING RETURNING 1)"
    )
    parts.append(
        "k AS (INSERT INTO block_keys (record_id, rule, key) "
        f"SELECT * FROM {_unnest(_KEY_COLUMNS, 'k_', 'k')} RETURNING 1)"
    )
    merge_columns = ", ".join(column for _, column, _ in _MERGE_COLUMNS)
    parts += [
        f"m AS (SELECT * FROM {_unnest(_MERGE_COLUMNS, 'm_', 'm')})",
        "mr AS (UPDATE profiles SET merged_into_id = m.profile_id FROM m "
        "WHERE profiles.merged_into_id = m.other_profile_id RETURNING 1)",
        "ml AS (UPDATE profiles SET status = 'merged', merged_into_id = m.profile_id, "
        "updated_at = :now FROM m WHERE profiles.id = m.other_profile_id RETURNING 1)",
        "mi AS (UPDATE identity_links SET profile_id = m.profile_id FROM m "
        "WHERE identity_links.profile_id = m.other_profile_id RETURNING 1)",
        f"mlog AS (INSERT INTO merge_log (action, created_at, {merge_columns}) "
        "SELECT 'merge', :now, m.* FROM m RETURNING 1)",
    ]
    return text("WITH " + ",\n".join(parts) + "\nSELECT 1")


_WRITE_ALL_POSTGRESQL = _write_all_statement()


def _write_all_postgresql(
    session: Session,
    golden: Sequence[Mapping[str, Any]],
    assignment: Mapping[int, str],
    links: Sequence[Mapping[str, Any]],
    keys: Sequence[Mapping[str, Any]],
    merges: Sequence[Mapping[str, Any]],
    now: datetime,
) -> None:
    params: dict[str, Any] = {
        **_column_arrays(merges, _MERGE_COLUMNS, "m_"),
        "now": now,
        "ids": list(assignment),
        "pids": list(assignment.values()),
        **_column_arrays(golden, _GOLDEN_COLUMNS, "g_"),
        **_column_arrays(links, _LINK_COLUMNS, "l_"),
        **_column_arrays(keys, _KEY_COLUMNS, "k_"),
    }
    session.connection().execute(_WRITE_ALL_POSTGRESQL, params)
