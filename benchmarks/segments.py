"""Segment benchmark: evaluating a segment (an attribute, an order and an event-in-window
condition) against a hand-written SQL query for the same members, in the same process; and
the membership refresh after a batch that touches 10k profiles.

    .venv/bin/python benchmarks/segments.py [--url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
        [--profiles 1000000] [--touched 10000] [--repeat 5] [--traits]
        [--database cdp_mine [--refresh-only]]
    .venv/bin/python benchmarks/segments.py --sqlite [--profiles 100000]

Creates a throwaway database (PostgreSQL, or a SQLite file with `--sqlite`), migrates it and
loads N active profiles: a country for 90% (US 40%, FR, DE 20% each, GB 10%), orders for about
two thirds (1-6 over two years, 5% cancelled, 1-3 items), and per profile about 4 page views and
3 `Product Viewed` tracks (with a category) over the last 60 days. Written with COPY (PostgreSQL)
or executemany (SQLite).

Then it times, in this process, alternating the two and taking the median of `--repeat` runs:
- `compiled`: the segment's statement from `cdp.segments.members_query` (all member ids fetched);
- `hand-written`: the same members written by hand in SQL (CTEs with GROUP BY ... HAVING, joined
  to profiles), checked to return exactly the same ids;
and the ratio compiled / hand-written (target: at most 1.2). Then `refresh`: a batch adds an
order and two views for `--touched` profiles and `cdp.refresh.refresh_profiles(ids)` runs (with
`--traits`, traits are computed for every profile first, so the refresh's traits step is real;
without, it has nothing to recompute for most). The refresh tests windows against the real
clock, while the world ends on NOW (2026-09-16): touched members whose views fall out of the
30-day window leave, which is the same work as a real batch. The load average is printed.

`--database NAME` uses (and keeps) that PostgreSQL database, created and loaded only when it
holds no profiles yet, so a 1M data set is loaded once; each run's batch adds new orders and
events (ids after the earlier runs'). `--refresh-only` (with `--database`) then skips the
evaluation and the full refresh and times the 10k refresh alone, against the traits and
memberships the database already holds.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import create_engine, make_url, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NOW = datetime(2026, 9, 16, tzinfo=UTC)
COUNTRIES = ["US"] * 8 + ["FR"] * 4 + ["DE"] * 4 + ["GB"] * 2 + [None] * 2
CATEGORIES = ["shoes", "apparel", "home", "books", "beauty"]
DEFINITION = {
    "conditions": [
        {"attribute": {"name": "address.country", "op": "eq", "value": "US"}},
        {"order": {"metric": "count", "op": "gte", "value": 2, "window": {"lastDays": 180}}},
        {
            "event": {
                "name": "Product Viewed",
                "count": {"op": "gte", "value": 3},
                "window": {"lastDays": 30},
            }
        },
    ]
}
HAND_WRITTEN = {
    "postgresql": """
WITH buyers AS (
  SELECT profile_id FROM orders
  WHERE profile_id IS NOT NULL AND coalesce(status, '') <> 'cancelled'
    AND placed_at >= :orders_since AND placed_at <= :now
  GROUP BY profile_id HAVING count(*) >= 2),
viewers AS (
  SELECT profile_id FROM events
  WHERE profile_id IS NOT NULL AND name = 'Product Viewed'
    AND occurred_at >= :events_since AND occurred_at <= :now
  GROUP BY profile_id HAVING count(*) >= 3)
SELECT p.id FROM profiles p
JOIN buyers b ON b.profile_id = p.id
JOIN viewers v ON v.profile_id = p.id
WHERE p.status = 'active' AND p.attributes -> 'address' ->> 'country' = 'US'
""",
    "sqlite": """
WITH buyers AS (
  SELECT profile_id FROM orders
  WHERE profile_id IS NOT NULL AND coalesce(status, '') <> 'cancelled'
    AND placed_at >= :orders_since AND placed_at <= :now
  GROUP BY profile_id HAVING count(*) >= 2),
viewers AS (
  SELECT profile_id FROM events
  WHERE profile_id IS NOT NULL AND name = 'Product Viewed'
    AND occurred_at >= :events_since AND occurred_at <= :now
  GROUP BY profile_id HAVING count(*) >= 3)
