"""Reading what identity needs from the database: records as `PersonRecord`s, candidates for
new records through indexed look-ups (`identifiers (kind, value)`, `block_keys (rule, key)`),
overrides and the active model. The only module besides `writer` that uses SQLAlchemy."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import orjson
from sqlalchemy import (
    BigInteger,
    and_,
    bindparam,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from cdp import models
from identity.blocking import record_block_keys
from identity.model import MatchModel, model_from_json
from identity.records import RAW_PATHS, PersonRecord, from_values

__all__ = [
    "CHUNK",
    "Arrivals",
    "Candidates",
    "Override",
    "StoredProfile",
    "active_model",
    "candidate_records",
    "chunks",
    "duplicate_free_sources",
    "iter_all_records",
    "load_arrivals",
    "load_overrides",
    "load_profile_exclusive",
    "load_records",
    "model_of_version",
    "record_key",
    "save_model",
]

CHUNK = 5000
T = TypeVar("T")


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def duplicate_free_sources(session: Session) -> frozenset[str]:
    """The sources declared `duplicate_free = true` in `cdp.toml`: no two of their records
    are one person (a deduplicated export), so identity links them only across sources."""
    rows = session.execute(select(models.Source.name, models.Source.config))
    return frozenset(name for name, config in rows if (config or {}).get("duplicate_free") is True)


def record_key(source: str, external_id: str) -> str:
    return f"{source}:{external_id}"


def _columns() -> tuple[Any, ...]:
    """Record columns plus the matched attributes read out of the JSON column by the
    database (no JSON parsing here, and only the keys the matcher reads travel)."""
    sr, attrs = models.SourceRecord, models.SourceRecord.attributes
    values = tuple(
        (attrs[path] if len(path) > 1 else attrs[path[0]]).as_string() for path in RAW_PATHS
    )
    return (
        sr.id,
        models.Source.name,
        sr.external_id,
        sr.kind,
        sr.occurred_at,
        sr.profile_id,
        models.Source.channel,
        *values,
    )


_WIDTH = 7 + len(RAW_PATHS)
_BASE = select(*_columns()).join(models.Source, models.Source.id == models.SourceRecord.source_id)


def _record(
    row: Sequence[Any],
    identifiers: Iterable[tuple[str, str]],
    default_region: str,
    with_profile: bool,
) -> PersonRecord:
    return from_values(
        row[0],
        record_key(row[1], row[2]),
        row[7:_WIDTH],
        identifiers,
        default_region=default_region,
        source=row[1],
        kind=row[3],
        occurred_at=row[4],
        profile_id=row[5] if with_profile else None,
        channel=row[6],
    )


def load_records(
    session: Session,
    *,
    record_ids: Sequence[int] | None = None,
    profile_ids: Sequence[str] | None = None,
    default_region: str = "US",
    with_profile: bool = True,
) -> list[PersonRecord]:
    """Records by id, or every record of the given profiles, ordered by id (every record
    when neither is given)."""
    if record_ids is None and profile_ids is None:
        return list(
            iter_all_records(session, default_region=default_region, with_profile=with_profile)
        )
    if profile_ids is None:
        rows, identifiers = _load_with_identifiers(session, _BASE, record_ids)
    else:
        # Two queries: joined, PostgreSQL plans a profile's records against a scan of every
        # identifier (measured: 17 ms instead of 1 ms at 100k records).
        rows = []
        for part in chunks(list(record_ids or [])):
            rows.extend(session.connection().execute(_BASE.where(models.SourceRecord.id.in_(part))))
        for ppart in chunks(list(profile_ids)):
            rows.extend(
                session.connection().execute(_BASE.where(models.SourceRecord.profile_id.in_(ppart)))
            )
        rows.sort(key=lambda row: row[0])
        identifiers = _identifiers(session, [row[0] for row in rows])
    return [_record(row, identifiers.get(row[0], ()), default_region, with_profile) for row in rows]


_STREAM = 20_000


def iter_all_records(
    session: Session, *, default_region: str = "US", with_profile: bool = True
) -> Iterator[PersonRecord]:
    """Every record in id order, streamed: records and identifiers are read by two
    server-side cursors in record order and merged here, so neither is held whole."""
    ident = models.Identifier
    # Core rows, not ORM ones: the ORM's per-row work was most of the client's cost here.
    connection, options = session.connection(), {"yield_per": _STREAM}
    rows = connection.execute(_BASE.order_by(models.SourceRecord.id), execution_options=options)
    found = connection.execute(
        select(ident.record_id, ident.kind, ident.value).order_by(ident.record_id),
        execution_options=options,
    )
    pending = next(found, None)
    for row in rows:
        record_id = row[0]
        while pending is not None and pending[0] < record_id:
            pending = next(found, None)  # an identifier of no record: impossible with the FK
        own: list[tuple[str, str]] = []
        while pending is not None and pending[0] == record_id:
            own.append((pending[1], pending[2]))
            pending = next(found, None)
        yield _record(row, own, default_region, with_profile)


Override = tuple[str, int, int]


@dataclass
class _Collected:
    rows: list[Any]  # one per record, in id order
    identifiers: dict[int, list[tuple[str, str]]]
    overrides: set[Override]  # (kind, left record id, right record id)
    last: Any  # the last row read (for a column every row carries)


def _collect(rows: Iterable[Any], *, with_overrides: bool = False) -> _Collected:
    """Record rows of an outer join with their identifiers (`kind, value` after the record
    columns) and, `with_overrides`, the overrides whose left record this is (`kind,
    right_record_id` next). Joined rows repeat a record per identifier and override: each
    identifier and override is kept once."""
    by_id: dict[int, Any] = {}
    identifiers: dict[int, dict[tuple[str, str], None]] = defaultdict(dict)
    overrides: set[Override] = set()
    last = None
    for row in rows:
        by_id.setdefault(row[0], row)
        if row[_WIDTH] is not None:
            identifiers[row[0]][(row[_WIDTH], row[_WIDTH + 1])] = None
        if with_overrides and row[_WIDTH + 2] is not None:
            overrides.add((row[_WIDTH + 2], row[0], row[_WIDTH + 3]))
        last = row
    return _Collected(
        [by_id[rid] for rid in sorted(by_id)],
        {rid: list(values) for rid, values in identifiers.items()},
        overrides,
        last,
    )


def _load_with_identifiers(
    session: Session,
    base: Any,
    record_ids: Sequence[int] | None,
) -> tuple[list[Any], dict[int, list[tuple[str, str]]]]:
    """Selected records and their identifiers in one query per chunk (an outer join: one
    round trip instead of two, which is what incremental resolution pays per look-up)."""
    ident = models.Identifier
    query = base.add_columns(ident.kind, ident.value).outerjoin(
        ident, ident.record_id == models.SourceRecord.id
    )
    rows: list[Any] = []
    for part in chunks(list(record_ids or [])):
        rows.extend(session.connection().execute(query.where(models.SourceRecord.id.in_(part))))
    found = _collect(rows)
    return found.rows, found.identifiers


def _active_version() -> Any:
    table = models.IdentityModel
    return (
        select(table.version)
        .where(table.is_active.is_(True))
        .order_by(table.created_at.desc())
        .limit(1)
        .scalar_subquery()
    )


def _with_identifiers_and_overrides(query: Any) -> Any:
    """`query` (over `_BASE`) with each record's identifiers and the overrides whose left
    record it is (outer joins; columns `_WIDTH` to `_WIDTH + 3`)."""
    sr, ident, override = models.SourceRecord, models.Identifier, models.IdentityOverride
    return (
        query.add_columns(ident.kind, ident.value, override.kind, override.right_record_id)
        .outerjoin(ident, ident.record_id == sr.id)
        .outerjoin(override, override.left_record_id == sr.id)
    )


# Built once (incremental resolution runs it for every batch): records by id with their
# identifiers and overrides and, on every row, the active model's version.
_ARRIVALS = (
    _with_identifiers_and_overrides(_BASE)
    .add_columns(_active_version())
    .where(models.SourceRecord.id.in_(bindparam("ids", expanding=True)))
)


# PostgreSQL: the same, and the rest of the transaction plans its statements generically
# (`plan_cache_mode`, transaction-local). Left to choose, PostgreSQL re-planned the
# candidate look-up and the write statement on every call, because a custom plan, knowing
# how many values the arrays hold, looks cheaper than the generic one; it is the same plan
# (measured with EXPLAIN ANALYZE at 1M records), and planning it took 2-3 ms of server
# CPU for 0.5 ms of execution. Set by the first read, it costs no round trip of its own.
_ARRIVALS_POSTGRESQL = _ARRIVALS.add_columns(
    func.set_config("plan_cache_mode", "force_generic_plan", True)
)


@dataclass(frozen=True)
class Arrivals:
    """Records to resolve, the overrides whose left record is one of them, and the active
    model's version (None when no model is active or no record was found)."""

    records: list[PersonRecord]
    overrides: set[Override]
    model_version: str | None


