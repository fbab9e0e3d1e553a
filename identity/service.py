"""Resolution runs: `resolve` (incremental by default, `full=True` rebuilds) and
`resolve_records` (the records of one ingest batch, against stored profiles through indexed
look-ups; never a full re-run)."""

from __future__ import annotations

import gc
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from cdp import models
from identity.blocking import BlockingReport, candidate_pairs
from identity.bulk import clear_automatic, large_page_cache, write_full
from identity.comparisons import Vectors, comparison_vectors
from identity.defaults import default_model
from identity.engine import Index, SharedIdentifier, link_records, without_same_source_pairs
from identity.locking import hold_resolution
from identity.model import MatchModel
from identity.records import PersonRecord, RecordTable
from identity.store import (
    Override,
    active_model,
    candidate_records,
    chunks,
    duplicate_free_sources,
    iter_all_records,
    load_arrivals,
    load_overrides,
    load_records,
    model_of_version,
    save_model,
)
from identity.training import train
from identity.writer import refresh_profiles, write_block_keys, write_result

__all__ = ["IncrementalResult", "ResolveSummary", "current_model", "resolve", "resolve_records"]

Progress = Callable[[int, int], None]
_MIN_TRAINING_RECORDS = 1000
_MAX_TRAINING_RECORDS = 200_000
_MIN_TRAINING_PAIRS = 100


@dataclass(frozen=True)
class IncrementalResult:
    """What resolving a batch of new records did."""

    records: int
    profiles: dict[int, str]
    created: int
    merges: tuple[tuple[str, str], ...]
    links: dict[str, int]
    candidates: int


@dataclass(frozen=True)
class ResolveSummary:
    """What a resolution run did, for the CLI and the API."""

    mode: str
    records: int
    profiles_created: int
    merges: int
    active_profiles: int
    links: dict[str, int]
    candidate_pairs: dict[str, int]
    skipped_blocks: dict[str, int]
    shared_identifiers: tuple[SharedIdentifier, ...]
    cluster_sizes: dict[int, int]
    largest_profiles: tuple[tuple[str, int], ...]
    model_version: str
    seconds: float = 0.0
    extra: dict[str, object] = field(default_factory=dict)


def current_model(
    session: Session, model: MatchModel | None = None, *, stored: int | None = None
) -> MatchModel:
    """The active model with its prior scaled to the records stored now: the chance that two
    random records are the same person falls as records grow, so the threshold holds.
    `stored` (the highest record id, a cheap stand-in for the count) is read when not given."""
    model = model or active_model(session) or default_model()
    trained_on = int(model.trained.get("records", 0))
    if stored is None:
        stored = session.scalar(select(func.max(models.SourceRecord.id))) or 0
    if not trained_on:
        # Untrained: assume about ten records per person until a model is trained.
        return model.replace(prior=min(0.01, 10 / max(stored, 1)))
    if trained_on and stored > trained_on:
        return model.replace(prior=model.prior * trained_on / stored)
    return model


def _train(
    session: Session,
    records: list[PersonRecord],
    base: MatchModel,
    table: RecordTable | None = None,
    *,
    link_after: bool = False,
) -> tuple[MatchModel | None, tuple[tuple[Index, Index], BlockingReport], Vectors | None]:
    """A model trained on `records` (None when they hold too few candidate pairs to learn
    from: the first file of two duplicate-free sources has none), and the candidate pairs
    (which a run over the same records links with rather than blocking a second time); with
    `link_after`, also the comparison vectors of every candidate pair (training samples
    them, and linking scores them: the levels do not change with the weights)."""
    table = RecordTable(records) if table is None else table
    keys: dict[str, Any] = {}
    candidates, report = candidate_pairs(table, base.blocking_rules, base.max_block_size, keys)
    candidates = without_same_source_pairs(table, candidates, duplicate_free_sources(session))
    if len(candidates[0]) < _MIN_TRAINING_PAIRS:
        return None, (candidates, report), None
    vectors = None
    if link_after:
        vectors = comparison_vectors(base.comparisons, (table, table), candidates)
    model, _ = train(base, table, candidates, keys=keys, vectors=vectors)
    del keys
    save_model(session, model)
    return model, (candidates, report), vectors


def _train_on_stored(session: Session, new: list[PersonRecord], region: str) -> MatchModel | None:
    """The first model, once enough records exist: trained on up to the latest
    `_MAX_TRAINING_RECORDS` stored records plus this batch (once; `resolve --full` retrains)."""
    newest = session.scalar(select(func.max(models.SourceRecord.id))) or 0
    ids = list(
        session.scalars(
            select(models.SourceRecord.id)
            .where(models.SourceRecord.id > newest - _MAX_TRAINING_RECORDS)
            .order_by(models.SourceRecord.id)
        )
    )
    records = load_records(session, record_ids=ids, default_region=region, with_profile=False)
    return _train(session, records or new, default_model())[0]


def _positions(
    records: Sequence[PersonRecord], pairs: Sequence[tuple[int, int]]
) -> list[tuple[int, int]]:
    index = {r.record_id: pos for pos, r in enumerate(records)}
    return [(index[a], index[b]) for a, b in pairs if a in index and b in index]


