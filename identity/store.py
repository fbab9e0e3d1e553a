"""Reading what identity needs from the database: records as `PersonRecord`s, candidates for
new records through indexed look-ups (`identifiers (kind, value)`, `block_keys (rule, key)`),
overrides and the active model. The only module besides `writer` that uses SQLAlchemy."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from cdp import models
from identity.blocking import record_block_keys
from identity.model import MatchModel, model_from_json
from identity.records import PersonRecord, from_attributes

__all__ = [
    "CHUNK",
    "active_model",
    "candidate_records",
    "chunks",
    "load_overrides",
    "load_profile_exclusive",
    "load_records",
    "record_key",
    "save_model",
]

CHUNK = 5000
T = TypeVar("T")


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def record_key(source: str, external_id: str) -> str:
    return f"{source}:{external_id}"


def load_records(
    session: Session,
    *,
    record_ids: Sequence[int] | None = None,
    profile_ids: Sequence[str] | None = None,
    default_region: str = "US",
    with_profile: bool = True,
) -> list[PersonRecord]:
    """Records by id, or every record of the given profiles, ordered by id."""
    columns = (
        models.SourceRecord.id,
        models.Source.name,
        models.SourceRecord.external_id,
        models.SourceRecord.kind,
        models.SourceRecord.occurred_at,
        models.SourceRecord.attributes,
        models.SourceRecord.profile_id,
        models.Source.channel,
    )
    base = select(*columns).join(models.Source, models.Source.id == models.SourceRecord.source_id)
    rows: list[Any] = []
    if record_ids is None and profile_ids is None:
        rows = list(session.execute(base.order_by(models.SourceRecord.id)))
    else:
        for part in chunks(list(record_ids or [])):
            rows.extend(session.execute(base.where(models.SourceRecord.id.in_(part))))
        for ppart in chunks(list(profile_ids or [])):
            rows.extend(session.execute(base.where(models.SourceRecord.profile_id.in_(ppart))))
        rows.sort(key=lambda row: row[0])
    identifiers = _identifiers(
        session, [row[0] for row in rows], all_rows=record_ids is None and profile_ids is None
    )
    return [
        from_attributes(
            row[0],
            record_key(row[1], row[2]),
            row[5] or {},
            identifiers.get(row[0], ()),
            default_region=default_region,
            source=row[1],
            kind=row[3],
            occurred_at=row[4],
            profile_id=row[6] if with_profile else None,
            channel=row[7],
        )
        for row in rows
    ]


def _identifiers(
    session: Session, record_ids: list[int], *, all_rows: bool
) -> dict[int, list[tuple[str, str]]]:
    out: dict[int, list[tuple[str, str]]] = defaultdict(list)
    query = select(models.Identifier.record_id, models.Identifier.kind, models.Identifier.value)
    if all_rows:
        for record_id, kind, value in session.execute(query):
            out[record_id].append((kind, value))
        return out
    for part in chunks(record_ids):
        for record_id, kind, value in session.execute(
            query.where(models.Identifier.record_id.in_(part))
        ):
            out[record_id].append((kind, value))
    return out


def candidate_records(
    session: Session, new: Sequence[PersonRecord], model: MatchModel, *, default_region: str = "US"
) -> list[PersonRecord]:
    """Stored, resolved records that share an identifier or a blocking key with `new`: one
    indexed query on `identifiers (kind, value)` and one on `block_keys (rule, key)`; a value
    or key held by more than `max_block_size` records is skipped (no evidence, and slow)."""
    kinds = {rule.kind for rule in model.identifier_rules}
    wanted = sorted({(k, v) for r in new for k, v in r.identifiers if k in kinds})
    keys = sorted({key for r in new for key in record_block_keys(r, model.blocking_rules)})
    found = _grouped_lookup(
        session, models.Identifier, "kind", "value", wanted, model.max_block_size
    )
    found |= _grouped_lookup(session, models.BlockKey, "rule", "key", keys, model.max_block_size)
    found.difference_update(r.record_id for r in new)
    if not found:
        return []
    loaded = load_records(session, record_ids=sorted(found), default_region=default_region)
    return [r for r in loaded if r.profile_id]


def _grouped_lookup(
    session: Session, table: Any, group: str, value: str, wanted: list[tuple[str, str]], limit: int
) -> set[int]:
    found: set[int] = set()
    group_col, value_col = getattr(table, group), getattr(table, value)
    for part in chunks(wanted, 500):
        by_group: dict[str, list[str]] = defaultdict(list)
        for g, v in part:
            by_group[g].append(v)
        condition = or_(*(and_(group_col == g, value_col.in_(vs)) for g, vs in by_group.items()))
        rows = session.execute(
            select(group_col, value_col, table.record_id)
            .where(condition)
            .limit(limit * len(part) + 1)
        ).all()
        sizes: dict[tuple[str, str], int] = defaultdict(int)
        for g, v, _ in rows:
            sizes[(g, v)] += 1
        found.update(rid for g, v, rid in rows if sizes[(g, v)] <= limit)
    return found


def load_profile_exclusive(
    session: Session, profile_ids: Iterable[str], model: MatchModel
) -> dict[str, dict[str, str]]:
    """The one-per-person identifiers each profile already holds (on any of its records)."""
    kinds = [rule.kind for rule in model.identifier_rules if rule.one_per_person]
    out: dict[str, dict[str, str]] = defaultdict(dict)
    ids = sorted(set(profile_ids))
    ident = models.Identifier
    for part in chunks(ids):
        query = select(ident.profile_id, ident.kind, ident.value).where(
            ident.profile_id.in_(part), ident.kind.in_(kinds)
        )
        for profile_id, kind, value in session.execute(query):
            if profile_id is not None:
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
    table = models.IdentityModel
    version = session.scalar(
        select(table.version)
        .where(table.is_active.is_(True))
        .order_by(table.created_at.desc())
        .limit(1)
    )
    if version is None:
        return None
    cached = _MODELS.get(version)
    if cached is None:
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