def load_arrivals(
    session: Session, record_ids: Sequence[int], *, default_region: str = "US"
) -> Arrivals:
    """Records by id (as `load_records`) with their overrides and the active model's
    version, read together: one round trip where incremental resolution used to pay three."""
    statement = _ARRIVALS
    if session.get_bind().dialect.name == "postgresql":
        statement = _ARRIVALS_POSTGRESQL
    rows: list[Any] = []
    for part in chunks(list(record_ids)):
        rows.extend(session.connection().execute(statement, {"ids": list(part)}))
    found = _collect(rows, with_overrides=True)
    version = found.last[_WIDTH + 4] if found.last is not None else None
    records = [
        _record(row, found.identifiers.get(row[0], ()), default_region, True) for row in found.rows
    ]
    return Arrivals(records, found.overrides, version)


def _identifiers(session: Session, record_ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    out: dict[int, list[tuple[str, str]]] = defaultdict(list)
    query = select(models.Identifier.record_id, models.Identifier.kind, models.Identifier.value)
    for part in chunks(record_ids):
        for record_id, kind, value in session.connection().execute(
            query.where(models.Identifier.record_id.in_(part))
        ):
            out[record_id].append((kind, value))
    return out


@dataclass(frozen=True)
class StoredProfile:
    """What a merge needs of a stored profile: its status, and what picks the survivor."""

    status: str
    first_seen_at: datetime | None
    created_at: datetime | None


@dataclass(frozen=True)
class Candidates:
    """Stored records a batch may link to (whole profiles), and those profiles."""

    records: list[PersonRecord] = field(default_factory=list)
    profiles: dict[str, StoredProfile] = field(default_factory=dict)
    # Overrides whose left record is one of `records`.
    overrides: set[Override] = field(default_factory=set)


def candidate_records(
    session: Session, new: Sequence[PersonRecord], model: MatchModel, *, default_region: str = "US"
) -> Candidates:
    """Every record of the stored profiles holding a record that shares an identifier or a
    blocking key with `new` (indexed look-ups on `identifiers (kind, value)` and
    `block_keys (rule, key)`), with those profiles' identifiers and statuses: whole profiles,
    so their one-per-person identifiers and golden records need no further reads. A value or
    key held by more than `max_block_size` records is skipped. One statement, whose text is
    fixed (compiled once, prepared once per connection)."""
    kinds = {rule.kind for rule in model.identifier_rules}
    wanted = sorted({(k, v) for r in new for k, v in r.identifiers if k in kinds})
    keys = sorted({key for r in new for key in record_block_keys(r, model.blocking_rules)})
    if not wanted and not keys:
        return Candidates()
    tagged = [("i", g, v) for g, v in wanted] + [("b", g, v) for g, v in keys]
    limits = {"cap": model.max_block_size + 1, "limit": model.max_block_size}
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        params = {
            "tags": [t for t, _, _ in tagged],
            "groups": [g for _, g, _ in tagged],
            "vals": [v for _, _, v in tagged],
            **limits,
        }
        return _candidates(connection.execute(_CANDIDATES_POSTGRESQL, params), default_region)
    params = {"wanted": orjson.dumps(tagged).decode(), **limits}
    return _candidates(connection.execute(_CANDIDATES_SQLITE, params), default_region)


def _candidates(rows: Iterable[Any], default_region: str) -> Candidates:
    found = _collect(rows, with_overrides=True)
    return Candidates(
        [
            _record(row, found.identifiers.get(row[0], ()), default_region, True)
            for row in found.rows
        ],
        {row[5]: StoredProfile(*row[_WIDTH + 4 : _WIDTH + 7]) for row in found.rows},
        found.overrides,
    )


def _profile_records(owners: Any) -> Any:
    """Every record of the profiles of the records `owners` selects, with its identifiers and
    overrides, and its profile's status, first-seen and creation times."""
    sr, profile = models.SourceRecord, models.Profile
    return (
        _with_identifiers_and_overrides(_BASE)
        .add_columns(profile.status, profile.first_seen_at, profile.created_at)
        .join(profile, profile.id == sr.profile_id)
        .where(sr.profile_id.in_(select(sr.profile_id).where(sr.id.in_(owners)).scalar_subquery()))
    )


# PostgreSQL: the look-up and the candidate profiles in one statement (one round trip, and a
# fixed text that the driver prepares once per connection). `wanted` holds the batch's
# identifiers ('i': kind, value) and block keys ('b': rule, key) as three parallel arrays;
# each is looked up on its own index by a LATERAL subquery that stops at `cap` (the size
# limit + 1) rows, so a value held by more than `limit` records is seen to be over the limit
# without reading all its rows, and is no evidence. The records holding the values within
# the limit name the candidate profiles.
_HITS_POSTGRESQL = text(
    """
    SELECT hit.record_id
    FROM (
        SELECT found.record_id,
               count(*) OVER (PARTITION BY wanted.tag, wanted.grp, wanted.val) AS holders
        FROM unnest(CAST(:tags AS text[]), CAST(:groups AS text[]), CAST(:vals AS text[]))
            AS wanted(tag, grp, val)
        CROSS JOIN LATERAL (
            (SELECT record_id FROM identifiers
             WHERE wanted.tag = 'i' AND kind = wanted.grp AND value = wanted.val LIMIT :cap)
            UNION ALL
            (SELECT record_id FROM block_keys
             WHERE wanted.tag = 'b' AND rule = wanted.grp AND key = wanted.val LIMIT :cap)
        ) AS found
    ) AS hit
    WHERE hit.holders <= :limit
    """
).columns(record_id=BigInteger)

_CANDIDATES_POSTGRESQL = _profile_records(select(_HITS_POSTGRESQL.subquery("hits").c.record_id))

# SQLite: the same in one statement. `wanted` is a JSON array of [tag, group, value]; SQLite
# has no LATERAL, so each value's holders are first counted by a correlated subquery that
# stops at `cap` rows, and only values within the limit are joined to their records.
_HITS_SQLITE = text(
    """
    WITH wanted(tag, grp, val) AS (
        SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(:wanted)
    ),
    held AS (
        SELECT tag, grp, val FROM wanted
        WHERE CASE tag
            WHEN 'i' THEN (SELECT count(*) FROM (SELECT 1 FROM identifiers
                           WHERE kind = wanted.grp AND value = wanted.val LIMIT :cap))
            ELSE (SELECT count(*) FROM (SELECT 1 FROM block_keys
                  WHERE rule = wanted.grp AND key = wanted.val LIMIT :cap))
        END <= :limit
    )
    SELECT i.record_id FROM held JOIN identifiers AS i
        ON held.tag = 'i' AND i.kind = held.grp AND i.value = held.val
    UNION
    SELECT b.record_id FROM held JOIN block_keys AS b
        ON held.tag = 'b' AND b.rule = held.grp AND b.key = held.val
    """
).columns(record_id=BigInteger)

_CANDIDATES_SQLITE = _profile_records(select(_HITS_SQLITE.subquery("hits").c.record_id))


def load_profile_exclusive(
    session: Session, profile_ids: Iterable[str], model: MatchModel
) -> dict[str, dict[str, str]]:
    """The one-per-person identifiers each profile already holds (on any of its records)."""
    kinds = [rule.kind for rule in model.identifier_rules if rule.one_per_person]
    out: dict[str, dict[str, str]] = defaultdict(dict)
    ids = sorted(set(profile_ids))
    ident = models.Identifier
    for part in chunks(ids):
        # Kinds filtered here: given both conditions, PostgreSQL intersects the profile's few
        # rows with every identifier of those kinds (a bitmap that grows with the data).
        query = select(ident.profile_id, ident.kind, ident.value).where(ident.profile_id.in_(part))
        for profile_id, kind, value in session.execute(query):
            if profile_id is not None and kind in kinds:
                out[profile_id].setdefault(kind, value)
    return out


def load_overrides(
    session: Session, record_ids: Sequence[int] | None = None
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(never_link pairs, must_link pairs) touching `record_ids` (all when None)."""
    table = models.IdentityOverride
    query = select(table.kind, table.left_record_id, table.right_record_id)
    rows: list[Any] = []
    if record_ids is None:
        rows = list(session.execute(query))
    else:
        for part in chunks(list(record_ids)):
            rows.extend(
                session.execute(
                    query.where(
                        or_(table.left_record_id.in_(part), table.right_record_id.in_(part))
                    )
                )
            )
    never = sorted({(a, b) for kind, a, b in rows if kind == "never_link"})
    must = sorted({(a, b) for kind, a, b in rows if kind == "must_link"})
    return never, must


_MODELS: dict[str, MatchModel] = {}


def active_model(session: Session) -> MatchModel | None:
    """The active stored model (parsed once per version and process)."""
    version = session.scalar(select(_active_version()))
    return None if version is None else model_of_version(session, version)


def model_of_version(session: Session, version: str) -> MatchModel:
    """The stored model of this version, parsed once per process (read only when not cached)."""
    cached = _MODELS.get(version)
    if cached is None:
        table = models.IdentityModel
        params = session.scalar(select(table.params).where(table.version == version))
        cached = model_from_json(params or {})
        if len(_MODELS) > 8:
            _MODELS.clear()
        _MODELS[version] = cached
    return cached


def save_model(session: Session, model: MatchModel) -> str:
    """Store `model` as the active one (idempotent for an unchanged model)."""
    version = model.version
    session.execute(
        update(models.IdentityModel)
        .where(
            and_(models.IdentityModel.is_active.is_(True), models.IdentityModel.version != version)
        )
        .values(is_active=False)
    )
    existing = session.get(models.IdentityModel, version)
    if existing is None:
        session.add(models.IdentityModel(version=version, params=model.to_dict(), is_active=True))
    else:
        existing.is_active = True
    session.flush()
    return version
