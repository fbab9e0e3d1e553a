"""searchProfiles and aggregates under load: does one analyst's request stall the server?

    .venv/bin/python benchmarks/search.py [--profiles 20000] [--searches 12] [--pings 200]

Loads N profiles (names from a small list, so a search finds the 2,000 candidates it may
score) into a throwaway SQLite database, serves the app with uvicorn in this process, and
measures, each in the same run:

- `/healthz` latency idle, then while 2 clients search continuously with the longest text
  allowed (200 characters), once with scoring in a worker thread (what the code does) and
  once with scoring on the event loop (the code before: the baseline, patched in for the run);
- a search with a short and with the longest text, and the refusal of a 100,000-character one;
- `overview { totals ... }` once, and 15 aliases of it in one request (computed once).

Figures are wall times on a shared machine: the ratio between the two search modes, measured
back to back, is what carries over.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cdp import migrate, models  # noqa: E402
from cdp.app import create_app  # noqa: E402
from cdp.config import Settings  # noqa: E402
from cdp.db import create_db_engine, make_sessionmaker, unit_of_work  # noqa: E402
from cdp.services import search  # noqa: E402
from cdp.services.keys import create_key  # noqa: E402

GIVEN = ["Jane", "John", "Maria", "Wei", "Aisha", "Lukas", "Sofia", "Omar", "Emma", "Noah"]
FAMILY = ["Doe", "Smith", "Garcia", "Chen", "Khan", "Muller", "Rossi", "Haddad", "Brown", "Lee"]
LONG_TEXT = ("Jane Doe Smith Garcia " * 20)[: search.MAX_SEARCH_TEXT]
SEARCH = "query($t: String!) { searchProfiles(text: $t, first: 10) { score profile { id } } }"
TOTALS = "totals { profiles sourceRecords identifiers }"


def load(settings: Settings, profiles: int) -> str:
    engine = create_db_engine(settings)
    migrate.upgrade(engine)
    rng = random.Random(7)
    now = datetime.now(UTC)
    rows = [
        {
            "id": f"p_{n:08d}",
            "status": "active",
            "given_name": rng.choice(GIVEN),
            "family_name": rng.choice(FAMILY),
            "email": f"user{n}@example.com",
            "phone": f"+1415{n:07d}",
            "attributes": {},
            "record_count": 1,
            "channel_count": 1,
            "created_at": now,
            "updated_at": now,
        }
        for n in range(profiles)
    ]
    with unit_of_work(make_sessionmaker(engine)) as session:
        session.execute(models.Profile.__table__.insert(), rows)
        key = create_key(session, role="analyst", name="bench").key
    engine.dispose()
    return key


@contextmanager
def serving(database_url: str, mode: str) -> Iterator[str]:
    """The app in a process of its own (so the load generator's threads do not share its
    GIL), with search scoring in a thread or, for the baseline, on the event loop."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    command = [sys.executable, __file__, "--serve", str(port), "--mode", mode, "--db", database_url]
    process = subprocess.Popen(command)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/healthz").raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def serve(port: int, mode: str, database_url: str) -> None:
    if mode == "inline":
        search._score_in_thread = _inline  # type: ignore[assignment]
    settings = Settings(database_url=database_url, environment="test")
    uvicorn.run(create_app(settings), port=port, log_level="warning", access_log=False)


async def _inline(fields: Any, query: str, phone: str | None) -> list[tuple[str, float]]:
    """The baseline: scoring on the event loop, as before."""
    return [search._score(item, query, phone) for item in fields]


def pings(url: str, count: int) -> list[float]:
    times = []
    with httpx.Client() as client:
        for _ in range(count):
            started = time.perf_counter()
            client.get(f"{url}/healthz").raise_for_status()
            times.append(time.perf_counter() - started)
            time.sleep(0.005)
    return times


def post(client: httpx.Client, url: str, key: str, query: str, **variables: Any) -> Any:
    response = client.post(
        f"{url}/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {key}"},
        timeout=120,
    )
    return response.json()


def pings_while_searching(url: str, key: str, count: int) -> tuple[list[float], int]:
    stop = threading.Event()
    done = 0

    def searcher() -> None:
        nonlocal done
        with httpx.Client() as client:
            while not stop.is_set():
                post(client, url, key, SEARCH, t=LONG_TEXT)
                done += 1

    threads = [threading.Thread(target=searcher) for _ in range(2)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    try:
        return pings(url, count), done
    finally:
        stop.set()
        for thread in threads:
            thread.join()


def timed(
    client: httpx.Client, url: str, key: str, query: str, runs: int, **variables: Any
) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        body = post(client, url, key, query, **variables)
        times.append(time.perf_counter() - started)
        assert "data" in body or "errors" in body, body
    return statistics.median(times)


def ms(value: float) -> str:
    return f"{value * 1000:8.1f} ms"


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"p50 {ms(statistics.median(ordered))}  p99 {ms(p99)}  max {ms(ordered[-1])}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profiles", type=int, default=20_000)
    parser.add_argument("--pings", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="thread", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.mode, args.db)
        return
    load1, _, _ = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=f"sqlite:///{tmp}/bench.db", environment="test")
        key = load(settings, args.profiles)
        print(f"{args.profiles:,} profiles on SQLite; load {load1:.1f} on {os.cpu_count()} cores")
        with serving(settings.database_url, "inline") as url:
            inline, n_inline = pings_while_searching(url, key, args.pings)
        with serving(settings.database_url, "thread") as url, httpx.Client() as client:
            print(f"/healthz idle                          {summary(pings(url, args.pings))}")
            threaded, n_threaded = pings_while_searching(url, key, args.pings)
            print(
                f"/healthz, searches scored in a thread  {summary(threaded)}  "
                f"({n_threaded} searches)"
            )
            print(
                f"/healthz, searches on the event loop   {summary(inline)}  "
                f"({n_inline} searches; the baseline)"
            )
            ratio = statistics.median(inline) / statistics.median(threaded)
            print(f"   p50 while searching: event loop / thread = {ratio:.1f}x")
            for label, text in (
                ("8 characters", "Jane Doe"),
                (f"{len(LONG_TEXT)} characters", LONG_TEXT),
                ("100,000 characters (refused)", "Jane " * 20_000),
            ):
                took = timed(client, url, key, SEARCH, args.runs, t=text)
                print(f"search, {label:<31}{ms(took)}")
            one = f"{{ overview {{ {TOTALS} }} }}"
            many = "{ " + " ".join(f"a{n}: overview {{ {TOTALS} }}" for n in range(15)) + " }"
            t_one = timed(client, url, key, one, args.runs)
            t_many = timed(client, url, key, many, args.runs)
            print(f"overview totals x1                     {ms(t_one)}")
            print(
                f"overview totals x15 aliases            {ms(t_many)}  ({t_many / t_one:.1f}x one)"
            )


if __name__ == "__main__":
    main()
