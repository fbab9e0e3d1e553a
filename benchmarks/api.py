"""GraphQL API benchmark: requests/s and p50/p99 latency against a plain Starlette baseline.

    .venv/bin/python benchmarks/api.py [--url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
        [--profiles 100000] [--seconds 8] [--connections 32] [--workers 2]
        [--generator auto|wrk|python] [--only "profile by identifier"]

Creates a throwaway PostgreSQL database, loads N profiles (each with a source record and an
email identifier; every 10th also with 5 events and 3 orders of 2 items) with COPY, then
serves two apps on 127.0.0.1, one at a time, each under uvicorn (uvloop, httptools) with
`--workers` processes (default 2, one per core, as `cdp serve --workers 2` deploys): the real
GraphQL app, and a baseline Starlette app that authenticates the same key (the same per-process
key cache) and calls the same service functions on the same read pool (so runs the same SQL)
and returns the same JSON without GraphQL. A closed-loop keep-alive load generator on
`--connections` connections measures three operations: profile by identifier, a profile with
nested orders (and items) and events, and a page of 50 profiles, each after a 1 s warm-up.
The generator is `wrk` (with a Lua script cycling through 500 request bodies and timing each
request, one thread per connection) when installed, else an asyncio one in this process; both
apps are measured with the same one, and the report names it. It prints requests/s, p50 and
p99 of the requests' own latencies (and wrk's own p99, corrected for coordinated omission), the
CPU per request of the app's processes, of the
PostgreSQL backends and of the load generator (from /proc, so on a shared machine still
comparable when wall figures are not), the GraphQL/baseline throughput ratio, and the targets
(by-identifier p99 < 25 ms; GraphQL throughput >= 1/3 of the baseline's). Loopback only; the
time is bounded by `--seconds` per operation and app.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import create_engine, make_url, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

T0 = datetime(2025, 1, 1, tzinfo=UTC)
GIVEN = ["Jane", "John", "Maria", "Wei", "Aisha", "Lukas", "Sofia", "Omar", "Emma", "Noah"]
FAMILY = ["Doe", "Smith", "Garcia", "Chen", "Khan", "Muller", "Rossi", "Haddad", "Brown", "Lee"]

BY_IDENTIFIER = """query($v: String!) { profileByIdentifier(kind: EMAIL, value: $v) {
  id givenName familyName email phone lastSeenAt } }"""
NESTED = """query($id: ID!) { profile(id: $id) { id givenName familyName email
  orders(first: 5) {
    nodes { externalId placedAt total { amount currency } items { name quantity } } }
  events(first: 10) { nodes { type name occurredAt } } } }"""
PAGE = """{ profiles(first: 50) { nodes { id givenName familyName email lastSeenAt }
  pageInfo { hasNextPage endCursor } } }"""


# --- data ---------------------------------------------------------------------------------------


def _copy(
    cursor: psycopg.Cursor[Any], table: str, columns: str, rows: Iterator[tuple[Any, ...]]
) -> None:
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def load(url: str, profiles: int) -> None:
    """Fill an empty migrated database with `profiles` profiles and their facts."""
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as connection, connection.cursor() as cursor:
        for n, channel in enumerate(("web", "social", "email", "store"), start=1):
            cursor.execute(
                "INSERT INTO sources (id, name, channel, adapter, config, created_at, updated_at) "
                "VALUES (%s, %s, %s, %s, '{}', now(), now())",
                (n, f"{channel}-main", channel, f"{channel}.bench"),
            )
        seen = [T0 + timedelta(minutes=n) for n in range(profiles)]
        _copy(
            cursor,
            "profiles",
            "id, status, attributes, given_name, family_name, email, phone, record_count, "
            "channel_count, first_seen_at, last_seen_at, created_at, updated_at",
            (
                (
                    f"p{n:07d}",
                    "active",
                    "{}",
                    GIVEN[n % 10],
                    FAMILY[n // 10 % 10],
                    f"user{n}@example.com",
                    f"+1415{n:07d}",
                    1,
                    1,
                    T0,
                    seen[n],
                    T0,
                    T0,
                )
                for n in range(profiles)
            ),
        )
        record_columns = (
            "id, source_id, external_id, kind, occurred_at, received_at, payload, attributes, "
            "content_hash, version, profile_id, resolved_at"
        )
        _copy(
            cursor,
            "source_records",
            record_columns,
            (
                (
                    n + 1,
                    4,
                    f"c{n}",
                    "profile",
                    seen[n],
                    seen[n],
                    "{}",
                    "{}",
                    f"{n:064d}",
                    1,
                    f"p{n:07d}",
                    seen[n],
                )
                for n in range(profiles)
            ),
        )
        _copy(
            cursor,
            "identifiers",
            "record_id, kind, value, raw_value, profile_id, seen_at",
            (
                (
                    n + 1,
                    "email",
                    f"user{n}@example.com",
                    f"user{n}@example.com",
                    f"p{n:07d}",
                    seen[n],
                )
                for n in range(profiles)
            ),
        )
        rich = range(0, profiles, 10)
        base = profiles + 1
        _copy(
            cursor,
            "source_records",
            record_columns,
            (
                (
                    base + i * 5 + k,
                    1,
                    f"e{n}-{k}",
                    "event",
                    seen[n],
                    seen[n],
                    "{}",
                    "{}",
                    f"e{n:062d}{k}",
                    1,
                    f"p{n:07d}",
                    seen[n],
                )
                for i, n in enumerate(rich)
                for k in range(5)
            ),
        )
        _copy(
            cursor,
            "events",
            "record_id, source_id, profile_id, channel, type, name, occurred_at, properties",
            (
                (
                    base + i * 5 + k,
                    1,
                    f"p{n:07d}",
                    "web",
                    "page",
                    f"/page/{k}",
                    seen[n] + timedelta(seconds=k),
                    "{}",
                )
                for i, n in enumerate(rich)
                for k in range(5)
            ),
        )
        _copy(
            cursor,
            "orders",
            "id, record_id, source_id, profile_id, external_id, channel, currency, total_minor, "
            "refunded_minor, placed_at",
            (
                (
                    i * 3 + k + 1,
                    n + 1,
                    4,
                    f"p{n:07d}",
                    f"o{n}-{k}",
                    "store",
                    "EUR",
                    1000 + k * 250,
                    0,
                    seen[n] + timedelta(hours=k),
                )
                for i, n in enumerate(rich)
                for k in range(3)
            ),
        )
        _copy(
            cursor,
            "order_items",
            "order_id, name, quantity, unit_price_minor",
            (
                (order_id, f"item {j}", j + 1, 500)
                for order_id in range(1, len(rich) * 3 + 1)
                for j in range(2)
            ),
        )
        for table in ("source_records", "orders"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        connection.commit()
        connection.autocommit = True
        cursor.execute("ANALYZE")


# --- the two apps -------------------------------------------------------------------------------


def money(minor: int, currency: str) -> dict[str, str]:
    return {"amount": f"{minor // 100}.{minor % 100:02d}", "currency": currency}


def baseline_app(settings: Any) -> Any:
    """A Starlette app answering the benchmark's three operations with the same services."""
    from contextlib import asynccontextmanager

    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from cdp.db import (
        create_async_db_engine,
        create_async_read_engine,
        dispose_read_engine,
        make_async_sessionmaker,
    )
    from cdp.services import keys
    from cdp.services import profile_facts as facts
    from cdp.services import profiles as service

    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(app: Starlette) -> Any:
        engine = create_async_db_engine(settings)
        read_engine = create_async_read_engine(settings, engine)
        # The same autocommit read sessions as the GraphQL context, so the same round trips.
        state["sessions"] = make_async_sessionmaker(read_engine)
        state["keys"] = keys.KeyCache()  # as the GraphQL app authenticates
        gc.collect()  # and as it starts in production (see cdp.app)
        gc.freeze()
        yield
        await dispose_read_engine(read_engine)
        await engine.dispose()

    async def authenticated(request: Request) -> dict[str, Any]:
        await state["keys"].authenticate(state["sessions"], request.headers["authorization"][7:])
        body: dict[str, Any] = await request.json()
        return body.get("variables") or {}

    async def by_identifier(request: Request) -> JSONResponse:
        variables = await authenticated(request)
        found = await service.find_by_identifier(state["sessions"], "email", variables["v"])
        p = found.profile if found else None
        data = p and {
            "id": p.id,
            "givenName": p.given_name,
            "familyName": p.family_name,
            "email": p.email,
            "phone": p.phone,
            "lastSeenAt": p.last_seen_at.isoformat() if p.last_seen_at else None,
        }
        return JSONResponse({"data": {"profileByIdentifier": data}})

    async def nested(request: Request) -> JSONResponse:
        variables = await authenticated(request)
        async with state["sessions"]() as session:
            found = (await service.resolve_profiles(session, [variables["id"]]))[variables["id"]]
        p = found.profile
        async with state["sessions"]() as session:
            orders = (await facts.orders_by_profile(session, [p.id], facts.FactQuery(first=5)))[
                p.id
            ]
        async with state["sessions"]() as session:
            events = (await facts.events_by_profile(session, [p.id], facts.FactQuery(first=10)))[
                p.id
            ]
        async with state["sessions"]() as session:
            items = await facts.items_by_order(session, [o.id for o in orders.items])
        data = {
            "id": p.id,
            "givenName": p.given_name,
            "familyName": p.family_name,
            "email": p.email,
            "orders": {
                "nodes": [
                    {
                        "externalId": o.external_id,
                        "placedAt": o.placed_at.isoformat(),
                        "total": money(o.total_minor, o.currency),
                        "items": [{"name": i.name, "quantity": i.quantity} for i in items[o.id]],
                    }
                    for o in orders.items
                ]
            },
            "events": {
                "nodes": [
                    {"type": e.type, "name": e.name, "occurredAt": e.occurred_at.isoformat()}
                    for e in events.items
                ]
            },
        }
        return JSONResponse({"data": {"profile": data}})

    async def page(request: Request) -> JSONResponse:
        await authenticated(request)
        async with state["sessions"]() as session:
            found = await service.list_profiles(
                session,
                where=service.ProfileFilter(),
                sort=service.ProfileSort.LAST_SEEN_DESC,
                first=50,
            )
        data = {
            "nodes": [
                {
                    "id": p.id,
                    "givenName": p.given_name,
                    "familyName": p.family_name,
                    "email": p.email,
                    "lastSeenAt": p.last_seen_at.isoformat() if p.last_seen_at else None,
                }
                for p in found.items
            ],
            "pageInfo": {"hasNextPage": found.has_next, "endCursor": found.end_cursor},
        }
        return JSONResponse({"data": {"profiles": data}})

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    routes = [
        Route("/healthz", healthz),
        Route("/by-identifier", by_identifier, methods=["POST"]),
        Route("/nested", nested, methods=["POST"]),
        Route("/page", page, methods=["POST"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


def serve(kind: str, url: str, port: int, workers: int) -> None:
    import uvicorn

    from cdp.config import Settings
    from cdp.web.protocol import HttpToolsProtocol

    settings = Settings(database_url=url, environment="prod", log_level="WARNING")
    if kind == "graphql":
        from cdp.app import create_app

        app = create_app(settings)
    else:
        app = baseline_app(settings)
    if workers > 1:
        # Workers start from an import string; this module rebuilds the app in each. Both
        # apps are served as `cdp serve --workers` serves (a socket per worker).
        from cdp.web.workers import run_workers

        os.environ.update(BENCH_KIND=kind, BENCH_URL=url)
        run_workers(
            "benchmarks.api:worker_app",
            factory=True,
            workers=workers,
            host="127.0.0.1",
            port=port,
            loop="uvloop",
            http=HttpToolsProtocol,
            access_log=False,
            log_level="warning",
        )
        return
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http=HttpToolsProtocol,
        access_log=False,
        log_level="warning",
    )


def worker_app() -> Any:
    from cdp.config import Settings

    settings = Settings(
        database_url=os.environ["BENCH_URL"], environment="prod", log_level="WARNING"
    )
    if os.environ["BENCH_KIND"] == "graphql":
        from cdp.app import create_app

        return create_app(settings)
    return baseline_app(settings)


# --- load generation ----------------------------------------------------------------------------


@dataclass
class Result:
    """One operation against one app: counts, latency percentiles (ms) and CPU per request."""

    requests: int
    errors: int
    seconds: float
    p50: float
    p99: float
    cpu: dict[str, float | None] = field(default_factory=dict)  # ms per request, by process
    # wrk's own p99, corrected for coordinated omission (see WRK_SCRIPT); None for the
    # Python generator, which has no such correction.
    p99_corrected: float | None = None

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def _percentile(latencies: list[float], q: float) -> float:
    ordered = sorted(latencies) or [0.0]
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def http_request(path: str, body: dict[str, Any], key: str, port: int) -> bytes:
    payload = json.dumps(body).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"Accept: application/json\r\nAuthorization: Bearer {key}\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n"
    )
    return head.encode() + payload


@dataclass
class _Tally:
    requests: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)