SELECT p.id FROM profiles p
JOIN buyers b ON b.profile_id = p.id
JOIN viewers v ON v.profile_id = p.id
WHERE p.status = 'active' AND json_extract(p.attributes, '$.address.country') = 'US'
""",
}

PROFILE_COLUMNS = (
    "id, status, attributes, record_count, channel_count, first_seen_at, last_seen_at, "
    "created_at, updated_at"
)
RECORD_COLUMNS = (
    "id, source_id, external_id, kind, occurred_at, received_at, payload, attributes, "
    "content_hash, version, profile_id, resolved_at"
)
ORDER_COLUMNS = (
    "id, record_id, source_id, profile_id, external_id, channel, status, currency, "
    "total_minor, refunded_minor, placed_at"
)
ITEM_COLUMNS = "id, order_id, sku, product_id, name, quantity, unit_price_minor, category"
EVENT_COLUMNS = "id, record_id, source_id, profile_id, channel, type, name, occurred_at, properties"


def _at(rng: random.Random, days: float) -> datetime:
    return NOW - timedelta(seconds=rng.random() * days * 86_400)


class Rows:
    """The rows of every table for a range of profiles (seeded)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.order_id = self.item_id = self.event_id = 0
        self.clear()

    def clear(self) -> None:
        self.profiles: list[tuple[Any, ...]] = []
        self.records: list[tuple[Any, ...]] = []
        self.orders: list[tuple[Any, ...]] = []
        self.items: list[tuple[Any, ...]] = []
        self.events: list[tuple[Any, ...]] = []

    def profile(self, n: int) -> None:
        rng, pid = self.rng, f"p{n:07d}"
        country = rng.choice(COUNTRIES)
        attributes = {"address": {"country": country}} if country else {}
        start = NOW - timedelta(days=730)
        self.profiles.append((pid, "active", json.dumps(attributes), 1, 1, start, NOW, start, NOW))
        self.records.append(
            (n + 1, 1, f"r{n}", "order", start, start, "{}", "{}", f"{n:064d}", 1, pid, start)
        )
        if rng.random() < 0.68:
            for _ in range(rng.randint(1, 6)):
                self.order(n + 1, pid, _at(rng, 730))
        for _ in range(rng.randint(0, 8)):
            self.event(pid, "page", None, _at(rng, 365), {})
        for _ in range(rng.randint(0, 6)):
            props = {"category": rng.choice(CATEGORIES)}
            self.event(pid, "track", "Product Viewed", _at(rng, 60), props)

    def order(self, record_id: int, pid: str, at: datetime) -> None:
        self.order_id += 1
        status = "cancelled" if self.rng.random() < 0.05 else "paid"
        total = 0
        for _ in range(self.rng.randint(1, 3)):
            self.item_id += 1
            price = self.rng.choice([999, 2500, 4999, 12000])
            category = self.rng.choice(CATEGORIES)
            self.items.append(
                (self.item_id, self.order_id, "SKU", "P", "thing", 1, price, category)
            )
            total += price
        self.orders.append(
            (
                self.order_id,
                record_id,
                1,
                pid,
                f"o{self.order_id}",
                "store",
                status,
                "USD",
                total,
                0,
                at,
            )
        )

    def event(
        self, pid: str, kind: str, name: str | None, at: datetime, props: dict[str, Any]
    ) -> None:
        self.event_id += 1
        self.events.append(
            (self.event_id, self.event_id, 1, pid, "web", kind, name, at, json.dumps(props))
        )


