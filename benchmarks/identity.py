"""Identity resolution benchmark: accuracy, speed and memory on the synthetic world.

    python benchmarks/identity.py                                   # 10k and 100k records
    python benchmarks/identity.py --records 10000,100000,1000000    # add 1M (a few minutes)
    python benchmarks/identity.py --db-records 20000 --incremental 200
    python benchmarks/identity.py --febrl                           # Febrl3 and Febrl4
    python benchmarks/identity.py --crm 100000                      # independent CRM export

For each size it generates the seeded synthetic world (`cdp.synthetic`, default noise),
normalises identifiers as ingest does, and runs the matcher from scratch with no labels and no
per-size settings: blocking, EM training (u from random pairs, m by EM), scoring, constrained
clustering. The ground truth (`person_id`) is used only to score the result:

- pairwise precision / recall / F1 over record pairs, and B-cubed precision / recall / F1;
- the share of true pairs the blocking rules and identifiers can reach at all (the ceiling),
  and B-cubed references found with the truth: every reachable pair decided rightly, any
  shared exact value decided rightly, and, after the matcher's own identifier links, every
  candidate pair decided rightly and the best rule over the evidence the matcher sees
  (`labelled_references`: what better weights or a better threshold could still give);
- wall time per stage, records/s and peak RSS (each size runs in its own process);
- a baseline measured in the same run: exact-identifier linking (union of every shared
  identifier, no limits), and the ratio of our F1 and time to it.

`--db-records N` measures identity through the database (SQLite in a temporary file, or
PostgreSQL with `--db-url`, where the run makes its own databases next to the one named):

- it stores N synthetic records with normalised identifiers as ingest does (`--db-keep` keeps
  that state, and the resolved one, and reuses them in later runs: storing 1M records takes
  minutes; a kept state's name carries a hash of the generator, normalisation and schema
  code, so a state made by other code is never reused);
- `identity.resolve(full=True)` from scratch over a copy of the stored state, in a process
  that does nothing else: wall time, CPU of this process and of the PostgreSQL backend, peak
  RSS and time per stage, against the baseline of one plain read of the same rows;
- then `identity.resolve_records` for `--incremental` new records arriving one at a time
  against the N resolved ones: p50/p99 latency, CPU and SQL statements per record, against the
  baseline of one indexed identifier look-up in its own transaction. `--incremental-only`
  (with `--db-keep`) skips the full run and starts from the kept resolved state;
- with `--rerun`, `resolve(full=True)` again over the resolved records (what retraining and
  rebuilding costs): the same figures, and how many records kept their profile id.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cdp.normalize import normalize_identifier
from cdp.synthetic import SyntheticRecord, World
from identity.blocking import candidate_pairs
from identity.clustering import ConstrainedUnionFind
from identity.defaults import default_model
from identity.engine import LinkResult, link_records, one_per_person_values
from identity.records import PersonRecord, RecordTable, from_attributes
from identity.training import train

RECORDS_PER_PERSON = 11.5


def synthetic(records: int, seed: int = 7, extra: int = 0) -> list[SyntheticRecord]:
    """The first `records + extra` records of a world big enough to hold them."""
    people = math.ceil((records + extra) / RECORDS_PER_PERSON) + 10
    out: list[SyntheticRecord] = []
    for record in World(people=people, seed=seed).records():
        out.append(record)
        if len(out) == records + extra:
            break
    return out


def normalised_identifiers(record: SyntheticRecord) -> list[tuple[str, str]]:
    return [
        (kind, value)
        for kind, raw in record.identifiers
        if (value := normalize_identifier(kind, raw)) is not None
    ]


def to_person_records(records: list[SyntheticRecord]) -> list[PersonRecord]:
    return [
        from_attributes(
            i,
            f"{r.adapter}:{r.external_id}",
            r.attributes,
            normalised_identifiers(r),
            source=r.adapter,
            occurred_at=r.occurred_at,
            channel=r.adapter.split(".")[0],
        )
        for i, r in enumerate(records)
    ]


def scores(labels: npt.NDArray[np.int64], truth: npt.NDArray[np.int64]) -> dict[str, float]:
    """Pairwise and B-cubed precision, recall and F1 from the contingency table."""
    _, cl = np.unique(labels, return_inverse=True)
    _, tr = np.unique(truth, return_inverse=True)
    width = int(tr.max()) + 1
    cells, counts = np.unique(cl.astype(np.int64) * width + tr, return_counts=True)
    cluster_size, person_size = np.bincount(cl), np.bincount(tr)

    def pairs(x: npt.NDArray[np.int64]) -> float:
        return float((x * (x - 1) // 2).sum())

    tp, predicted, actual = pairs(counts), pairs(cluster_size), pairs(person_size)
    p = tp / predicted if predicted else 1.0
    r = tp / actual if actual else 1.0
    n = len(labels)
    bp = float((counts * counts / cluster_size[cells // width]).sum() / n)
    br = float((counts * counts / person_size[cells % width]).sum() / n)
    return {
        "pair_p": p,
        "pair_r": r,
        "pair_f1": 2 * p * r / (p + r) if p + r else 0.0,
        "b3_p": bp,
        "b3_r": br,
        "b3_f1": 2 * bp * br / (bp + br) if bp + br else 0.0,
    }


def labels_of(clusters: list[list[int]], n: int) -> npt.NDArray[np.int64]:
    labels = np.empty(n, dtype=np.int64)
    for k, cluster in enumerate(clusters):
        labels[cluster] = k
    return labels


def exact_identifier_baseline(records: list[PersonRecord]) -> list[list[int]]:
    """The naive reference: any shared identifier links two records (no limits, no names)."""
    uf = ConstrainedUnionFind(len(records))
    first: dict[tuple[str, str], int] = {}
    for pos, record in enumerate(records):
        for identifier in record.identifiers:
            anchor = first.setdefault(identifier, pos)
            if anchor != pos:
                uf.union(anchor, pos)
    return uf.clusters()


SHARED_VALUE_FEATURES = ("given_name", "family_name", "birth_date", "email", "phone", "address")


def shared_value_components(
    records: list[PersonRecord], truth: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Component labels of the records of each person joined by *any* exact value they share
    (an identifier, or one name, a birth date, an email, a phone, a street): what a matcher
    could reach if it compared every pair that shares anything and decided each rightly. A
    record sharing nothing with the rest of its person is beyond any matcher; this bounds
    recall for every system, whatever its blocking."""
    uf = ConstrainedUnionFind(len(records))
    first: dict[tuple[Any, ...], int] = {}
    for pos, record in enumerate(records):
        keys: list[tuple[Any, ...]] = [("id", *identifier) for identifier in record.identifiers]
        keys += [(f, v) for f in SHARED_VALUE_FEATURES if (v := record.feature(f))]
        for key in keys:
            anchor = first.setdefault((int(truth[pos]), *key), pos)
            if anchor != pos:
                uf.union(anchor, pos)
    return np.array(uf.labels())