async def _connection(
    port: int, requests: list[bytes], until: float, warm: float, out: _Tally
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    index = random.randrange(len(requests))
    try:
        while (start := time.perf_counter()) < until:
            writer.write(requests[index % len(requests)])
            index += 1
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            if start >= warm:
                out.latencies.append(time.perf_counter() - start)
                out.requests += 1
                out.errors += head[9:12] != b"200"
    finally:
        writer.close()


async def _python_load(
    port: int, requests: list[bytes], seconds: float, connections: int
) -> tuple[_Tally, float]:
    tally = _Tally()
    began = time.perf_counter()
    until = began + seconds
    await asyncio.gather(
        *(_connection(port, requests, until, began, tally) for _ in range(connections))
    )
    return tally, time.perf_counter() - began


def python_load(
    port: int, path: str, bodies: list[dict[str, Any]], key: str, connections: int, seconds: float
) -> tuple[Result, float]:
    """The asyncio load generator: (result, its own CPU seconds)."""
    requests = [http_request(path, body, key, port) for body in bodies]
    began = time.process_time()
    tally, elapsed = asyncio.run(_python_load(port, requests, seconds, connections))
    cpu = time.process_time() - began
    p50, p99 = _percentile(tally.latencies, 0.5), _percentile(tally.latencies, 0.99)
    return Result(tally.requests, tally.errors, elapsed, p50, p99), cpu


# wrk prints latency percentiles corrected for coordinated omission (`stats_correct`: for
# every response slower than a connection's mean interval it adds the samples an open-loop
# client would have seen), so its figures are not the latencies of the requests it made. The
# script times each request itself (CLOCK_MONOTONIC through LuaJIT's ffi), which needs one
# connection per thread: request() and response() of a thread then alternate on one
# connection. It writes wrk's own (corrected) p99 too.
WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(key)s"
local bodies = {%(bodies)s}
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock, bench_timespec *now);
]]
local now = ffi.new("bench_timespec")
local function microseconds()
  ffi.C.clock_gettime(1, now)
  return tonumber(now.tv_sec) * 1000000 + tonumber(now.tv_nsec) / 1000
