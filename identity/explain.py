"""Read-side views: how a profile was built (`explain_profile`), why two records or profiles
are (not) one person (`compare`), the review list, and the record-to-profile export."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session, aliased

from cdp import models
from cdp.merges import survivor
from identity._errors import InvalidInputError, ProfileNotFoundError, RecordNotFoundError
from identity.blocking import record_block_keys
from identity.engine import HOUSEHOLD_ONLY, NAMES_ONLY, POSSIBLE_MATCH
from identity.model import MatchModel
from identity.records import PersonRecord, RecordTable
from identity.scoring import MatchExplanation, explain_pair, score_pairs
from identity.service import current_model
from identity.store import load_overrides, load_records

__all__ = [
    "LinkInfo",
    "MergeInfo",
    "PairReport",
    "ProfileExplanation",
    "RecordInfo",
    "ReviewItem",
    "compare",
    "explain_profile",
    "export_assignments",
    "resolve_profile_id",
    "review_list",
]

_MAX_COMPARE = 200


@dataclass(frozen=True)
class RecordInfo:
    record_id: int
    source: str
    external_id: str
    kind: str
    occurred_at: datetime | None


@dataclass(frozen=True)
class LinkInfo:
    link_id: int
    left_record_id: int
    right_record_id: int
    method: str
    rule: str
    decision: str
    score: float | None
    probability: float | None
    reason: str | None
    evidence: dict[str, Any]
    model_version: str | None
    created_at: datetime


@dataclass(frozen=True)
class MergeInfo:
    action: str
    profile_id: str
    other_profile_id: str | None
    record_ids: tuple[int, ...]
    actor: str
    reason: str | None
    created_at: datetime


@dataclass(frozen=True)
class ProfileExplanation:
    """How a profile was built: golden record, records, the links that joined them (and the
    ones set aside or waiting for review), and its merge/split history."""

    profile_id: str
    requested_id: str
    status: str
    attributes: dict[str, Any]
    records: tuple[RecordInfo, ...]
    links: tuple[LinkInfo, ...]
    history: tuple[MergeInfo, ...]


def resolve_profile_id(session: Session, profile_id: str) -> str:
    """The active profile an id stands for (following merges); raises if unknown."""

    def merged_into(current: str) -> str | None:
        row = session.execute(
            select(models.Profile.status, models.Profile.merged_into_id).where(
                models.Profile.id == current
            )
        ).first()
        if row is None:
            raise ProfileNotFoundError(profile_id)
        return row[1] if row[0] == models.ProfileStatus.MERGED.value else None

    return survivor(profile_id, merged_into)


def _link_info(link: models.IdentityLink) -> LinkInfo:
    return LinkInfo(
        link.id,
        link.left_record_id,
        link.right_record_id,
        link.method,
        link.rule,
        link.decision,
        link.score,
        link.probability,
        link.reason,
        dict(link.evidence or {}),
        link.model_version,
        link.created_at,
    )


def explain_profile(session: Session, profile_id: str) -> ProfileExplanation:
    resolved = resolve_profile_id(session, profile_id)
    profile = session.get(models.Profile, resolved)
    assert profile is not None
    rows = session.execute(
        select(
            models.SourceRecord.id,
            models.Source.name,
            models.SourceRecord.external_id,
            models.SourceRecord.kind,
            models.SourceRecord.occurred_at,
        )
        .join(models.Source, models.Source.id == models.SourceRecord.source_id)
        .where(models.SourceRecord.profile_id == resolved)
        .order_by(models.SourceRecord.id)
    ).all()
    records = tuple(RecordInfo(*row) for row in rows)
    ids = [r.record_id for r in records]
    link = models.IdentityLink
    links = (
        session.scalars(
            select(link)
            .where(or_(link.left_record_id.in_(ids), link.right_record_id.in_(ids)))
            .order_by(link.id)
        ).all()
        if ids
        else []
    )
    log = models.MergeLog
    history = session.scalars(
        select(log)
        .where(or_(log.profile_id == resolved, log.other_profile_id == resolved))
        .order_by(log.created_at, log.id)
    ).all()
    return ProfileExplanation(
        resolved,
        profile_id,
        profile.status,
        dict(profile.attributes or {}),
        records,
        tuple(_link_info(x) for x in links),
        tuple(
            MergeInfo(
                h.action,
                h.profile_id,
                h.other_profile_id,
                tuple(h.record_ids or ()),
                h.actor,
                h.reason,
                h.created_at,
            )
            for h in history
        ),
    )


@dataclass(frozen=True)
class PairReport:
    """Two records or profiles compared: the best-scoring record pair's full explanation and
    what kept them apart (vetoes, negative evidence, limits, overrides, no shared block)."""

    left: str
    right: str
    same_profile: bool
    pairs_compared: int
    best_left_record: int
    best_right_record: int
    explanation: MatchExplanation
    shared_blocking_rules: tuple[str, ...]
    kept_apart_by: tuple[str, ...]


def _records_for(session: Session, ref: int | str, region: str) -> tuple[str, list[PersonRecord]]:
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        record_id = int(ref)
        found = load_records(session, record_ids=[record_id], default_region=region)
        if not found:
            raise RecordNotFoundError([record_id])
        return f"record {record_id}", found
    profile_id = resolve_profile_id(session, ref)
    found = load_records(session, profile_ids=[profile_id], default_region=region)
    if not found:
        raise InvalidInputError(f"profile {profile_id!r} has no records to compare")
    return f"profile {profile_id}", found[:_MAX_COMPARE]


def compare(
    session: Session,
    left: int | str,
    right: int | str,
    *,
    model: MatchModel | None = None,
    default_region: str = "US",
) -> PairReport:
    """Score two records (ints) or two profiles (ids) and say what kept them apart."""
    model = model or current_model(session)
    left_name, lefts = _records_for(session, left, default_region)
    right_name, rights = _records_for(session, right, default_region)
    tables = (RecordTable(lefts), RecordTable(rights))
    li, ri = np.meshgrid(np.arange(len(lefts)), np.arange(len(rights)), indexing="ij")
    scored = score_pairs(model, tables, (li.ravel().astype(np.int64), ri.ravel().astype(np.int64)))
    order = np.lexsort((-scored.total, scored.vetoed))
    best = int(order[0])
    a, b = int(scored.left[best]), int(scored.right[best])
    explanation = explain_pair(model, tables, a, b)
    shared_rules = tuple(
        sorted(
            r1
            for r1, k1 in record_block_keys(lefts[a], model.blocking_rules)
            if (r1, k1) in set(record_block_keys(rights[b], model.blocking_rules))
        )
    )
    reasons = _kept_apart(session, model, explanation, lefts, rights, shared_rules)
    same = bool(
        lefts[0].profile_id and all(r.profile_id == lefts[0].profile_id for r in lefts + rights)
    )
    return PairReport(
        left_name,
        right_name,
        same,
        len(scored),
        lefts[a].record_id,
        rights[b].record_id,
        explanation,
        shared_rules,
        tuple(reasons),
    )


NAME_COMPARISONS = frozenset({"given_name", "family_name"})


def _kept_apart(
    session: Session,
    model: MatchModel,
    explanation: MatchExplanation,
    lefts: list[PersonRecord],
    rights: list[PersonRecord],
    shared_rules: tuple[str, ...],
) -> list[str]:
    reasons = [f"veto: {v}" for v in explanation.vetoes]
    for c in explanation.kept_apart_by:
        if not c.is_veto:
            reasons.append(
                f"{c.comparison}: {c.label} ({c.left_value} vs {c.right_value}), "
                f"weight {c.weight + c.tf_adjustment:+.2f}"
            )
    if explanation.decision == "review" and explanation.total >= model.match_weight:
        names_only = all(
            c.weight + c.tf_adjustment <= 0 or c.comparison in NAME_COMPARISONS
            for c in explanation.contributions
        )
        reasons.append(NAMES_ONLY if names_only else HOUSEHOLD_ONLY)
    if explanation.total < model.match_weight:
        reasons.append(
            f"total weight {explanation.total:.2f} is below the match threshold "
            f"{model.match_weight:.2f} (probability {explanation.probability:.4f} < "
            f"{model.match_probability})"
        )
        if not explanation.vetoes and explanation.total >= model.review_weight:
            reasons.append(
                "a possible match joins only a single record to a profile when each is the "
                "other's only possible match"
            )
    exclusive = {r.kind for r in model.identifier_rules if r.one_per_person}
    for kind in sorted(exclusive):
        lv = {v for r in lefts for k, v in r.identifiers if k == kind}
        rv = {v for r in rights for k, v in r.identifiers if k == kind}
        if lv and rv and not lv & rv:
            reasons.append(f"one-per-person {kind} differs: {sorted(lv)} vs {sorted(rv)}")
    never, _ = load_overrides(session, [r.record_id for r in lefts + rights])
    left_ids, right_ids = {r.record_id for r in lefts}, {r.record_id for r in rights}
    for a, b in never:
        if (a in left_ids and b in right_ids) or (b in left_ids and a in right_ids):
            reasons.append(f"never-link override between records {a} and {b}")
    if not shared_rules:
        shared_ids = {i for r in lefts for i in r.identifiers} & {
            i for r in rights for i in r.identifiers
        }
        if not shared_ids:
            reasons.append(
                "no shared identifier and no shared blocking key: "
                "the pair is never compared automatically"
            )
    return reasons


@dataclass(frozen=True)
class ReviewItem:
    """Two profiles that may be one person: the best possible-match link between them, and
    how many such links there are (`links`)."""

    link_id: int
    left_record_id: int
    right_record_id: int
    left_profile_id: str | None
    right_profile_id: str | None
    score: float | None
    probability: float | None
    evidence: dict[str, Any]
    links: int = 1
    reason: str | None = None


def review_list(session: Session, *, limit: int = 50, offset: int = 0) -> list[ReviewItem]:
    """Pairs of profiles that may be one person, best first: one item per pair, however many
    of their records are possible matches (links below the match threshold and above the
    review threshold between records now in two different profiles). Possible matches come
    first, by weight; then pairs whose evidence may never merge them on its own (what a
    household shares), which are mostly family members however much they weigh."""
    if limit < 1 or offset < 0:
        raise InvalidInputError(
            f"limit must be >= 1 and offset >= 0, got limit={limit}, offset={offset}"
        )
    link = models.IdentityLink
    left_rec, right_rec = aliased(models.SourceRecord), aliased(models.SourceRecord)
    lp, rp = left_rec.profile_id, right_rec.profile_id
    pair = (case((lp < rp, lp), else_=rp), case((lp < rp, rp), else_=lp))
    order = (case((link.reason == POSSIBLE_MATCH, 0), else_=1), link.score.desc(), link.id)
    ranked = (
        select(
            link.id.label("link_id"),
            lp.label("left_profile_id"),
            rp.label("right_profile_id"),
            func.row_number().over(partition_by=pair, order_by=order).label("rank"),
            func.count().over(partition_by=pair).label("links"),
        )
        .join(left_rec, left_rec.id == link.left_record_id)
        .join(right_rec, right_rec.id == link.right_record_id)
        .where(link.decision == "review", lp != rp)
        .subquery()
    )
    rows = session.execute(
        select(link, ranked.c.left_profile_id, ranked.c.right_profile_id, ranked.c.links)
        .join(ranked, ranked.c.link_id == link.id)
        .where(ranked.c.rank == 1)
        .order_by(*order)
        .limit(limit)
        .offset(offset)
    ).all()
    return [
        ReviewItem(
            x.id,
            x.left_record_id,
            x.right_record_id,
            left,
            right,
            x.score,
            x.probability,
            dict(x.evidence or {}),
            links,
            x.reason,
        )
        for x, left, right, links in rows
    ]


def export_assignments(session: Session) -> Iterator[tuple[str, str, str | None]]:
    """(source name, external id, profile id) for every source record, in record order."""
    query = (
        select(models.Source.name, models.SourceRecord.external_id, models.SourceRecord.profile_id)
        .join(models.Source, models.Source.id == models.SourceRecord.source_id)
        .order_by(models.SourceRecord.id)
        .execution_options(yield_per=10000)
    )
    for row in session.execute(query):
        yield row[0], row[1], row[2]