def reachable_components(
    records: list[PersonRecord], truth: npt.NDArray[np.int64], cand: tuple[Any, Any]
) -> npt.NDArray[np.int64]:
    """Component labels of the records joined only by true shared identifiers and true
    candidate pairs: the best clustering the blocking rules allow."""
    uf = ConstrainedUnionFind(len(records))
    first: dict[tuple[str, str], int] = {}
    for pos, record in enumerate(records):
        for identifier in record.identifiers:
            anchor = first.setdefault(identifier, pos)
            if anchor != pos and truth[anchor] == truth[pos]:
                uf.union(anchor, pos)
    left, right = cand
    same = truth[left] == truth[right]
    for a, b in zip(left[same].tolist(), right[same].tolist(), strict=True):
        uf.union(a, b)
    return np.array(uf.labels())


LABELLED_SHARES = (0.5, 0.7, 0.9)
"""The true-pair shares above which the labelled reference links a group of pairs (it
reports the best)."""
LABELLED_WEIGHT_STEP = 0.25
"""The labelled reference tells total weights apart to this many bits."""


def _cluster_after_identifiers(
    table: RecordTable,
    exclusive: dict[int, dict[str, str]],
    identified: list[tuple[int, int]],
    pairs: Iterator[tuple[int, int]],
) -> npt.NDArray[np.int64]:
    """Cluster labels after the engine's accepted identifier links (`identified`) and then
    `pairs` (in order), under the engine's one-per-person constraints (`exclusive`)."""
    uf = ConstrainedUnionFind(len(table), exclusive, table.record_ids.tolist())
    for a, b in identified:
        uf.union(a, b, strict=False)
    for a, b in pairs:
        uf.union(a, b, strict=True)
    return np.array(uf.labels())


def labelled_references(
    table: RecordTable, model: Any, result: LinkResult, truth: npt.NDArray[np.int64]
) -> dict[str, dict[str, float]]:
    """What better fuzzy decisions could add to the engine's identifier links, found with the
    truth (never used by the matcher):

    - `evidence`: candidate pairs grouped by the evidence the engine sees (each comparison's
      level, the total weight to `LABELLED_WEIGHT_STEP` bits, the veto), and every group
      linked whose share of true pairs is above a threshold (the best of `LABELLED_SHARES`):
      the best any decision rule over this evidence could do, weights and threshold included;
    - `perfect`: every true candidate pair linked, and no other.
    """
    s = result.scored
    same = truth[s.left] == truth[s.right]
    keys = np.column_stack(
        [
            s.gamma.astype(np.int64),
            np.round(s.total / LABELLED_WEIGHT_STEP).astype(np.int64),
            s.vetoed.astype(np.int64),
        ]
    )
    exclusive = one_per_person_values(table, model)
    identified = [
        (link.left, link.right)
        for link in result.links
        if link.method == "identifier" and link.decision == "accepted"
    ]
    _, group = np.unique(keys, axis=0, return_inverse=True)
    group = group.ravel()
    share = (np.bincount(group, weights=same) / np.bincount(group))[group]
    best: dict[str, float] = {}
    for threshold in LABELLED_SHARES:
        chosen = np.flatnonzero(share > threshold)
        chosen = chosen[np.argsort(-share[chosen], kind="stable")]
        pairs = zip(s.left[chosen].tolist(), s.right[chosen].tolist(), strict=True)
        got = scores(_cluster_after_identifiers(table, exclusive, identified, pairs), truth)
        if not best or got["b3_f1"] > best["b3_f1"]:
            best = {**got, "share": threshold}
    pairs = zip(s.left[same].tolist(), s.right[same].tolist(), strict=True)
    perfect = scores(_cluster_after_identifiers(table, exclusive, identified, pairs), truth)
    return {"evidence": best, "perfect": perfect}


ORDERS = ("generator", "time", "random")
"""The orders the engine can be handed the records in: the generator's (household by
household), by time (as sources deliver them), or shuffled (seeded)."""


