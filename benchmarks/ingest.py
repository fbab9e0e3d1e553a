"""Ingest throughput: records/s per channel into SQLite and PostgreSQL, next to a baseline.

    .venv/bin/python -m benchmarks.ingest --web 100000 --other 10000
    CDP_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python -m benchmarks.ingest

For each backend and channel it generates N records as files in the channel's real format,
ingests them with `run_ingest` into a freshly migrated database (no identity resolution), and
measures, in the same run, a baseline: a bare bulk insert of the same raw records (external
id + payload) into a plain table with no index (COPY on PostgreSQL, executemany on SQLite).
The ratio says what the platform's work costs: parsing, validation, normalised identifiers,
facts, natural-key deduplication, checkpoints and the indexes of the real schema.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

if not __package__:  # run as a file: keep this script from shadowing the `ingest` package
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from sqlalchemy import Engine, create_engine, make_url, text

from cdp import migrate
from cdp.config import Settings
from cdp.db import create_db_engine, make_sessionmaker
from ingest import Adapter, MappingAdapter, get_adapter, load_mapping, run_ingest

ROOT = Path(__file__).resolve().parents[1]
START = 1_767_225_600  # 2026-01-01T00:00:00Z


def _iso(offset: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(START + offset))


def gen_web(n: int, rnd: random.Random) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i in range(n):
        person = rnd.randrange(max(n // 20, 1))
        base = {
            "messageId": f"m-{i}",
            "anonymousId": f"anon-{person}-{i % 3}",
            "timestamp": _iso(i),
            "context": {"ip": "10.0.0.1", "userAgent": "bench"},
        }
        roll = i % 10
        if roll == 0:
            out.append(
                {
                    **base,
                    "type": "identify",
                    "userId": f"user-{person}",
                    "traits": {
                        "email": f"p{person}@example.com",
                        "firstName": "Ann",
                        "lastName": f"L{person}",
                        "phone": f"+1415555{person % 10000:04d}",
                    },
                }
            )
        elif roll < 6:
            out.append(
                {
                    **base,
                    "type": "page",
                    "properties": {"path": f"/p/{i % 100}"},
                    "context": {
                        "page": {
                            "url": f"https://shop.example/p/{i % 100}",
                            "path": f"/p/{i % 100}",
                            "title": "Product",
                        }
                    },
                }
            )
        elif roll < 9:
            out.append(
                {
                    **base,
                    "type": "track",
                    "userId": f"user-{person}",
                    "event": "Product Viewed",
                    "properties": {"product_id": f"p-{i % 100}"},
                }
            )
        else:
            out.append(
                {
                    **base,
                    "type": "track",
                    "userId": f"user-{person}",
                    "event": "Order Completed",
                    "properties": {
                        "order_id": f"o-{i}",
                        "total": "42.50",
                        "currency": "USD",
                        "products": [
                            {
                                "product_id": "p-1",
                                "sku": "S1",
                                "name": "Mug",
                                "price": "21.25",
                                "quantity": 2,
                            }
                        ],
                    },
                }
            )
    return out


def gen_email(n: int, rnd: random.Random) -> list[dict[str, Any]]:
    kinds = ["processed", "delivered", "open", "click", "bounce", "unsubscribe"]
    return [
        {
            "email": f"p{rnd.randrange(max(n // 10, 1))}@example.com",
            "timestamp": START + i,
            "event": kinds[i % len(kinds)],
            "sg_event_id": f"sg-{i}",
            "sg_message_id": f"msg-{i // 4}",
            "campaign_id": f"c-{i % 7}",
            "url": "https://shop.example/sale",
        }
        for i in range(n)
    ]


def gen_store(n: int, rnd: random.Random) -> list[dict[str, Any]]:
    return [
        {
            "id": 10_000 + i,
            "name": f"#{1000 + i}",
            "email": f"p{i % 5000}@example.com",
            "created_at": _iso(i),
            "updated_at": _iso(i),
            "currency": "USD",
            "total_price": "59.90",
            "subtotal_price": "49.90",
            "financial_status": "paid",
            "source_name": "web",
            "customer": {
                "id": 500 + i % 5000,
                "email": f"p{i % 5000}@example.com",
                "first_name": "Ann",
                "last_name": "Lee",
            },
            "billing_address": {
                "address1": "1 Main St",
                "city": "Springfield",
                "zip": "62701",
                "country_code": "US",
            },
            "line_items": [
                {
                    "id": i,
                    "product_id": 1,
                    "sku": "S1",
                    "title": "Mug",
                    "quantity": 1,
                    "price": "49.90",
                }
            ],
            "refunds": [],
        }
        for i in range(n)
    ]


def gen_social(n: int, rnd: random.Random) -> list[dict[str, Any]]:
    texts = ["love it", "my order never arrived", "great service", "want a refund"]
    return [
        {
            "id": str(1_900_000_000 + i),
            "text": texts[i % 4],
            "author_id": str(i % 3000),
            "created_at": _iso(i),
            "author": {"id": str(i % 3000), "username": f"user{i % 3000}", "name": "Ann Lee"},
        }
        for i in range(n)
    ]


def gen_pos(n: int) -> list[dict[str, Any]]:
    return [
        {
            "receipt_id": f"R-{i}",
            "store_id": "S1",
            "sold_at": f"05/01/2026 10:{i % 60:02d}",
            "customer_name": "Lee, Ann",
            "loyalty_card": f"L-{i % 4000}",
            "phone": "",
            "email": "",
            "street": "1 Main St",
            "city": "Springfield",
            "postcode": "62701",
            "total": "12.50",
            "currency": "EUR",
        }
        for i in range(n)
    ]


def write_files(
    directory: Path, n_web: int, n_other: int
) -> dict[str, tuple[Adapter, list[dict[str, Any]]]]:
    rnd = random.Random(7)
    web, email, store, social = (
        gen_web(n_web, rnd),
        gen_email(n_other, rnd),
        gen_store(n_other, rnd),
        gen_social(n_other, rnd),
    )
    (directory / "web.jsonl").write_text("".join(json.dumps(m) + "\n" for m in web))
    (directory / "email.json").write_text(json.dumps(email))
    (directory / "store.json").write_text(json.dumps({"orders": store}))
    x_page = {
        "data": [{k: v for k, v in t.items() if k != "author"} for t in social],
        "includes": {"users": list({t["author_id"]: t["author"] for t in social}.values())},
        "meta": {"result_count": len(social)},
    }
    (directory / "social.json").write_text(json.dumps(x_page))
    pos = gen_pos(n_other)
    with (directory / "pos.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(pos[0]))
        writer.writeheader()
        writer.writerows(pos)
    mapping = load_mapping(ROOT / "examples" / "mappings" / "pos.toml")
    return {
        "web (segment)": (get_adapter("web.segment")({}, files=[directory / "web.jsonl"]), web),
        "email (sendgrid)": (
            get_adapter("email.sendgrid")({}, files=[directory / "email.json"]),
            email,
        ),
        "store (shopify)": (
            get_adapter("store.shopify")({}, files=[directory / "store.json"]),
            store,
        ),
        "social (x)": (
            get_adapter("social.x_mentions")({}, files=[directory / "social.json"]),
            social,
        ),
        "store (pos mapping)": (
            MappingAdapter(mapping, files=[directory / "pos.csv"]),
            pos,
        ),
    }


def baseline(engine: Engine, rows: list[dict[str, Any]]) -> float:
    """Seconds to bulk insert the raw records into a plain table (no index, no constraint)."""
    is_pg = engine.dialect.name == "postgresql"
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS bench_plain")
        json_type = "jsonb" if is_pg else "json"
        connection.exec_driver_sql(
            f"CREATE TABLE bench_plain (external_id text, payload {json_type})"
        )
    started = time.perf_counter()
    payloads = [(str(i), json.dumps(row)) for i, row in enumerate(rows)]
    with engine.begin() as connection:
        if is_pg:
            raw = connection.connection.driver_connection
            assert raw is not None
            with raw.cursor() as cursor, cursor.copy("COPY bench_plain FROM STDIN") as copy:
                for row in payloads:
                    copy.write_row(row)
        else:
            connection.exec_driver_sql("INSERT INTO bench_plain VALUES (?, ?)", payloads)
    return time.perf_counter() - started


def client_cpu() -> float:
    """CPU seconds of this process and of its finished children (the ingest workers)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