def resolve(
    session: Session,
    *,
    full: bool = False,
    model: MatchModel | None = None,
    batch_size: int = 50_000,
    default_region: str = "US",
    progress: Progress | None = None,
    actor: str = "identity",
) -> ResolveSummary:
    """Resolve unresolved records in batches (or, with `full`, rebuild every profile while
    keeping ids); a model is trained from the data (no labels) when none is active. Holds
    the resolution lock (`identity.locking`) for the rest of the transaction."""
    hold_resolution(session)
    started = datetime.now(UTC)
    has_resolved = session.scalar(
        select(models.SourceRecord.id).where(models.SourceRecord.profile_id.is_not(None)).limit(1)
    )
    if full or has_resolved is None:
        with _cycle_collection_paused():
            return _resolve_full(session, model, default_region, progress, actor, started)
    model = model or current_model(session)
    ids = list(
        session.scalars(
            select(models.SourceRecord.id)
            .where(models.SourceRecord.resolved_at.is_(None))
            .order_by(models.SourceRecord.id)
        )
    )
    totals = _Totals()
    for part in chunks(ids, batch_size):
        result = resolve_records(
            session, part, model=model, default_region=default_region, actor=actor
        )
        totals.add(result)
        if progress:
            progress(min(totals.records, len(ids)), len(ids))
    return _summary(session, "incremental", totals, model, started)


@dataclass
class _Totals:
    records: int = 0
    created: int = 0
    merges: int = 0
    links: Counter[str] = field(default_factory=Counter)
    blocking: BlockingReport | None = None
    shared: tuple[SharedIdentifier, ...] = ()

    def add(self, result: IncrementalResult) -> None:
        self.records += result.records
        self.created += result.created
        self.merges += len(result.merges)
        self.links.update(result.links)