def chinese_people(records: int, seed: int = 7) -> set[int]:
    """The ids of the Chinese-locale people of the world `synthetic(records, seed)` draws."""
    people = math.ceil(records / RECORDS_PER_PERSON) + 10
    world = World(people=people, seed=seed)
    return {int(p.person_id.lstrip("P")) for p in world.people() if p.latin_family is not None}


def in_order(records: list[SyntheticRecord], order: str, seed: int) -> list[SyntheticRecord]:
    """`records` in `order` (one of `ORDERS`): the matcher must not depend on it."""
    if order == "time":
        return sorted(records, key=lambda r: r.occurred_at)
    if order == "random":
        shuffled = list(records)
        random.Random(seed).shuffle(shuffled)
        return shuffled
    return records


def engine_run(size: int, seed: int, order: str = "generator") -> dict[str, Any]:
    started = time.perf_counter()
    syn = in_order(synthetic(size, seed), order, seed)
    truth = np.array([int(r.person_id.lstrip("P")) for r in syn], dtype=np.int64)
    generated = time.perf_counter()
    records = to_person_records(syn)
    del syn
    t0, cpu0 = time.perf_counter(), time.process_time()
    table = RecordTable(records)
    base = default_model()
    keys: dict[str, Any] = {}
    cand, report = candidate_pairs(table, base.blocking_rules, base.max_block_size, keys)
    t1 = time.perf_counter()
    model, training = train(base, table, cand, keys=keys)
    del keys
    t2 = time.perf_counter()
    result = link_records(table, model, candidates=(cand, report), with_evidence=False)
    t3, cpu3 = time.perf_counter(), time.process_time()
    labels = labels_of(result.clusters, len(records))
    ours = scores(labels, truth)
    # Chinese-locale people (names in characters and in pinyin, `cdp/synthetic/_china.py`).
    chinese = np.isin(truth, sorted(chinese_people(size, seed)))
    by_locale = {"records": int(chinese.sum()), **scores(labels[chinese], truth[chinese])}
    b0 = time.perf_counter()
    baseline = scores(labels_of(exact_identifier_baseline(records), len(records)), truth)
    b1 = time.perf_counter()
    # The best clusterings the blocking rules, and any shared value at all, allow.
    reach = scores(reachable_components(records, truth, cand), truth)
    shared = scores(shared_value_components(records, truth), truth)
    # The peak before the labelled references, which hold the evidence of every pair.
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    references = labelled_references(table, model, result, truth)
    return {
        "records": len(records),
        "order": order,
        "people": len(np.unique(truth)),
        "generate_s": generated - started,
        "normalise_s": t0 - generated,
        "blocking_s": t1 - t0,
        "training_s": t2 - t1,
        "linking_s": t3 - t2,
        "resolve_s": t3 - t0,
        "resolve_cpu_s": cpu3 - cpu0,
        "load_average": os.getloadavg()[0],
        "chinese": by_locale,
        "records_per_s": len(records) / (t3 - t0),
        "candidate_pairs": report.pairs,
        "new_pairs": report.new_pairs,
        "total_pairs": report.total_pairs,
        "skipped_blocks": report.skipped_blocks,
        "reachable": reach["pair_r"],
        "ceilings": {
            "blocking": reach,
            "shared_value": shared,
            **references,
        },
        "em_match_share": training.candidate_match_share,
        "prior": model.prior,
        "decisions": _count(link.decision for link in result.links),
        "shared_identifiers": len(result.shared_identifiers),
        "profiles": len(result.clusters),
        "ours": ours,
        "baseline": baseline,
        "baseline_s": b1 - b0,
        "peak_rss_mb": peak_rss_mb,
    }


def _count(items: Iterator[str] | Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        out[item] = out.get(item, 0) + 1
    return out


ROOT = Path(__file__).resolve().parent.parent
STATE_SOURCES = ("cdp/synthetic", "cdp/normalize.py", "cdp/models.py", "migrations/versions")


def _state_tag() -> str:
    """A hash of the code that shapes a stored state (the world, its normalisation, the
    schema), in the kept states' names: a kept state made by other code is not reused."""
    digest = hashlib.sha256()
    for source in STATE_SOURCES:
        path = ROOT / source
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        for file in files:
            if file.is_file() and "__pycache__" not in file.parts:
                digest.update(str(file.relative_to(ROOT)).encode())
                digest.update(file.read_bytes())
    return digest.hexdigest()[:6]


def _db_names(size: int, seed: int, url: str | None, cache: Path) -> dict[str, str]:
    """URLs of the kept stored and resolved states and of this run's working copy."""
    stem = f"cdp_bench_identity_{size}_s{seed}_{_state_tag()}"
    if url is None:
        return {
            state: f"sqlite:///{cache / f'{stem}_{state}.db'}"
            for state in ("stored", "resolved", "work")
        }
    from sqlalchemy import make_url

    base = make_url(url)
    # Named after the database of the URL (`pgswap_bench` gives `pgswap_bench_identity_...`),
    # so that runs against one server keep their states apart; `postgres`, the maintenance
    # database, gives the `cdp_bench_identity_...` names.
    if base.database and base.database != "postgres":
        stem = f"{base.database}_identity_{size}_s{seed}_{_state_tag()}"
    return {
        state: base.set(database=f"{stem}_{state}").render_as_string(hide_password=False)
        for state in ("stored", "resolved", "work")
    }


def _admin(url: str) -> Any:
    from sqlalchemy import create_engine, make_url

    return create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")


def _exists(url: str) -> bool:
    from sqlalchemy import make_url, text

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return Path(parsed.database or "").exists()
    engine = _admin(url)
    with engine.connect() as connection:
        found = connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}
        )
    engine.dispose()
    return bool(found)