class Writer:
    """COPY into PostgreSQL, executemany into SQLite."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        if self.url.get_backend_name() == "sqlite":
            self.sqlite: sqlite3.Connection | None = sqlite3.connect(self.url.database or "")
            self.pg: psycopg.Connection[Any] | None = None
        else:
            self.sqlite = None
            self.pg = psycopg.connect(self.url.set(drivername="postgresql").render_as_string(False))

    def write(self, table: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if self.pg is not None:
            with (
                self.pg.cursor() as cursor,
                cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
            return
        assert self.sqlite is not None
        marks = ", ".join("?" for _ in columns.split(","))
        self.sqlite.executemany(
            f"INSERT INTO {table} ({columns}) VALUES ({marks})",
            [tuple(map(_sqlite, r)) for r in rows],
        )

    def commit(self) -> None:
        (self.pg or self.sqlite).commit()  # type: ignore[union-attr]

    def close(self) -> None:
        (self.pg or self.sqlite).close()  # type: ignore[union-attr]


def _sqlite(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    return value


def load(url: str, profiles: int, seed: int) -> dict[str, int]:
    writer = Writer(url)
    writer.write(
        "sources",
        "id, name, channel, adapter, config, created_at, updated_at",
        [(1, "store-main", "store", "store.bench", "{}", NOW, NOW)],
    )
    rows, counts = Rows(seed), {"profiles": profiles, "orders": 0, "order_items": 0, "events": 0}
    for start in range(0, profiles, 50_000):
        for n in range(start, min(profiles, start + 50_000)):
            rows.profile(n)
        writer.write("profiles", PROFILE_COLUMNS, rows.profiles)
        writer.write("source_records", RECORD_COLUMNS, rows.records)
        writer.write("orders", ORDER_COLUMNS, rows.orders)
        writer.write("order_items", ITEM_COLUMNS, rows.items)
        writer.write("events", EVENT_COLUMNS, rows.events)
        counts["orders"] += len(rows.orders)
        counts["order_items"] += len(rows.items)
        counts["events"] += len(rows.events)
        rows.clear()
        writer.commit()
    writer.close()
    return counts


#: batches' rows have ids above this (a kept database's next batch continues after them)
BATCH_IDS = 10**9


def touch(url: str, profiles: int, touched: int, seed: int) -> list[str]:
    """A batch: one new order and two product views for `touched` random profiles (with new
    ids after an earlier run's batch in a kept database)."""
    rng = random.Random(seed + 1)
    chosen = sorted(rng.sample(range(profiles), touched))
    rows = Rows(seed + 2)
    with create_engine(url).connect() as connection:  # after an earlier run's batch, if kept
        rows.order_id, rows.item_id, rows.event_id = (
            connection.scalar(text(f"SELECT max(id) FROM {t} WHERE id > {BATCH_IDS}")) or BATCH_IDS
            for t in ("orders", "order_items", "events")
        )
    for n in chosen:
        pid = f"p{n:07d}"
        rows.order(n + 1, pid, NOW - timedelta(hours=1))
        rows.event(pid, "track", "Product Viewed", NOW - timedelta(hours=2), {"category": "shoes"})
        rows.event(pid, "track", "Product Viewed", NOW - timedelta(hours=1), {"category": "shoes"})
    writer = Writer(url)
    writer.write("orders", ORDER_COLUMNS, rows.orders)
    writer.write("order_items", ITEM_COLUMNS, rows.items)
    writer.write("events", EVENT_COLUMNS, rows.events)
    writer.commit()
    writer.close()
    return [f"p{n:07d}" for n in chosen]


def _median(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def _load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _database(args: argparse.Namespace) -> Iterator[str]:
    if args.sqlite:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/bench.db"
        return
    admin = create_engine(args.url, isolation_level="AUTOCOMMIT")
    name = args.database or f"cdp_bench_segments_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        exists = connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        )
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    if args.database:
        admin.dispose()
        yield make_url(args.url).set(database=name).render_as_string(hide_password=False)
        return
    try:
        yield make_url(args.url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(url: str, args: argparse.Namespace) -> None:
    from cdp import migrate
    from cdp.config import Settings
    from cdp.db import create_db_engine, make_sessionmaker

    engine = create_db_engine(Settings(database_url=url))
    migrate.upgrade(engine)
    dialect = engine.dialect.name
    print(f"backend {dialect}, {args.profiles:,} profiles; load average {_load_average()}")
    with engine.connect() as connection:
        loaded = connection.scalar(text("SELECT count(*) FROM profiles"))
    if loaded:
        assert loaded == args.profiles, f"the database holds {loaded:,} profiles"
        print(f"reusing {loaded:,} profiles of {engine.url.database}")
    else:
        started = time.perf_counter()
        counts = load(url, args.profiles, args.seed)
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
        print(f"loaded {counts} in {time.perf_counter() - started:.1f}s")
    sessions = make_sessionmaker(engine)
    if not args.refresh_only:
        _evaluate(sessions, dialect, args)
    _refresh(url, sessions, args)
    print(f"load average after: {_load_average()}")
    engine.dispose()


def _evaluate(sessions: Any, dialect: str, args: argparse.Namespace) -> None:
    from cdp import segments
    from cdp.db import unit_of_work
    from cdp.refresh import refresh_profiles

    definition = segments.parse_definition(DEFINITION)
    query = segments.members_query(definition, now=NOW, segments={})
    params = {
        "now": NOW,
        "orders_since": NOW - timedelta(days=180),
        "events_since": NOW - timedelta(days=30),
    }
    if dialect == "sqlite":
        params = {k: _sqlite(v) for k, v in params.items()}
    hand = text(HAND_WRITTEN[dialect])
    with sessions() as session:
        compiled_ids = set(session.scalars(query))
        hand_ids = {row[0] for row in session.execute(hand, params)}
        assert compiled_ids == hand_ids, (len(compiled_ids), len(hand_ids))
        print(f"segment: {len(compiled_ids):,} members (the same from both queries)")
        compiled_times: list[float] = []
        hand_times: list[float] = []
        for _ in range(args.repeat):
            compiled_times.append(_median(lambda: list(session.scalars(query)), 1)[0])
            hand_times.append(_median(lambda: session.execute(hand, params).all(), 1)[0])
    compiled, handwritten = statistics.median(compiled_times), statistics.median(hand_times)
    print(
        f"evaluate: compiled {compiled * 1000:.0f} ms, hand-written {handwritten * 1000:.0f} ms, "
        f"ratio {compiled / handwritten:.2f} (median of {args.repeat}; target <= 1.2)"
    )
    with unit_of_work(sessions) as session:
        if "bench" not in {s.name for s in segments.list_segments(session)}:
            segments.create_segment(
                session, segments.SegmentSpec("bench", None, DEFINITION), actor="bench"
            )
    if args.traits:
        started = time.perf_counter()
        with unit_of_work(sessions) as session:
            report = refresh_profiles(session, None)
        took = time.perf_counter() - started
        print(f"full refresh (traits + all segments): {took:.1f}s {report.seconds}")
    else:
        started = time.perf_counter()
        with unit_of_work(sessions) as session:
            results = segments.refresh_all(session, now=NOW)
        took, sizes = time.perf_counter() - started, {r.name: r.size for r in results if r.size}
        print(f"full membership refresh ({len(results)} segments): {took:.1f}s {sizes}")


def _refresh(url: str, sessions: Any, args: argparse.Namespace) -> None:
    from cdp.db import unit_of_work
    from cdp.refresh import refresh_profiles

    print(f"load average before the refresh: {_load_average()}")
    ids = touch(url, args.profiles, args.touched, args.seed)
    started = time.perf_counter()
    with unit_of_work(sessions) as session:
        report = refresh_profiles(session, ids)
    seconds = {k: round(v, 2) for k, v in report.seconds.items()}
    print(
        f"refresh after a batch touching {len(ids):,} profiles: "
        f"{time.perf_counter() - started:.2f}s {seconds} (target < 5 s: traits + segments)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file instead")
    parser.add_argument("--profiles", type=int, default=None)
    parser.add_argument("--touched", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--traits", action="store_true", help="compute traits first")
    parser.add_argument("--database", help="use and keep this PostgreSQL database (load once)")
    parser.add_argument(
        "--refresh-only", action="store_true", help="with --database: time the 10k refresh only"
    )
    args = parser.parse_args(argv)
    if args.refresh_only and not args.database:
        parser.error("--refresh-only needs --database")
    if args.profiles is None:
        args.profiles = 100_000 if args.sqlite else 1_000_000
    args.touched = min(args.touched, args.profiles)
    for url in _database(args):
        run(url, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