@contextmanager
def _cycle_collection_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a full run builds its millions of
    long-lived objects (records, pairs, links, rows): each automatic collection walked all of
    them again, for no garbage (they hold no reference cycles), and was a third of loading's
    CPU. Memory is still freed as it is let go (reference counting); only cycles wait."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _Stages:
    """Wall seconds and this process's CPU seconds per stage of a run, for the summary."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self._last = time.perf_counter()
        self._last_cpu = time.process_time()

    def done(self, name: str) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        self.seconds[name] = round(self.seconds.get(name, 0.0) + now - self._last, 3)
        self.cpu[name] = round(self.cpu.get(name, 0.0) + cpu - self._last_cpu, 3)
        self._last, self._last_cpu = now, cpu


def _resolve_full(
    session: Session,
    model: MatchModel | None,
    region: str,
    progress: Progress | None,
    actor: str,
    started: datetime,
) -> ResolveSummary:
    stages = _Stages()
    sr = models.SourceRecord
    previous: dict[int, str] = {
        record_id: profile_id
        for record_id, profile_id in session.execute(
            select(sr.id, sr.profile_id).where(sr.profile_id.is_not(None))
        )
        if profile_id is not None
    }
    records = list(iter_all_records(session, default_region=region, with_profile=False))
    stages.done("load")
    if progress:
        progress(0, len(records))
    candidates = None
    trained = None
    vectors = None
    table = RecordTable(records)
    if model is None:
        if len(records) >= _MIN_TRAINING_RECORDS:
            trained, candidates, vectors = _train(
                session, records, default_model(), table, link_after=True
            )
        model = trained or current_model(session, default_model(), stored=len(records))
    else:
        save_model(session, model)
    stages.done("train")
    clear_automatic(session)
    never, must = load_overrides(session)
    stages.done("clear")
    result = link_records(
        table,
        model,
        never=_positions(records, never),
        must=_positions(records, must),
        candidates=candidates,
        vectors=vectors if trained is not None else None,
        duplicate_free=duplicate_free_sources(session),
    )
    stages.done("link")
    blocking, shared = result.blocking, tuple(result.shared_identifiers)
    clusters, links = result.clusters, result.links
    # What linking needed and writing does not (pairs, scores) is let go before writing.
    del result, candidates, vectors
    # The summary reads every profile just written: still through the large cache.
    with large_page_cache(session):
        written = write_full(
            session, records, table, clusters, links, model, previous=previous, actor=actor
        )
        stages.done("write")
        if progress:
            progress(len(records), len(records))
        totals = _Totals(
            len(records), written.created, written.merged, written.links, blocking, shared
        )
        summary = _summary(session, "full", totals, model, started)
        stages.done("summary")
    summary.extra["stages"] = stages.seconds
    summary.extra["stages_cpu"] = stages.cpu
    return summary


def _summary(
    session: Session, mode: str, totals: _Totals, model: MatchModel, started: datetime
) -> ResolveSummary:
    profile = models.Profile
    sizes = dict(
        session.execute(
            select(profile.record_count, func.count())
            .where(profile.status == "active")
            .group_by(profile.record_count)
        ).all()
    )
    largest = tuple(
        session.execute(
            select(profile.id, profile.record_count)
            .where(profile.status == "active")
            .order_by(profile.record_count.desc(), profile.id)
            .limit(5)
        ).all()
    )
    blocking = totals.blocking
    return ResolveSummary(
        mode=mode,
        records=totals.records,
        profiles_created=totals.created,
        merges=totals.merges,
        active_profiles=sum(sizes.values()),
        links=dict(totals.links),
        candidate_pairs=dict(blocking.pairs) if blocking else {},
        skipped_blocks=dict(blocking.skipped_blocks) if blocking else {},
        shared_identifiers=totals.shared,
        cluster_sizes=dict(sorted(sizes.items())),
        largest_profiles=largest,
        model_version=model.version,
        seconds=(datetime.now(UTC) - started).total_seconds(),
    )


def resolve_records(
    session: Session,
    record_ids: Sequence[int],
    *,
    model: MatchModel | None = None,
    default_region: str = "US",
    actor: str = "identity",
) -> IncrementalResult:
    """Resolve these (newly ingested) records against stored profiles; a record that links two
    profiles merges them. A record that already has a profile but was re-ingested
    (`resolved_at` cleared) keeps its profile; its blocking keys and golden record are
    refreshed. Holds the resolution lock (`identity.locking`) for the rest of the
    transaction, taken before the records are read: one resolved meanwhile by another
    process is read with its profile."""
    hold_resolution(session)
    arrivals = load_arrivals(session, sorted(set(record_ids)), default_region=default_region)
    loaded, version = arrivals.records, arrivals.model_version
    new = [r for r in loaded if r.profile_id is None]
    revisited = [r for r in loaded if r.profile_id is not None]
    if revisited:
        _refresh_revisited(session, revisited, model or current_model(session))
    if not new:
        return IncrementalResult(0, {}, 0, (), {}, 0)
    if model is None:
        newest = max(r.record_id for r in new)
        stored_model = model_of_version(session, version) if version else None
        if stored_model is None and newest >= _MIN_TRAINING_RECORDS:
            stored_model = _train_on_stored(session, new, default_region)
        model = current_model(session, stored_model, stored=newest)
    candidates = candidate_records(session, new, model, default_region=default_region)
    stored = candidates.records
    records = new + stored
    never, must = _overrides_among(records, arrivals.overrides | candidates.overrides)
    result = link_records(
        RecordTable(records),
        model,
        never=never,
        must=must,
        extra_exclusive=_profile_exclusive(records, model),
        duplicate_free=duplicate_free_sources(session),
    )
    # Every record of every profile involved is in memory (candidates come as whole
    # profiles), so golden records are rebuilt without reading anything back.
    written = write_result(
        session,
        records,
        result,
        model,
        actor=actor,
        stored_profiles=candidates.profiles,
        refresh=True,
    )
    new_ids = {r.record_id for r in new}
    profiles = {rid: pid for rid, pid in written.assignment.items() if rid in new_ids}
    return IncrementalResult(
        len(new), profiles, written.created, tuple(written.merges), dict(written.links), len(stored)
    )


def _refresh_revisited(session: Session, records: list[PersonRecord], model: MatchModel) -> None:
    sr = models.SourceRecord
    ids = [r.record_id for r in records]
    pending = set(session.scalars(select(sr.id).where(sr.id.in_(ids), sr.resolved_at.is_(None))))
    todo = [r for r in records if r.record_id in pending]
    if not todo:
        return
    session.execute(delete(models.BlockKey).where(models.BlockKey.record_id.in_(pending)))
    session.execute(update(sr).where(sr.id.in_(pending)).values(resolved_at=datetime.now(UTC)))
    write_block_keys(session, todo, model)
    refresh_profiles(session, {r.profile_id for r in todo if r.profile_id}, model)


def _profile_exclusive(records: list[PersonRecord], model: MatchModel) -> dict[int, dict[str, str]]:
    """The one-per-person identifiers of each stored profile (all its records are here), on
    the profile's first position: the engine joins a profile's records without pooling them."""
    kinds = {rule.kind for rule in model.identifier_rules if rule.one_per_person}
    first: dict[str, int] = {}
    out: dict[int, dict[str, str]] = {}
    for pos, record in enumerate(records):
        if record.profile_id is None:
            continue
        anchor = first.setdefault(record.profile_id, pos)
        for kind, value in record.identifiers:
            if kind in kinds:
                out.setdefault(anchor, {}).setdefault(kind, value)
    return out


def _overrides_among(
    records: list[PersonRecord], overrides: set[Override]
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(never-link, must-link) pairs of positions: the overrides between two of `records`.
    The records come with the overrides whose left record they are, and candidates come as
    whole profiles, so an override between a record and any record of a candidate profile
    is among them; one that reaches no loaded record cannot affect this batch."""
    position = {r.record_id: pos for pos, r in enumerate(records)}
    never: list[tuple[int, int]] = []
    must: list[tuple[int, int]] = []
    for kind, left, right in sorted(overrides):
        a, b = position.get(left), position.get(right)
        if a is not None and b is not None and a != b:
            (never if kind == "never_link" else must).append((a, b))
    return never, must
