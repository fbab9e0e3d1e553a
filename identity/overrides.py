"""People's decisions: merge two profiles, split records out of one, forbid a link. Each is
stored as an override (`must_link` / `never_link`) that later automatic runs respect, and
logged in the merge log with actor, reason and time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session

from cdp import models
from identity._errors import IdentityConflictError, InvalidInputError, RecordNotFoundError
from identity.explain import resolve_profile_id
from identity.service import current_model
from identity.writer import derive_profile_id, merge_into, reassign_facts, refresh_profiles

__all__ = [
    "ForbidResult",
    "MergeResult",
    "SplitResult",
    "forbid_link",
    "merge_profiles",
    "split_profile",
]


@dataclass(frozen=True)
class MergeResult:
    profile_id: str
    merged_profile_id: str
    record_count: int


@dataclass(frozen=True)
class SplitResult:
    profile_id: str
    new_profile_id: str
    record_ids: tuple[int, ...]


@dataclass(frozen=True)
class ForbidResult:
    left_record_id: int
    right_record_id: int
    shares_profile: bool
    profile_id: str | None


def _require_actor(actor: str) -> None:
    if not actor or not actor.strip():
        raise InvalidInputError("actor is empty; say who made the decision (e.g. 'jane@shop.com')")


def _record_ids(session: Session, profile_id: str) -> list[int]:
    return list(
        session.scalars(
            select(models.SourceRecord.id)
            .where(models.SourceRecord.profile_id == profile_id)
            .order_by(models.SourceRecord.id)
        )
    )


def _add_override(
    session: Session, kind: str, a: int, b: int, actor: str, reason: str | None
) -> None:
    left, right = sorted((a, b))
    exists = session.scalar(
        select(models.IdentityOverride.id).where(
            models.IdentityOverride.kind == kind,
            models.IdentityOverride.left_record_id == left,
            models.IdentityOverride.right_record_id == right,
        )
    )
    if exists is None:
        session.add(
            models.IdentityOverride(
                kind=kind, left_record_id=left, right_record_id=right, actor=actor, reason=reason
            )
        )


def _never_between(session: Session, left: list[int], right: list[int]) -> tuple[int, int] | None:
    o = models.IdentityOverride
    row = session.execute(
        select(o.left_record_id, o.right_record_id).where(
            o.kind == "never_link",
            or_(
                and_(o.left_record_id.in_(left), o.right_record_id.in_(right)),
                and_(o.left_record_id.in_(right), o.right_record_id.in_(left)),
            ),
        )
    ).first()
    return (row[0], row[1]) if row else None


def _drop_never_between(session: Session, left: list[int], right: list[int]) -> None:
    o = models.IdentityOverride
    session.execute(
        delete(o).where(
            o.kind == "never_link",
            or_(
                and_(o.left_record_id.in_(left), o.right_record_id.in_(right)),
                and_(o.left_record_id.in_(right), o.right_record_id.in_(left)),
            ),
        )
    )


def _exclusive_conflict(session: Session, a: str, b: str) -> str | None:
    model = current_model(session)
    kinds = [r.kind for r in model.identifier_rules if r.one_per_person]
    ident = models.Identifier
    values: dict[str, dict[str, set[str]]] = {a: {}, b: {}}
    for profile_id, kind, value in session.execute(
        select(ident.profile_id, ident.kind, ident.value).where(
            ident.profile_id.in_([a, b]), ident.kind.in_(kinds)
        )
    ):
        if profile_id is not None:
            values[profile_id].setdefault(kind, set()).add(value)
    for kind in kinds:
        left, right = values[a].get(kind), values[b].get(kind)
        if left and right and not left & right:
            return f"one-per-person {kind} differs: {sorted(left)} vs {sorted(right)}"
    return None


def merge_profiles(
    session: Session,
    winner: str,
    other: str,
    *,
    actor: str,
    reason: str | None = None,
    force: bool = False,
) -> MergeResult:
    """Merge `other` into `winner` (which keeps its id). Unless `force`, refused with
    `IdentityConflictError` when a never-link override separates them (forcing removes it) or
    when they hold different values of a one-per-person identifier."""
    _require_actor(actor)
    keep, gone = resolve_profile_id(session, winner), resolve_profile_id(session, other)
    if keep == gone:
        raise IdentityConflictError(
            f"profiles {winner!r} and {other!r} are already one profile ({keep!r})"
        )
    keep_ids, gone_ids = _record_ids(session, keep), _record_ids(session, gone)
    never = _never_between(session, keep_ids, gone_ids)
    if never is not None and not force:
        raise IdentityConflictError(
            f"a never-link override between records {never[0]} and {never[1]} keeps {keep!r} and "
            f"{gone!r} apart; pass force=True to merge anyway (it removes those overrides)"
        )
    if never is not None:
        _drop_never_between(session, keep_ids, gone_ids)
    conflict = _exclusive_conflict(session, keep, gone)
    if conflict and not force:
        raise IdentityConflictError(
            f"cannot merge {keep!r} and {gone!r}: {conflict}; pass force=True to merge anyway"
        )
    if keep_ids and gone_ids:
        _add_override(session, "must_link", keep_ids[0], gone_ids[0], actor, reason)
    now = datetime.now(UTC)
    merge_into(
        session,
        gone,
        keep,
        gone_ids,
        actor,
        now,
        reason=reason or "manual merge",
        evidence={"manual": True},
    )
    refresh_profiles(session, [keep], current_model(session))
    return MergeResult(keep, gone, len(keep_ids) + len(gone_ids))


def split_profile(
    session: Session,
    profile_id: str,
    record_ids: list[int],
    *,
    actor: str,
    reason: str | None = None,
) -> SplitResult:
    """Move `record_ids` (with their identifiers and facts) out of the profile into a new one;
    each side's golden record is rebuilt from its own records only. A never-link override keeps
    automatic runs from joining them again."""
    _require_actor(actor)
    if not record_ids:
        raise InvalidInputError("record_ids is empty; name the records to split out")
    source = resolve_profile_id(session, profile_id)
    current = _record_ids(session, source)
    moving = sorted(set(record_ids))
    missing = [r for r in moving if r not in set(current)]
    if missing:
        known = set(
            session.scalars(
                select(models.SourceRecord.id).where(models.SourceRecord.id.in_(missing))
            )
        )
        unknown = [r for r in missing if r not in known]
        if unknown:
            raise RecordNotFoundError(unknown)
        raise InvalidInputError(f"records {missing} are not in profile {source!r}")
    staying = [r for r in current if r not in set(moving)]
    if not staying:
        raise InvalidInputError(
            f"splitting out every record of {source!r} would leave it empty; split fewer records"
        )
    new_id = _new_profile_id(session, moving)
    now = datetime.now(UTC)
    sr = models.SourceRecord
    session.execute(update(sr).where(sr.id.in_(moving)).values(profile_id=new_id))
    reassign_facts(session, moving)
    _unlink_crossing(session, moving, staying, actor)
    o = models.IdentityOverride
    session.execute(
        delete(o).where(
            o.kind == "must_link",
            or_(
                and_(o.left_record_id.in_(moving), o.right_record_id.in_(staying)),
                and_(o.left_record_id.in_(staying), o.right_record_id.in_(moving)),
            ),
        )
    )
    _add_override(session, "never_link", moving[0], staying[0], actor, reason or "split")
    session.add(
        models.MergeLog(
            action="split",
            profile_id=source,
            other_profile_id=new_id,
            record_ids=moving,
            actor=actor,
            reason=reason,
            evidence={},
            created_at=now,
        )
    )
    refresh_profiles(session, [source, new_id], current_model(session))
    return SplitResult(source, new_id, tuple(moving))


def _new_profile_id(session: Session, moving: list[int]) -> str:
    """Derived like any profile id; a former profile with that id (the one these records came
    from, merged away earlier) is brought back rather than a new id invented."""
    row = session.execute(
        select(models.Source.name, models.SourceRecord.external_id)
        .join(models.Source, models.Source.id == models.SourceRecord.source_id)
        .where(models.SourceRecord.id.in_(moving))
        .order_by(models.SourceRecord.occurred_at, models.SourceRecord.id)
        .limit(1)
    ).one()
    base = derive_profile_id(f"{row[0]}:{row[1]}")
    candidate, n = base, 1
    while True:
        existing = session.get(models.Profile, candidate)
        if existing is None:
            session.add(models.Profile(id=candidate, status="active"))
            session.flush()
            return candidate
        if existing.status == "merged":
            existing.status, existing.merged_into_id = "active", None
            session.flush()
            return candidate
        n += 1
        candidate = f"{base}-{n}"


def _unlink_crossing(session: Session, moving: list[int], staying: list[int], actor: str) -> None:
    link = models.IdentityLink
    session.execute(
        update(link)
        .where(
            link.decision == "accepted",
            or_(
                and_(link.left_record_id.in_(moving), link.right_record_id.in_(staying)),
                and_(link.left_record_id.in_(staying), link.right_record_id.in_(moving)),
            ),
        )
        .values(decision="rejected", profile_id=None, reason=f"split by {actor}")
    )


def forbid_link(
    session: Session,
    left_record_id: int,
    right_record_id: int,
    *,
    actor: str,
    reason: str | None = None,
) -> ForbidResult:
    """Store a never-link pair. If the records already share a profile the result says so
    (split one of them out with `split_profile` to separate them)."""
    _require_actor(actor)
    if left_record_id == right_record_id:
        raise InvalidInputError(
            f"a record cannot be kept apart from itself (record {left_record_id})"
        )
    rows = dict(
        session.execute(
            select(models.SourceRecord.id, models.SourceRecord.profile_id).where(
                models.SourceRecord.id.in_([left_record_id, right_record_id])
            )
        ).all()
    )
    missing = [r for r in (left_record_id, right_record_id) if r not in rows]
    if missing:
        raise RecordNotFoundError(missing)
    _add_override(session, "never_link", left_record_id, right_record_id, actor, reason)
    session.flush()
    same = rows[left_record_id] is not None and rows[left_record_id] == rows[right_record_id]
    return ForbidResult(
        left_record_id, right_record_id, same, rows[left_record_id] if same else None
    )