def _admin_execute(url: str, statement: str) -> None:
    """Run `statement` on the PostgreSQL server of `url`, outside any transaction."""
    from sqlalchemy import text

    engine = _admin(url)
    with engine.connect() as connection:
        connection.execute(text(statement))
    engine.dispose()


def _drop(url: str) -> None:
    from sqlalchemy import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        Path(parsed.database or "").unlink(missing_ok=True)
        return
    _admin_execute(url, f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')


def _copy(source: str, target: str) -> None:
    """A copy of a kept database state (a file copy, or CREATE DATABASE ... TEMPLATE)."""
    from sqlalchemy import make_url

    _drop(target)
    src, dst = make_url(source), make_url(target)
    if src.get_backend_name() == "sqlite":
        shutil.copyfile(src.database or "", dst.database or "")
        return
    _admin_execute(source, f'CREATE DATABASE "{dst.database}" TEMPLATE "{src.database}"')
    # The copy went through the WAL: write it out now, so that the checkpoint it would
    # otherwise force falls in the measured run (reads and writes waiting on its I/O).
    try:
        _admin_execute(source, "CHECKPOINT")
    except Exception as error:  # noqa: BLE001 (a role that may not checkpoint: measure anyway)
        print(f"  (no CHECKPOINT after copying the database: {error})", file=sys.stderr)


def _create_empty(url: str) -> None:
    from sqlalchemy import make_url

    _drop(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return
    _admin_execute(url, f'CREATE DATABASE "{parsed.database}"')


def _pg_backend_cpu(session: Any) -> float:
    """CPU seconds the PostgreSQL backend serving this session has used (0 on SQLite)."""
    from sqlalchemy import text

    if session.get_bind().dialect.name != "postgresql":
        return 0.0
    pid = session.scalar(text("SELECT pg_backend_pid()"))
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")  # the server runs elsewhere
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _open(url: str) -> tuple[Any, Any]:
    from cdp.config import Settings
    from cdp.db import create_db_engine, make_sessionmaker

    engine = create_db_engine(Settings(database_url=url))
    return engine, make_sessionmaker(engine)


def db_store(size: int, incremental: int, seed: int, url: str) -> dict[str, Any]:
    """Store `size` synthetic records (sources, records, normalised identifiers) as ingest does."""
    from sqlalchemy import insert

    from cdp import migrate, models
    from cdp.db import unit_of_work

    _create_empty(url)
    engine, factory = _open(url)
    migrate.upgrade(engine)
    syn = synthetic(size, seed, extra=incremental)
    started = time.perf_counter()
    with unit_of_work(factory) as session:
        sources = _sources(session, syn, models)
        _store(session, syn[:size], sources, insert, models)
    elapsed = time.perf_counter() - started
    engine.dispose()
    return {"store_s": elapsed}


def _sources(session: Any, syn: list[SyntheticRecord], models: Any) -> dict[str, int]:
    from sqlalchemy import select

    sources: dict[str, int] = dict(
        session.execute(select(models.Source.name, models.Source.id)).tuples().all()
    )
    for adapter in sorted({r.adapter for r in syn} - set(sources)):
        source = models.Source(name=adapter, channel=adapter.split(".")[0], adapter=adapter)
        session.add(source)
        session.flush()
        sources[adapter] = source.id
    return sources


def _snapshot_profiles(factory: Any) -> None:
    """Keep every record's profile id in a table of its own (not in this process's memory,
    whose peak the run reports)."""
    from sqlalchemy import text

    from cdp.db import unit_of_work

    with unit_of_work(factory) as session:
        session.execute(text("DROP TABLE IF EXISTS bench_profile_before"))
        session.execute(
            text("CREATE TABLE bench_profile_before AS SELECT id, profile_id FROM source_records")
        )


def _kept_profiles(factory: Any) -> int:
    """Records whose profile id is the one `_snapshot_profiles` kept (the table is dropped)."""
    from sqlalchemy import text

    from cdp.db import unit_of_work

    with unit_of_work(factory) as session:
        kept = session.scalar(
            text(
                "SELECT count(*) FROM source_records AS s JOIN bench_profile_before AS b "
                "ON b.id = s.id AND b.profile_id = s.profile_id"
            )
        )
        session.execute(text("DROP TABLE bench_profile_before"))
    return int(kept or 0)


def db_full(url: str, *, rerun: bool = False) -> dict[str, Any]:
    """`identity.resolve(full=True)` over the stored records: wall, CPU (this process and the
    PostgreSQL backend), peak RSS of this process (which does nothing else) and stage times.
    With `rerun` the records are already resolved: it also counts the records whose profile
    id the run kept (compared in the database, outside the measured time)."""
    from sqlalchemy import func, select, text

    import identity
    from cdp import migrate, models
    from cdp.db import unit_of_work

    engine, factory = _open(url)
    migrate.upgrade(engine)
    # The floor, measured in the same run: one plain read of the rows resolution reads.
    with unit_of_work(factory) as session:
        started = time.perf_counter()
        session.execute(
            text("SELECT count(*), sum(length(CAST(attributes AS TEXT))) FROM source_records")
        ).one()
        session.execute(text("SELECT count(*), sum(length(value)) FROM identifiers")).one()
        scan_s = time.perf_counter() - started
    if rerun:
        _snapshot_profiles(factory)
    with unit_of_work(factory) as session:
        cpu0, backend0 = time.process_time(), _pg_backend_cpu(session)
        started = time.perf_counter()
        summary = identity.resolve(session, full=True)
        backend1 = _pg_backend_cpu(session)
        commit_started = time.perf_counter()
    ended = time.perf_counter()
    cpu1 = time.process_time()
    with unit_of_work(factory) as session:
        records = session.scalar(select(func.count()).select_from(models.SourceRecord))
    kept = _kept_profiles(factory) if rerun else None
    engine.dispose()
    return {
        "records": records,
        "kept_profile_ids": kept,
        "resolve_s": ended - started,
        "commit_s": ended - commit_started,
        "cpu_s": cpu1 - cpu0,
        "backend_cpu_s": backend1 - backend0,
        "scan_s": scan_s,
        "stages": summary.extra.get("stages", {}),
        "stages_cpu": summary.extra.get("stages_cpu", {}),
        "profiles": summary.active_profiles,
        "links": summary.links,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def db_incremental(size: int, incremental: int, seed: int, url: str) -> dict[str, Any]:
    """Store the `incremental` records that follow the first `size` and resolve each with
    `identity.resolve_records` in its own transaction, timing each call."""
    from sqlalchemy import event, insert, select

    import identity
    from cdp import migrate, models
    from cdp.db import unit_of_work

    engine, factory = _open(url)
    migrate.upgrade(engine)
    syn = synthetic(size, seed, extra=incremental)
    arriving = syn[size:]
    with unit_of_work(factory) as session:
        sources = _sources(session, syn, models)
        stored = session.scalar(
            select(models.SourceRecord.id).order_by(models.SourceRecord.id.desc()).limit(1)
        )
    del syn
    latencies: list[float] = []
    statements: list[int] = []
    cpu: list[float] = []
    backend: list[float] = []
    counted: list[str] = []

    def count(*args: Any) -> None:
        counted.append(args[2])

    for record in arriving:
        with unit_of_work(factory) as session:
            (record_id,) = _store(session, [record], sources, insert, models)
        counted.clear()
        with unit_of_work(factory) as session:
            b0 = _pg_backend_cpu(session)
        event.listen(engine, "before_cursor_execute", count)
        c0 = time.process_time()
        start = time.perf_counter()
        with unit_of_work(factory) as session:
            identity.resolve_records(session, [record_id])
        latencies.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        event.remove(engine, "before_cursor_execute", count)
        # COMMIT is no cursor statement but is a round trip: counted too.
        statements.append(len(counted) + 1)
        with unit_of_work(factory) as session:
            backend.append((_pg_backend_cpu(session) - b0) * 1000)
    # The baseline, in the same run: one indexed identifier look-up in its own transaction.
    probe = []
    with unit_of_work(factory) as session:
        value = session.scalar(select(models.Identifier.value).limit(1))
    for _ in range(50):
        start = time.perf_counter()
        with unit_of_work(factory) as session:
            session.execute(
                select(models.Identifier.record_id).where(
                    models.Identifier.kind == "email", models.Identifier.value == value
                )
            ).all()
        probe.append((time.perf_counter() - start) * 1000)
    engine.dispose()
    # The first call of a process parses the stored model (a long-running ingest process does
    # that once); it is reported apart from the warm calls.
    first = latencies[0] if latencies else 0.0
    lat = np.array(latencies[1:]) if len(latencies) > 1 else np.array([first])
    return {
        "stored": stored,
        "incremental": len(latencies),
        "p50_ms": float(np.percentile(lat, 50)),
        "p99_ms": float(np.percentile(lat, 99)),
        "max_ms": float(lat.max()),
        "cpu_p50_ms": float(np.percentile(cpu[1:] or cpu, 50)),
        "backend_cpu_mean_ms": float(np.mean(backend[1:] or backend or [0])),
        "statements_mean": float(np.mean(statements[1:] or statements or [0])),
        "statements_max": max(statements or [0]),
        "first_ms": first,
        "slowest_ms": sorted(latencies, reverse=True)[:5],
        "lookup_p50_ms": float(np.percentile(probe, 50)),
    }


def _store(
    session: Any, records: list[SyntheticRecord], sources: dict[str, int], insert: Any, models: Any
) -> list[int]:
    """Write records and identifiers as ingest does (bulk), returning the new record ids."""
    ids: list[int] = []
    for start in range(0, len(records), 5000):
        part = records[start : start + 5000]
        rows = [
            {
                "source_id": sources[r.adapter],
                "external_id": r.external_id,
                "kind": r.kind,
                "occurred_at": r.occurred_at,
                "received_at": datetime.now(UTC),
                "payload": {"attributes": dict(r.attributes)},
                "attributes": dict(r.attributes),
                "content_hash": f"{hash((r.adapter, r.external_id)) & (2**63 - 1):064x}",
            }
            for r in part
        ]
        new_ids = list(
            session.scalars(insert(models.SourceRecord).returning(models.SourceRecord.id), rows)
        )
        ident_rows = [
            {
                "record_id": rid,
                "kind": kind,
                "value": value,
                "raw_value": value,
                "seen_at": r.occurred_at,
            }
            for rid, r in zip(new_ids, part, strict=True)
            for kind, value in dict.fromkeys(normalised_identifiers(r))
        ]
        if ident_rows:
            session.execute(insert(models.Identifier), ident_rows)
        ids.extend(new_ids)
    return ids


SPLINK_ID_KINDS = ("customer_id", "loyalty_id", "user_id", "anonymous_id", "social_handle")


def splink_run(size: int, seed: int) -> dict[str, Any]:
    """Splink (DuckDB) on the same records, with its documented standard approach: out-of-the-
    box comparisons (names with TF, date of birth, email, exact phone/postcode, street, and
    exact matches on the identifiers), u by random sampling, the prior from deterministic
    rules, m by EM on three blocking rules, predict and connected-components clustering at
    the same 0.9 threshold as ours. Features are the same normalised values ours sees."""
    import csv

    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    syn = synthetic(size, seed)
    truth = np.array([int(r.person_id.lstrip("P")) for r in syn], dtype=np.int64)
    records = to_person_records(syn)
    del syn
    path = Path(tempfile.mkdtemp(prefix="cdp-splink-")) / "records.csv"
    columns = ["first_name", "surname", "dob", "email", "phone", "postcode", "address"]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["unique_id", *columns, *SPLINK_ID_KINDS])
        for r in records:
            ids = dict(reversed(r.identifiers))
            values = [
                r.given_name,
                r.family_name,
                r.birth_date,
                r.email,
                r.phone,
                r.postcode,
                r.address,
            ]
            writer.writerow(
                [
                    r.record_id,
                    *(v or "" for v in values),
                    *(ids.get(k, "") for k in SPLINK_ID_KINDS),
                ]
            )
    started = time.perf_counter()
    db = DuckDBAPI()
    raw = db._load_from_csv(str(path))
    cleaned = ", ".join(
        f"NULLIF(CAST({c} AS VARCHAR), '') AS {c}" for c in (*columns, *SPLINK_ID_KINDS)
    )
    db._con.execute(f"CREATE TABLE records AS SELECT unique_id, {cleaned} FROM {raw}")
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.EmailComparison("email"),
            cl.ExactMatch("phone").configure(term_frequency_adjustments=True),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
            cl.JaroWinklerAtThresholds("address", [0.9]),
            *[cl.ExactMatch(kind) for kind in SPLINK_ID_KINDS],
        ],
        blocking_rules_to_generate_predictions=[
            block_on("email"),
            block_on("phone"),
            block_on("surname", "postcode"),
            block_on("substr(first_name, 1, 1)", "surname"),
            block_on("dob", "postcode"),
            *[block_on(kind) for kind in SPLINK_ID_KINDS],
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    linker = Linker(db.register("records"), settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("email", "first_name"), block_on("customer_id"), block_on("user_id")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    for rule in (block_on("surname", "postcode"), block_on("dob"), block_on("email")):
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, 0.9)
    rows = db._con.execute(f"SELECT unique_id, cluster_id FROM {clusters.physical_name}").fetchall()
    elapsed = time.perf_counter() - started
    labels = np.empty(len(records), dtype=object)
    for uid, cid in rows:
        labels[int(uid)] = str(cid)
    _, codes = np.unique(labels.astype(str), return_inverse=True)
    shutil.rmtree(path.parent, ignore_errors=True)
    return {
        "records": len(records),
        "seconds": elapsed,
        "scores": scores(codes, truth),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _in_subprocess(args: list[str]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise SystemExit(f"benchmark worker failed ({' '.join(args)}):\n{out.stderr}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _print_engine(r: dict[str, Any]) -> None:
    o, b = r["ours"], r["baseline"]
    print(f"\n== {r['records']:,} records ({r['people']:,} people), in {r['order']} order ==")
    print(
        f"  pairwise   P {o['pair_p']:.4f}  R {o['pair_r']:.4f}  F1 {o['pair_f1']:.4f}"
        f"   | baseline F1 {b['pair_f1']:.4f} (P {b['pair_p']:.4f}, R {b['pair_r']:.4f})"
    )
    print(
        f"  B-cubed    P {o['b3_p']:.4f}  R {o['b3_r']:.4f}  F1 {o['b3_f1']:.4f}"
        f"   | baseline F1 {b['b3_f1']:.4f}"
    )
    c = r.get("chinese")
    if c and c["records"]:
        print(
            f"  Chinese-locale people ({c['records']:,} records; names in characters and "
            f"pinyin): pairwise P {c['pair_p']:.4f} R {c['pair_r']:.4f} F1 {c['pair_f1']:.4f}  "
            f"B-cubed P {c['b3_p']:.4f} R {c['b3_r']:.4f} F1 {c['b3_f1']:.4f}"
        )
    print(
        f"  reachable by blocking + identifiers: {r['reachable']:.4f} of true pairs "
        "(recall ceiling)"
    )
    reach, shared = r["ceilings"]["blocking"], r["ceilings"]["shared_value"]
    print(
        f"  ceilings (every reachable pair decided rightly): blocking + identifiers B-cubed"
        f" R {reach['b3_r']:.4f} F1 {reach['b3_f1']:.4f}; any shared exact value (name,"
        f" email, phone, street, birth date, identifier) B-cubed R {shared['b3_r']:.4f}"
        f" F1 {shared['b3_f1']:.4f}"
    )
    evidence, perfect = r["ceilings"]["evidence"], r["ceilings"]["perfect"]
    print(
        f"  with labels, after our identifier links: deciding each evidence pattern (levels,"
        f" weight to {LABELLED_WEIGHT_STEP} bit) by its true share (> {evidence['share']})"
        f" B-cubed P {evidence['b3_p']:.4f} R {evidence['b3_r']:.4f} F1"
        f" {evidence['b3_f1']:.4f}; every candidate pair decided rightly B-cubed P"
        f" {perfect['b3_p']:.4f} R {perfect['b3_r']:.4f} F1 {perfect['b3_f1']:.4f}"
    )
    print(
        f"  time: resolve {r['resolve_s']:.1f}s (blocking {r['blocking_s']:.1f}, training "
        f"{r['training_s']:.1f}, linking {r['linking_s']:.1f}), CPU {r['resolve_cpu_s']:.1f}s "
        f"= {r['records_per_s']:,.0f} records/s (load average {r['load_average']:.1f});"
        f" normalising {r['normalise_s']:.1f}s, generating {r['generate_s']:.1f}s"
    )
    print(
        f"  baseline time {r['baseline_s']:.2f}s; ours/baseline: "
        f"F1 x{o['pair_f1'] / max(b['pair_f1'], 1e-9):.2f},"
        f" time x{r['resolve_s'] / max(r['baseline_s'], 1e-9):.1f}"
    )
    print(
        f"  peak RSS {r['peak_rss_mb']:,.0f} MB (whole process incl. generation, before the"
        " labelled references)"
    )
    print(
        f"  candidate pairs {r['total_pairs']:,}: "
        + ", ".join(
            f"{k} {v:,} (+{r['new_pairs'][k]:,} new)" for k, v in r["candidate_pairs"].items()
        )
    )
    print(
        f"  EM: match share among candidates {r['em_match_share']:.3f}, prior {r['prior']:.2e};"
        f" decisions {r['decisions']}; identifiers not used as keys {r['shared_identifiers']}"
    )


def _print_splink(ours: dict[str, Any], args: list[str]) -> None:
    try:
        import splink  # noqa: F401
    except ImportError:
        print("  splink: not installed (pip install splink) - skipped")
        return
    r = _in_subprocess(args)
    s, o = r["scores"], ours["ours"]
    print(
        f"  side by side      ours: pair F1 {o['pair_f1']:.4f}  B3 F1 {o['b3_f1']:.4f}  "
        f"{ours['resolve_s']:.1f}s  {ours['peak_rss_mb']:,.0f} MB"
    )
    print(
        f"                  splink: pair F1 {s['pair_f1']:.4f}  B3 F1 {s['b3_f1']:.4f}  "
        f"{r['seconds']:.1f}s  {r['peak_rss_mb']:,.0f} MB  "
        f"(P {s['pair_p']:.4f}, R {s['pair_r']:.4f})"
    )


def _db_benchmark(args: argparse.Namespace) -> None:
    size, seed = args.db_records, args.seed
    cache = Path(args.db_cache if args.db_keep else tempfile.mkdtemp(prefix="cdp-bench-"))
    cache.mkdir(parents=True, exist_ok=True)
    urls = _db_names(size, seed, args.db_url, cache)
    common = ["--size", str(size), "--seed", str(seed), "--incremental", str(args.incremental)]
    try:
        store_s = None
        if not (args.db_keep and _exists(urls["stored"])):
            store_s = _in_subprocess(["--worker", "db-store", *common, "--url", urls["stored"]])[
                "store_s"
            ]
        backend = "sqlite" if args.db_url is None else "postgresql"
        print(f"\n== end to end on {backend}: {size:,} stored records ==")
        stored = f"stored in {store_s:.1f}s" if store_s is not None else "reused the kept state"
        print(f"  records {stored}   (load average {_load()})")
        if args.incremental_only and args.db_keep and _exists(urls["resolved"]):
            _copy(urls["resolved"], urls["work"])
        else:
            _copy(urls["stored"], urls["work"])
            full = _in_subprocess(["--worker", "db-full", "--url", urls["work"]])
            _print_full(full, "from scratch")
            if args.db_keep:
                _copy(urls["work"], urls["resolved"])
        if args.rerun:
            again = _in_subprocess(["--worker", "db-rerun", "--url", urls["work"]])
            _print_full(again, "again over the resolved records")
            print(
                f"    profile ids kept: {again['kept_profile_ids']:,} of {again['records']:,}"
                " records"
            )
        if args.incremental:
            r = _in_subprocess(["--worker", "db-incremental", *common, "--url", urls["work"]])
            _print_incremental(r)
    finally:
        _drop(urls["work"])
        if not args.db_keep:
            _drop(urls["stored"])
            shutil.rmtree(cache, ignore_errors=True)


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _print_full(r: dict[str, Any], what: str) -> None:
    stages = ", ".join(f"{k} {v:.1f}" for k, v in r["stages"].items())
    print(
        f"  resolve --full {what}: {r['resolve_s']:.1f}s wall "
        f"(incl. commit {r['commit_s']:.1f}s) = {r['records'] / r['resolve_s']:,.0f} records/s;"
        f" CPU {r['cpu_s']:.1f}s here + {r['backend_cpu_s']:.1f}s database server;"
        f" peak RSS {r['peak_rss_mb']:,.0f} MB   (load average {_load()})"
    )
    print(f"    stages (s): {stages}")
    stages_cpu = ", ".join(f"{k} {v:.1f}" for k, v in r.get("stages_cpu", {}).items())
    print(f"    stages, CPU of this process (s): {stages_cpu}")
    print(
        f"    baseline: one plain read of the same rows {r['scan_s']:.1f}s; "
        f"resolve/read x{r['resolve_s'] / max(r['scan_s'], 1e-9):.1f};"
        f" {r['profiles']:,} profiles, links {r['links']}"
    )


def _print_incremental(r: dict[str, Any]) -> None:
    print(
        f"  incremental resolve_records against {r['stored']:,} stored, {r['incremental']} "
        f"records one at a time: first (parses the model) {r['first_ms']:.0f} ms; then "
        f"p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, max {r['max_ms']:.1f} ms "
        f"  (load average {_load()})"
    )
    print(
        f"    CPU per record p50 {r['cpu_p50_ms']:.1f} ms here + mean "
        f"{r['backend_cpu_mean_ms']:.1f} ms database server; SQL statements per record "
        f"(incl. COMMIT) mean {r['statements_mean']:.1f}, max {r['statements_max']}; slowest "
        + ", ".join(f"{x:.0f}" for x in r["slowest_ms"])
    )
    print(
        f"    baseline: one indexed identifier look-up in its own transaction p50 "
        f"{r['lookup_p50_ms']:.2f} ms; p99/look-up "
        f"x{r['p99_ms'] / max(r['lookup_p50_ms'], 1e-9):.0f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", default="10000,100000", help="comma-separated sizes")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--order",
        choices=ORDERS,
        default="generator",
        help="the order the engine gets the records in (not --db-records): the generator's "
        "(household by household), by time, or shuffled with --seed (default: %(default)s)",
    )
    parser.add_argument(
        "--db-records",
        type=int,
        default=0,
        help="also run end to end on a database with this many records",
    )
    parser.add_argument(
        "--db-url",
        default=None,
        help="database URL for --db-records (default: a temporary SQLite file)",
    )
    parser.add_argument(
        "--incremental",
        type=int,
        default=200,
        help="records resolved one at a time after --db-records",
    )
    parser.add_argument(
        "--splink",
        action="store_true",
        help="also run Splink (DuckDB) on the same records (pip install splink==5.0.0)",
    )
    parser.add_argument(
        "--db-keep",
        action="store_true",
        help="keep the stored and the resolved database states (SQLite files under "
        "--db-cache, PostgreSQL databases NAME_identity_N_sSEED_TAG_* named after --db-url's "
        "database, cdp_bench_identity_N_sSEED_TAG_* for postgres; TAG: a hash of the code "
        "that shapes the stored state) and reuse them when "
        "present, so storing 1M records is paid once",
    )
    parser.add_argument(
        "--db-cache",
        default=str(Path(tempfile.gettempdir()) / "cdp-bench-identity"),
        help="directory of the kept SQLite states (default: %(default)s)",
    )
    parser.add_argument(
        "--incremental-only",
        action="store_true",
        help="with --db-keep: skip the full run and measure incremental resolution against "
        "the kept resolved state",
    )
    parser.add_argument(
        "--rerun",
        action="store_true",
        help="after the full run, run resolve --full again over the resolved records (a "
        "rebuild): its time, and how many records kept their profile id",
    )
    parser.add_argument(
        "--febrl",
        action="store_true",
        help="only Febrl3 (dedupe) and Febrl4 (link-only) through `cdp ingest` with a mapping, "
        "`cdp identity resolve` and `export` (benchmarks/identity_febrl.py; needs the "
        "`bench` extra: pip install -e '.[bench]')",
    )
    parser.add_argument(
        "--crm",
        default="",
        help="only CRM exports of these comma-separated sizes from the independent generator "
        "(benchmarks/crm_export.py, faker; 10%% households) through `cdp ingest` with a "
        "mapping, `cdp identity resolve` and `export` (needs the `bench` extra)",
    )
    parser.add_argument(
        "--worker",
        choices=["engine", "splink", "db-store", "db-full", "db-rerun", "db-incremental"],
        help=argparse.SUPPRESS,
    )
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker == "engine":
        print(json.dumps(engine_run(args.size, args.seed, args.order)))
        return 0
    if args.worker == "splink":
        print(json.dumps(splink_run(args.size, args.seed)))
        return 0
    if args.worker == "db-store":
        print(json.dumps(db_store(args.size, args.incremental, args.seed, args.url)))
        return 0
    if args.worker in ("db-full", "db-rerun"):
        print(json.dumps(db_full(args.url, rerun=args.worker == "db-rerun")))
        return 0
    if args.worker == "db-incremental":
        print(json.dumps(db_incremental(args.size, args.incremental, args.seed, args.url)))
        return 0
    print(f"identity benchmark, seed {args.seed}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    if args.crm:
        from benchmarks.identity_crm import crm_run, print_crm

        for size in (int(x) for x in args.crm.split(",") if x):
            print(f"CRM export through the mapping path (load average {_load()})")
            print_crm(crm_run(size, seed=args.seed))
        return 0
    if args.febrl:
        from benchmarks.identity_febrl import febrl_runs, print_febrl

        print(f"Febrl through the mapping path (load average {_load()})")
        print_febrl(febrl_runs())
        return 0
    for size in (int(s) for s in args.records.split(",") if s):
        worker = ["--size", str(size), "--seed", str(args.seed)]
        ours = _in_subprocess(["--worker", "engine", *worker, "--order", args.order])
        _print_engine(ours)
        if args.splink:
            _print_splink(ours, ["--worker", "splink", *worker])
    if args.db_records:
        _db_benchmark(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