class ServerCpu:
    """CPU seconds PostgreSQL's backends spend for this database while a run lasts.

    The server runs on this machine, so a thread reads each client backend's utime + stime
    from /proc every 50 ms (workers' backends end with them, so they cannot be read once
    afterwards). A backend's last < 50 ms are missed: the figure is a slight underestimate.
    Reports nothing on SQLite or when /proc is not readable.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> ServerCpu:
        if self.engine.dialect.name == "postgresql":
            self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join()

    @property
    def seconds(self) -> float | None:
        return sum(t - self.first[pid] for pid, t in self.last.items()) if self.last else None

    def _sample(self) -> None:
        ticks = os.sysconf("SC_CLK_TCK")
        with self.engine.connect() as connection:
            sql = (
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
            )
            started = True
            while True:
                for pid in connection.exec_driver_sql(sql).scalars():
                    try:
                        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                    except OSError:
                        continue
                    used = (int(stat[11]) + int(stat[12])) / ticks  # utime + stime
                    self.first.setdefault(pid, used if started else 0.0)
                    self.last[pid] = used
                started = False
                connection.rollback()  # a fresh snapshot of pg_stat_activity each time
                if self.stop.wait(0.05):
                    return


def fresh_database(backend: str, directory: Path) -> tuple[str, Callable[[], None]]:
    if backend == "sqlite":
        path = directory / f"bench-{uuid.uuid4().hex[:6]}.db"
        return f"sqlite:///{path}", lambda: None
    admin_url = make_url(os.environ["CDP_TEST_POSTGRES_URL"]).set(drivername="postgresql+psycopg")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"cdp_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return admin_url.set(database=name).render_as_string(hide_password=False), drop


def run(backend: str, n_web: int, n_other: int, batch_size: int, workers: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        channels = write_files(directory, n_web, n_other)
        url, drop = fresh_database(backend, directory)
        engine = create_db_engine(Settings(database_url=url))
        try:
            migrate.upgrade(engine)
            factory = make_sessionmaker(engine)
            print(
                f"\n{backend}: batch size {batch_size}, {workers} worker process(es), "
                "no identity resolution"
            )
            print(
                f"{'channel':<20} {'records':>8} {'ingest rec/s':>13} "
                f"{'baseline rec/s':>15} {'ratio':>6} {'client CPU us/rec':>18} "
                f"{'server CPU us/rec':>18}"
            )
            for label, (adapter, rows) in channels.items():
                cpu = client_cpu()
                with ServerCpu(engine) as server:
                    summary = run_ingest(
                        factory, adapter, source=label, batch_size=batch_size, workers=workers
                    )
                cpu_us = (client_cpu() - cpu) / max(summary.read, 1) * 1e6
                server_s = server.seconds
                server_us = "-" if server_s is None else f"{server_s / summary.read * 1e6:,.0f}"
                assert summary.is_balanced, summary
                assert summary.error is None, summary
                assert summary.quarantined == 0, summary
                plain = baseline(engine, rows)
                base_rate = len(rows) / plain
                print(
                    f"{label:<20} {summary.read:>8} {summary.records_per_second:>13,.0f} "
                    f"{base_rate:>15,.0f} {summary.records_per_second / base_rate:>6.2f} "
                    f"{cpu_us:>18,.0f} {server_us:>18}"
                )
        finally:
            engine.dispose()
            drop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--web", type=int, default=100_000, help="web events (default 100000)")
    parser.add_argument("--other", type=int, default=10_000, help="records per other channel")
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument(
        "--workers", type=int, default=2, help="ingest processes (default 2, one per core)"
    )
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    if "postgresql" in backends and not os.environ.get("CDP_TEST_POSTGRES_URL"):
        print("PostgreSQL skipped: set CDP_TEST_POSTGRES_URL to a server URL", file=sys.stderr)
        backends.remove("postgresql")
    for backend in backends:
        run(backend, args.web, args.other, args.batch_size, args.workers)


if __name__ == "__main__":
    main()