end
local threads = {}
function setup(thread)
  thread:set("offset", #threads * 97)
  table.insert(threads, thread)
end
local i = 0
local started = 0
latencies = {}
function request()
  i = i + 1
  started = microseconds()
  return wrk.format(nil, "%(path)s", nil, bodies[(offset + i) %% #bodies + 1])
end
function response(status, headers, body)
  latencies[#latencies + 1] = math.floor(microseconds() - started)
end
function done(summary, latency, requests)
  local errors = summary.errors
  local out = io.open("%(out)s", "w")
  out:write(string.format("%%d %%d %%d %%f\\n", summary.requests, summary.duration,
    errors.status + errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(99)))
  for _, thread in ipairs(threads) do
    out:write(table.concat(thread:get("latencies"), " "), "\\n")
  end
  out:close()
end
"""


def wrk_load(
    port: int, path: str, bodies: list[dict[str, Any]], key: str, connections: int, seconds: float
) -> tuple[Result, float]:
    """wrk (C, closed loop like the Python generator), one connection per thread:
    (result, wrk's CPU seconds). The percentiles are of the requests' own latencies."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "result.txt"
        script = Path(folder) / "load.lua"
        encoded = ",".join(f"[==[{json.dumps(body)}]==]" for body in bodies)
        script.write_text(WRK_SCRIPT % {"key": key, "bodies": encoded, "path": path, "out": out})
        command = ["wrk", "-t", str(connections), "-c", str(connections), "--timeout", "30s"]
        command += ["-d", f"{max(1, round(seconds))}s", "-s", str(script)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([*command, f"http://127.0.0.1:{port}"], check=True, capture_output=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        summary, *lines = out.read_text().splitlines()
    requests, duration, errors, p99_corrected = summary.split()
    latencies = [int(value) / 1e6 for line in lines for value in line.split()]
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result = Result(
        int(requests),
        int(errors),
        int(duration) / 1e6,
        _percentile(latencies, 0.5),
        _percentile(latencies, 0.99),
        p99_corrected=float(p99_corrected) / 1000,
    )
    return result, cpu


# --- CPU accounting (Linux /proc; absent elsewhere) ----------------------------------------------


def _cpu_seconds(pids: list[int]) -> float | None:
    """User + system CPU of these processes (and their reaped children), from /proc."""
    total = 0
    try:
        for pid in pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            total += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    except (OSError, ValueError):
        return None
    return total / os.sysconf("SC_CLK_TCK")


def _process_tree(pid: int) -> list[int]:
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return [pid]
    return [pid, *(p for child in children for p in _process_tree(int(child)))]


def _backends(url: str) -> list[int]:
    """The PostgreSQL server processes serving the benchmark database (when it is local)."""
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        ).fetchall()
    return [row[0] for row in rows]


class CpuMeter:
    """CPU seconds of the app's processes and of its database backends over a measurement."""

    def __init__(self, server: int, url: str) -> None:
        self.server, self.url = server, url

    def read(self) -> dict[str, dict[int, float | None]]:
        return {
            "app": {pid: _cpu_seconds([pid]) for pid in _process_tree(self.server)},
            "postgres": {pid: _cpu_seconds([pid]) for pid in _backends(self.url)},
        }

    @staticmethod
    def spent(before: dict[int, float | None], after: dict[int, float | None]) -> float | None:
        total = 0.0
        for pid, end in after.items():
            start = before.get(pid, 0.0)
            if end is None or start is None:
                return None
            total += end - start
        return total


# --- orchestration ------------------------------------------------------------------------------


def start(kind: str, url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, __file__, "--serve", kind, "--db", url, "--port", str(port)]
    process = subprocess.Popen([*command, "--workers", str(workers)], cwd=ROOT)
    deadline = time.monotonic() + 60
    while True:
        try:
            healthy = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            healthy = False
        # Every worker listening (a socket each), not just the first to start: connections
        # opened before the others listen would all go to that one.
        if healthy and (_listening(port) is None or _listening(port) >= workers):
            return process
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise SystemExit(f"the {kind} server did not start on port {port}")
        time.sleep(0.2)


def _listening(port: int) -> int | None:
    """Listening TCP sockets on local `port` (from /proc; None where there is none)."""
    try:
        lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return None
    return sum(
        1
        for fields in map(str.split, lines)
        if int(fields[1].rpartition(":")[2], 16) == port and fields[3] == "0A"
    )


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def operations(profiles: int) -> dict[str, tuple[str, Callable[[int], dict[str, Any]]]]:
    return {
        "profile by identifier": (
            "/by-identifier",
            lambda n: {"query": BY_IDENTIFIER, "variables": {"v": f"User{n}@Example.com"}},
        ),
        "profile + orders + events": (
            "/nested",
            lambda n: {"query": NESTED, "variables": {"id": f"p{n // 10 * 10:07d}"}},
        ),
        "page of 50 profiles": ("/page", lambda n: {"query": PAGE}),
    }


def measure(kind: str, url: str, key: str, args: argparse.Namespace) -> dict[str, Result]:
    port = free_port()
    process = start(kind, url, port, args.workers)
    generate = wrk_load if args.generator == "wrk" else python_load
    results: dict[str, Result] = {}
    try:
        rng = random.Random(7)
        for name, (path, body_of) in operations(args.profiles).items():
            if args.only and args.only not in name:
                continue
            target = "/graphql" if kind == "graphql" else path
            bodies = [body_of(rng.randrange(args.profiles)) for _ in range(500)]
            sample = httpx.post(
                f"http://127.0.0.1:{port}{target}",
                json=bodies[0],
                headers={"Authorization": f"Bearer {key}"},
            ).json()
            generate(port, target, bodies, key, args.connections, 1.0)  # warm-up, not counted
            meter = CpuMeter(process.pid, url)
            before = meter.read()
            result, generator_cpu = generate(
                port, target, bodies, key, args.connections, args.seconds
            )
            after = meter.read()
            per_request = 1000 / max(1, result.requests)
            for part in ("app", "postgres"):
                spent = meter.spent(before[part], after[part])
                result.cpu[part] = None if spent is None else spent * per_request
            result.cpu["generator"] = generator_cpu * per_request
            results[name] = result
            SAMPLES.setdefault(name, {})[kind] = sample
    finally:
        process.terminate()
        process.wait(timeout=30)
    return results


SAMPLES: dict[str, dict[str, Any]] = {}
# A production server here runs one uvicorn worker per core (`cdp serve --workers`).
WORKERS = 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--url",
        default=os.environ.get(
            "CDP_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument("--profiles", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument(
        "--connections",
        type=int,
        default=32,
        help="keep-alive connections of the closed loop (with wrk, one thread each, so that "
        "each request is timed on its own connection)",
    )
    parser.add_argument(
        "--only", default="", help="measure only the operations whose name contains this"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=WORKERS,
        help=f"uvicorn worker processes per app (default {WORKERS}: one per core, as deployed)",
    )
    parser.add_argument(
        "--generator",
        choices=["auto", "wrk", "python"],
        default="auto",
        help="load generator: wrk (cheaper, so less CPU taken from the apps) or the asyncio one; "
        "auto uses wrk when it is installed",
    )
    parser.add_argument("--serve", choices=["graphql", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.db, args.port, args.workers)
        return
    if args.generator == "auto":
        args.generator = "wrk" if shutil.which("wrk") else "python"
    elif args.generator == "wrk" and not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk); use --generator python")

    import uvloop

    from cdp import migrate
    from cdp.config import Settings
    from cdp.db import create_db_engine, make_sessionmaker, unit_of_work
    from cdp.services.keys import create_key

    uvloop.install()
    admin = create_engine(make_url(args.url), isolation_level="AUTOCOMMIT")
    name = f"cdp_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(args.url).set(database=name).render_as_string(hide_password=False)
    try:
        began = time.perf_counter()
        engine = create_db_engine(Settings(database_url=url))
        migrate.upgrade(engine)
        load(url, args.profiles)
        with unit_of_work(make_sessionmaker(engine)) as session:
            key = create_key(session, role="app", name="benchmark").key
        engine.dispose()
        print(
            f"loaded {args.profiles} profiles into {name} in {time.perf_counter() - began:.1f}s",
            flush=True,
        )
        graphql = measure("graphql", url, key, args)
        baseline = measure("baseline", url, key, args)
        report(graphql, baseline, args)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _ms(value: float | None, width: int = 7, digits: int = 2) -> str:
    return f"{value:>{width}.{digits}f}" if value is not None else f"{'n/a':>{width}}"


def report(
    graphql: dict[str, Result], baseline: dict[str, Result], args: argparse.Namespace
) -> None:
    load1, load5, _ = os.getloadavg()
    print(
        f"\n{args.connections} connections, {args.seconds:g}s per operation, "
        f"{args.profiles} profiles, {args.workers} worker(s) per app, load generator "
        f"{args.generator}, PostgreSQL, loopback; {os.cpu_count()} CPUs, load average "
        f"{load1:.1f} (1 min), {load5:.1f} (5 min)"
    )
    print(
        f"{'operation':<28}{'app':<10}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'p99* ms':>9}"
        f"{'errors':>7}   CPU ms/request: {'app':>7}{'pg':>7}{'loadgen':>8}"
    )
    for name in graphql:
        for kind, results in (("graphql", graphql), ("baseline", baseline)):
            r = results[name]
            print(
                f"{name:<28}{kind:<10}{r.rps:>8.0f}{r.p50:>8.1f}{r.p99:>8.1f}"
                f"{_ms(r.p99_corrected, 9, 1)}{r.errors:>7}"
                f"{'':>19}{_ms(r.cpu['app'])}{_ms(r.cpu['postgres'])} {_ms(r.cpu['generator'])}"
            )
        same = SAMPLES[name]["graphql"] == SAMPLES[name]["baseline"]
        ratio = graphql[name].rps / baseline[name].rps
        print(
            f"{'':<28}graphql/baseline throughput {ratio:.2f} (target >= 0.33: "
            f"{'met' if ratio >= 1 / 3 else 'MISSED'}); same JSON: {same}"
        )
    if "profile by identifier" not in graphql:
        return
    p99 = graphql["profile by identifier"].p99
    print(
        f"\nprofile by identifier p99 {p99:.1f} ms (target < 25 ms: "
        f"{'met' if p99 < 25 else 'MISSED'})"
    )
    if args.generator == "wrk":
        print(
            "p50/p99: the requests' own latencies; p99*: wrk's figure, corrected for "
            "coordinated omission (it adds the samples an open-loop client would have seen "
            "while a response was late)"
        )


if __name__ == "__main__":
    main()
