"""Privacy benchmark: what the suppression check costs ingest, and what an erasure costs.

    .venv/bin/python benchmarks/privacy.py [--people 2000] [--suppressed 10000] [--repeat 3]
        [--url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

1. Ingest overhead: the demo world's Segment file (`cdp demo --people N` writes it) is ingested
   (`--no-resolve`, through the CLI's code path `run_ingest`) into two fresh databases, one with
   an empty suppression list (the baseline) and one holding `--suppressed` digests (none of
   which match, so every record is checked and stored); alternating, median of `--repeat`
   runs; ratio checked / baseline.
2. Erasure: the demo world is ingested and resolved into a third database; the 10 profiles
   with the most records are each exported (`export_profile`, the same table discovery, reads
   only: the baseline) and then erased (`erase_profile`, which also scrubs every text and JSON
   column of every table); medians and the ratio erase / export.

Creates throwaway databases (SQLite files, or PostgreSQL databases with `--url`), prints the
figures with the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, func, make_url, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cdp import migrate, models  # noqa: E402
from cdp.config import Settings  # noqa: E402
from cdp.db import create_db_engine, make_sessionmaker, unit_of_work  # noqa: E402
from cdp.privacy.access import export_profile  # noqa: E402
from cdp.privacy.erasure import erase_profile  # noqa: E402
from cdp.privacy.suppression import suppress  # noqa: E402
from ingest.registry import get_adapter  # noqa: E402
from ingest.runner import run_ingest  # noqa: E402


@contextmanager
def database(url: str | None, tmp: Path) -> Iterator[Settings]:
    if url is None:
        path = tmp / f"{uuid.uuid4().hex[:8]}.db"
        yield Settings(database_url=f"sqlite:///{path}")
        return
    admin = create_engine(make_url(url), isolation_level="AUTOCOMMIT")
    name = f"cdp_bench_privacy_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield Settings(
            database_url=make_url(url).set(database=name).render_as_string(hide_password=False)
        )
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _ingest(settings: Settings, files: list[Path], source: str) -> tuple[float, int, int]:
    engine = create_db_engine(settings)
    try:
        adapter = get_adapter("web.segment")(files=files)
        started = time.perf_counter()
        summary = run_ingest(make_sessionmaker(engine), adapter, source=source)
        return time.perf_counter() - started, summary.stored, summary.suppressed
    finally:
        engine.dispose()


def ingest_overhead(args: argparse.Namespace, world: Path, tmp: Path) -> None:
    files = sorted((world / "web").glob("*.jsonl"))
    baseline: list[float] = []
    checked: list[float] = []
    stored = 0
    for run in range(args.repeat):
        for label, times in (("baseline", baseline), ("checked", checked)):
            with database(args.url, tmp) as settings:
                engine = create_db_engine(settings)
                migrate.upgrade(engine)
                if label == "checked":
                    fake = [
                        ("email", f"nobody-{i}@suppressed.example") for i in range(args.suppressed)
                    ]
                    with unit_of_work(make_sessionmaker(engine)) as session:
                        suppress(session, fake, erasure_id="bench")
                engine.dispose()
                seconds, stored, held = _ingest(settings, files, f"web-{run}")
                assert held == 0
                times.append(seconds)
    b, c = statistics.median(baseline), statistics.median(checked)
    print(f"ingest {stored:,} Segment records (--no-resolve), median of {args.repeat}:")
    print(f"  empty suppression list      {b:7.2f} s  {stored / b:9,.0f} records/s")
    print(f"  {args.suppressed:,} digests listed    {c:7.2f} s  {stored / c:9,.0f} records/s")
    print(f"  ratio checked / baseline    {c / b:7.3f}")


def erasure_cost(args: argparse.Namespace, world: Path, tmp: Path) -> None:
    with database(args.url, tmp) as settings:
        env = {**os.environ, "CDP_DATABASE_URL": settings.database_url}
        command = [str(ROOT / ".venv" / "bin" / "cdp"), "demo", "--people", str(args.people),
                   "--no-serve", "--world", str(world)]  # fmt: skip
        subprocess.run(command, env=env, check=True, capture_output=True)
        engine = create_db_engine(settings)
        sessions = make_sessionmaker(engine)
        with sessions() as session:
            r = models.SourceRecord
            rows = session.execute(
                select(r.profile_id, func.count())
                .where(r.profile_id.is_not(None))
                .group_by(r.profile_id)
                .order_by(func.count().desc())
                .limit(10)
            ).all()
            total = session.scalar(select(func.count()).select_from(r))
        exports: list[float] = []
        erasures: list[float] = []
        rows_erased: list[int] = []
        for profile_id, _ in rows:
            with unit_of_work(sessions) as session:
                started = time.perf_counter()
                export_profile(session, profile_id, actor="bench")
                exports.append(time.perf_counter() - started)
            with unit_of_work(sessions) as session:
                started = time.perf_counter()
                receipt = erase_profile(session, profile_id, actor="bench", reason="benchmark")
                erasures.append(time.perf_counter() - started)
                rows_erased.append(sum(receipt.rows_by_table.values()))
        engine.dispose()
    e, x = statistics.median(erasures), statistics.median(exports)
    print(f"erase the 10 profiles with most records from {total:,} records, medians:")
    print(f"  export (reads, baseline)    {x * 1000:7.1f} ms")
    rows = statistics.median(rows_erased)
    print(f"  erase (+scrub, suppress)    {e * 1000:7.1f} ms  ({rows:.0f} rows)")
    print(f"  ratio erase / export        {e / x:7.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--suppressed", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--url", default=None, help="a PostgreSQL server URL (default: SQLite)")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} (2 cores); backend "
          f"{'postgresql' if args.url else 'sqlite'}")  # fmt: skip
    with tempfile.TemporaryDirectory() as directory:
        tmp = Path(directory)
        world = tmp / "world"
        erasure_cost(args, world, tmp)  # `cdp demo` writes the world first
        ingest_overhead(args, world, tmp)
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
