"""Computed traits benchmark: every trait for N profiles from scratch, and the refresh after a
batch that touches 10k profiles, against a bare aggregate baseline measured in the same run.

    .venv/bin/python benchmarks/traits.py [--url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
        [--profiles 1000000] [--touched 10000] [--seed 7]
    .venv/bin/python benchmarks/traits.py --sqlite [--profiles 100000]

Creates a throwaway database (PostgreSQL, or a SQLite file with `--sqlite`), migrates it and
loads N active profiles with the facts the synthetic world gives people, at the rates measured
on the demo world (`cdp demo --people 500`: 68% of profiles ordered, 3.6 orders each of which
30% online (each also tracked by the web tracker under the same order id, so counted once),
6% refunded, 1-3 items; per profile about 3 email deliveries with opens and clicks, 4 page
views and 1.6 tracks, and for 10% 1-4 social interactions; 5% of orders in EUR, 0.5% in a
currency with no rate), written with COPY (PostgreSQL) or executemany (SQLite).

It then times, in this process:
- `baseline`: one GROUP BY over orders (count and sum per profile): the least any purchase
  trait costs, to compare with;
- `all traits`: `compute_traits(None)`, every trait of every profile and the model fits
  (RFM cuts, BG/NBD, Gamma-Gamma), committed;
- `refresh`: a batch adds an order and two events for `--touched` profiles, then
  `compute_traits(ids)` for them (what `cdp/refresh.py` runs for traits after a batch), committed.

Targets: all traits for 1M profiles under 2 minutes on PostgreSQL; the 10k refresh under 5 s.
The machine is shared: the load average before and after is printed with the figures.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import create_engine, make_url, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

START = datetime(2025, 1, 1, tzinfo=UTC)
AS_OF = datetime(2026, 9, 16, tzinfo=UTC)
SPAN = (AS_OF - START).total_seconds()
CATEGORIES = ["footwear", "apparel", "home", "books", "beauty", "accessories", "gift", None]
PRODUCTS = [f"Product {n}" for n in range(60)]
CAMPAIGNS = [f"cmp-{n:02d}" for n in range(24)]


def _moment(rng: random.Random) -> datetime:
    return START + timedelta(seconds=rng.random() * SPAN)


class Facts:
    """Rows of each table for a range of profiles, drawn with the demo world's rates."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.order_id = 0
        self.item_id = 0
        self.event_id = 0
        self.interaction_id = 0
        self.orders: list[tuple[Any, ...]] = []
        self.items: list[tuple[Any, ...]] = []
        self.events: list[tuple[Any, ...]] = []
        self.interactions: list[tuple[Any, ...]] = []
        self.records: list[tuple[Any, ...]] = []

    def clear(self) -> None:
        self.orders, self.items, self.events, self.interactions = [], [], [], []
        self.records = []

    def order(self, n: int, profile: str, at: datetime) -> None:
        rng = self.rng
        self.order_id += 1
        online = rng.random() < 0.30
        roll = rng.random()
        currency = "XXX" if roll < 0.005 else ("EUR" if roll < 0.055 else "USD")
        total = rng.randrange(1500, 25000, 100)
        refund_roll = rng.random()
        refunded = total if refund_roll < 0.02 else (total // 3 if refund_roll < 0.06 else 0)
        status = "cancelled" if rng.random() < 0.01 else None
        external = f"o{self.order_id}"
        row = (
            self.order_id,
            n,
            4,
            profile,
            external,
            "store",
            "web" if online else "pos",
            status,
            "paid",
            currency,
            total,
            refunded,
            at,
            at,
        )
        self.orders.append(row)
        order_pk = self.order_id
        for _ in range(rng.randint(1, 3)):
            self.item_id += 1
            product = rng.choice(PRODUCTS)
            self.items.append(
                (
                    self.item_id,
                    order_pk,
                    product,
                    product,
                    rng.randint(1, 2),
                    1000,
                    rng.choice(CATEGORIES),
                )
            )
        if online:  # the web tracker's copy of the same order
            self.order_id += 1
            self.orders.append(
                (
                    self.order_id,
                    n,
                    1,
                    profile,
                    external,
                    "web",
                    "web",
                    None,
                    None,
                    currency,
                    total,
                    0,
                    at,
                    None,
                )
            )

    def event(
        self,
        n: int,
        profile: str,
        channel: str,
        kind: str,
        at: datetime,
        campaign: str | None = None,
    ) -> None:
        self.event_id += 1
        self.events.append(
            (  # events keep no foreign key to their record, but each has a record id of its own
                self.event_id,
                10**10 + self.event_id,
                1 if channel == "web" else 3,
                profile,
                channel,
                kind,
                kind,
                campaign,
                at,
                "{}",
            )
        )

    def profile(self, n: int, profile: str) -> None:
        rng = self.rng
        if rng.random() < 0.68:
            for _ in range(1 + sum(rng.random() < 0.65 for _ in range(4))):
                self.order(n, profile, _moment(rng))
        for campaign in rng.sample(CAMPAIGNS, rng.choice((0, 1, 2, 3, 4, 5, 6))):
            sent = _moment(rng)
            self.event(n, profile, "email", "email.processed", sent, campaign)
            self.event(n, profile, "email", "email.delivered", sent, campaign)
            if rng.random() < 0.4:
                self.event(n, profile, "email", "email.open", sent + timedelta(hours=2), campaign)
                if rng.random() < 0.35:
                    self.event(
                        n, profile, "email", "email.click", sent + timedelta(hours=3), campaign
                    )
        visit = _moment(rng)
        for k in range(_poisson(rng, 5.6)):
            kind = "page" if rng.random() < 0.71 else "track"
            self.event(n, profile, "web", kind, visit + timedelta(minutes=7 * k))
        if rng.random() < 0.10:
            for _ in range(rng.randint(1, 4)):
                self.interaction_id += 1
                record = 10**9 + self.interaction_id
                self.records.append(
                    (
                        record,
                        2,
                        f"i{record}",
                        "interaction",
                        START,
                        START,
                        "{}",
                        "{}",
                        f"{record:064d}",
                        1,
                        profile,
                        START,
                    )
                )
                self.interactions.append(
                    (
                        self.interaction_id,
                        record,
                        2,
                        profile,
                        "social",
                        "mention",
                        "hi",
                        _moment(rng),
                        "{}",
                    )
                )


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method is fine for small means
    limit, k, p = pow(2.718281828459045, -mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


RECORD_COLUMNS = (
    "id, source_id, external_id, kind, occurred_at, received_at, payload, attributes, "
    "content_hash, version, profile_id, resolved_at"
)
COLUMNS = {
    "orders": "id, record_id, source_id, profile_id, external_id, channel, sales_channel, "
    "status, financial_status, currency, total_minor, refunded_minor, placed_at, updated_at",
    "order_items": "id, order_id, sku, name, quantity, unit_price_minor, category",
    "events": "id, record_id, source_id, profile_id, channel, type, name, campaign_id, "
    "occurred_at, properties",
    "interactions": "id, record_id, source_id, profile_id, channel, type, text, occurred_at, "
    "properties",
}


class Writer:
    """COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            self.sqlite = sqlite3.connect(make_url(url).database or "")
        else:
            dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
            self.pg = psycopg.connect(dsn)

    def write(self, table: str, columns: str, rows: Iterator[tuple[Any, ...]] | list[Any]) -> None:
        if self.is_sqlite:
            marks = ", ".join("?" for _ in columns.split(","))
            self.sqlite.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({marks})",
                ([_sqlite(v) for v in row] for row in rows),
            )
            return
        with (
            self.pg.cursor() as cursor,
            cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)

    def commit(self) -> None:
        (self.sqlite if self.is_sqlite else self.pg).commit()

    def close(self) -> None:
        (self.sqlite if self.is_sqlite else self.pg).close()


def _sqlite(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    return value


def load(url: str, profiles: int, seed: int) -> dict[str, int]:
    writer = Writer(url)
    for n, channel in enumerate(("web", "social", "email", "store"), start=1):
        writer.write(
            "sources",
            "id, name, channel, adapter, config, created_at, updated_at",
            [(n, f"{channel}-main", channel, f"{channel}.bench", "{}", START, START)],
        )
    facts = Facts(seed)
    counts = {"profiles": profiles, "orders": 0, "order_items": 0, "events": 0, "interactions": 0}
    chunk = 50_000
    for start in range(0, profiles, chunk):
        ids = range(start, min(profiles, start + chunk))
        writer.write(
            "profiles",
            "id, status, attributes, record_count, channel_count, first_seen_at, last_seen_at, "
            "created_at, updated_at",
            ((f"p{n:07d}", "active", "{}", 1, 1, START, START, START, START) for n in ids),
        )
        writer.write(
            "source_records",
            RECORD_COLUMNS,
            (
                (
                    n + 1,
                    4,
                    f"r{n}",
                    "order",
                    START,
                    START,
                    "{}",
                    "{}",
                    f"{n:064d}",
                    1,
                    f"p{n:07d}",
                    START,
                )
                for n in ids
            ),
        )
        for n in ids:
            facts.profile(n + 1, f"p{n:07d}")
        writer.write("source_records", RECORD_COLUMNS, facts.records)
        for table in ("orders", "order_items", "events", "interactions"):
            rows = getattr(facts, "items" if table == "order_items" else table)
            writer.write(table, COLUMNS[table], rows)
            counts[table] += len(rows)
        facts.clear()
        writer.commit()
    writer.close()
    return counts


def touch(url: str, profiles: int, touched: int, seed: int) -> list[str]:
    """A batch: one new order and two page views for `touched` random profiles."""
    rng = random.Random(seed + 1)
    chosen = sorted(rng.sample(range(profiles), touched))
    facts = Facts(seed + 2)
    facts.order_id, facts.item_id, facts.event_id = 10**9, 10**9, 10**9
    now = AS_OF + timedelta(days=1)
    for n in chosen:
        facts.order(n + 1, f"p{n:07d}", now)
        facts.event(n + 1, f"p{n:07d}", "web", "page", now)
        facts.event(n + 1, f"p{n:07d}", "web", "page", now + timedelta(minutes=3))
    writer = Writer(url)
    for table in ("orders", "order_items", "events"):
        writer.write(
            table, COLUMNS[table], getattr(facts, "items" if table == "order_items" else table)
        )
    writer.commit()
    writer.close()
    return [f"p{n:07d}" for n in chosen]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--sqlite", action="store_true", help="a throwaway SQLite file instead")
    parser.add_argument("--profiles", type=int, default=1_000_000)
    parser.add_argument("--touched", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    args = parser.parse_args(argv)

    from sqlalchemy import func, select

    from cdp import migrate, models
    from cdp.config import Settings
    from cdp.db import create_db_engine, make_sessionmaker, unit_of_work
    from cdp.value import ValueSettings, compute_traits

    admin = None
    tmp = None
    if args.sqlite:
        tmp = tempfile.TemporaryDirectory(prefix="cdp-traits-")
        url = f"sqlite:///{tmp.name}/bench.db"
        name = url
    else:
        admin = create_engine(make_url(args.url), isolation_level="AUTOCOMMIT")
        name = f"cdp_bench_traits_{uuid.uuid4().hex[:8]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(args.url).set(database=name).render_as_string(hide_password=False)
    try:
        engine = create_db_engine(Settings(database_url=url))
        migrate.upgrade(engine)
        began = time.perf_counter()
        counts = load(url, args.profiles, args.seed)
        if not args.sqlite:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE"))
        else:
            with engine.connect() as connection:
                connection.execute(text("ANALYZE"))
        loaded = ", ".join(f"{v:,} {k}" for k, v in counts.items())
        print(
            f"backend {engine.dialect.name}; loaded {loaded} in {time.perf_counter() - began:.0f}s",
            flush=True,
        )
        print(f"load average before: {os.getloadavg()[0]:.1f} (2 cores, shared)", flush=True)
        sessions = make_sessionmaker(engine)
        settings = ValueSettings()

        started = time.perf_counter()
        with unit_of_work(sessions) as session:
            o = models.Order
            session.execute(
                select(o.profile_id, func.count(), func.sum(o.total_minor))
                .where(o.profile_id.is_not(None), o.placed_at < AS_OF)
                .group_by(o.profile_id)
            ).all()
        baseline = time.perf_counter() - started
        print(f"baseline (GROUP BY over orders): {baseline:.2f}s", flush=True)

        started = time.perf_counter()
        with unit_of_work(sessions) as session:
            report = compute_traits(session, None, settings=settings, as_of=AS_OF)
        full = time.perf_counter() - started
        print(
            f"all traits for {report.profiles:,} profiles ({report.customers:,} customers): "
            f"{full:.1f}s ({full / baseline:.1f}x the baseline); target < 120 s at 1M: "
            + (
                ("met" if full < 120 else "MISSED")
                if args.profiles >= 1_000_000
                else f"{full * 1_000_000 / args.profiles:.0f} s if linear"
            ),
            flush=True,
        )
        print("  " + ", ".join(f"{k} {v:.1f}s" for k, v in report.seconds.items()))
        for kind, described in report.models.items():
            print(f"  {kind}: {described}")

        ids = touch(url, args.profiles, args.touched, args.seed)
        started = time.perf_counter()
        with unit_of_work(sessions) as session:
            refreshed = compute_traits(session, ids, settings=settings)
        refresh = time.perf_counter() - started
        print("  " + ", ".join(f"{k} {v:.2f}s" for k, v in refreshed.seconds.items()))
        print(
            f"refresh after a batch touching {len(ids):,} profiles: {refresh:.2f}s "
            f"(target < 5 s: {'met' if refresh < 5 else 'MISSED'})",
            flush=True,
        )
        print(f"load average after: {os.getloadavg()[0]:.1f}")
        engine.dispose()
    finally:
        if admin is not None and args.keep:
            print(f"kept database {name}")
        elif admin is not None:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
        if tmp is not None:
            tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
