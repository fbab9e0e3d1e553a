"""Activation benchmark: latency from a push's acknowledgement to its webhook delivery.

    .venv/bin/python benchmarks/activation.py [--url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
        [--rate 200] [--seconds 30] [--workers 1] [--kill-at 10] [--kill worker|server]
        [--no-kill]

Creates a throwaway PostgreSQL database and a cdp.toml declaring one webhook destination for
the event `Bench Event`, starts a signed-webhook receiver on 127.0.0.1 (in this process: it
verifies each signature and dedupes by webhook-id), `cdp serve --workers N` (embedded worker
off) and one `cdp worker`, then pushes one `track` call per event through the Segment
tracking API (`POST /v1/track`, a write key) at a steady `--rate` for `--seconds` (open loop:
each send is scheduled at its time, whatever earlier ones did). At `--kill-at` seconds it
kills the worker (`--kill worker`, the default) or the server (`--kill server`: acknowledged
pushes it had not resolved yet are pending records, which the new server's background
resolver takes when it starts) with SIGKILL and starts a new one a second later. Pushes sent
while the server is down fail (they were never acknowledged: a client retries them).

Prints: the push acknowledgement latency (the baseline: what the tracking API costs), the
latency from each push's acknowledgement to its first delivery at the receiver (p50, p90,
p99, max; also outside the kill window), the sustained push and delivery rates, and what the
receiver saw: delivered once, lost (acknowledged, never delivered), and sent twice (the
receiver dropped the copy by its idempotency key). Target on a 2-core machine: p99 < 1 s at
200 events/s, nothing lost. Also prints the machine's load average before and after.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, make_url, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cdp import migrate  # noqa: E402
from cdp.config import Settings  # noqa: E402
from cdp.db import create_db_engine, make_sessionmaker, unit_of_work  # noqa: E402
from cdp.services import keys  # noqa: E402
from ingest import ensure_source  # noqa: E402
from tests.activation.receivers import WebhookReceiver, serve  # noqa: E402

SECRET = "whsec_" + base64.b64encode(b"benchmark-secret-benchmark-secret").decode()
CDP = str(ROOT / ".venv" / "bin" / "cdp")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def _database(admin_url: str) -> tuple[str, Any]:
    admin = create_engine(
        make_url(admin_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    name = f"cdp_bench_activation_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(drivername="postgresql+psycopg", database=name)
    return url.render_as_string(hide_password=False), (admin, name)


def _drop(admin: Any, name: str) -> None:
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [CDP, "worker"], env=env, stderr=subprocess.DEVNULL, start_new_session=True
    )


def _start_server(env: dict[str, str], port: int, workers: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [CDP, "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: a kill takes its workers too
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--kill-at", type=float, default=10.0)
    parser.add_argument("--kill", choices=("worker", "server"), default="worker")
    parser.add_argument("--no-kill", action="store_true")
    args = parser.parse_args()
    load_before = os.getloadavg()
    url, (admin, name) = _database(args.url)
    tmp = Path(tempfile.mkdtemp(prefix="cdp-bench-activation-"))
    receiver = WebhookReceiver(SECRET)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        engine = create_db_engine(Settings(database_url=url))
        migrate.upgrade(engine)
        with unit_of_work(make_sessionmaker(engine)) as session:
            ensure_source(session, name="web", channel="web", adapter="web.segment", config={})
            key = keys.create_key(session, role="write", name="bench", source_name="web").key
        engine.dispose()
        with serve(receiver.app()) as receiver_url:
            toml = tmp / "cdp.toml"
            toml.write_text(
                f'[destinations.bench]\nkind = "webhook"\nurl = "{receiver_url}/hook"\n'
                'secret_env = "BENCH_HOOK_SECRET"\nevents = ["Bench Event"]\n'
                "rate_limit = 5000\n"
            )
            port = _free_port()
            env = {**os.environ, "CDP_DATABASE_URL": url, "CDP_SOURCES_FILE": str(toml),
                   "BENCH_HOOK_SECRET": SECRET, "CDP_EMBEDDED_WORKER": "false",
                   "CDP_LOG_LEVEL": "WARNING"}  # fmt: skip
            processes.append(_start_server(env, port, args.workers))
            worker = _start_worker(env)
            processes.append(worker)
            base = f"http://127.0.0.1:{port}"
            _wait_up(base)
            restart = {
                "worker": lambda: _start_worker(env),
                "server": lambda: _start_server(env, port, args.workers),
            }
            result = _run(args, base, key, receiver, restart, processes)
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
        _drop(admin, name)
    load_after = os.getloadavg()
    result["load_average_before"] = [round(x, 2) for x in load_before]
    result["load_average_after"] = [round(x, 2) for x in load_after]
    result["cores"] = os.cpu_count()
    print(json.dumps(result, indent=2))


def _wait_up(base: str) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit("cdp serve did not start within 180 s")


def _run(
    args: argparse.Namespace,
    base: str,
    key: str,
    receiver: WebhookReceiver,
    restart: dict[str, Any],
    processes: list[subprocess.Popen[bytes]],
) -> dict[str, Any]:
    total = int(args.rate * args.seconds)
    acked: dict[int, float] = {}
    ack_latency: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    clients = threading.local()

    def push(seq: int, at: float) -> None:
        delay = at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        client = getattr(clients, "client", None)
        if client is None:
            client = clients.client = httpx.Client(base_url=base, auth=(key, ""), timeout=30)
        message = {"messageId": f"bench-{seq}", "userId": f"bench-user-{seq % 1000}",
                   "event": "Bench Event", "timestamp": datetime.now(UTC).isoformat(),
                   "properties": {"seq": seq}}  # fmt: skip
        sent = time.monotonic()
        try:
            response = client.post("/v1/track", json=message)
        except httpx.HTTPError as exc:
            with lock:
                failures.append(f"{seq}: {exc}")
            return
        now_wall, now = time.time(), time.monotonic()
        with lock:
            if response.status_code == 200:
                acked[seq] = now_wall
                ack_latency.append(now - sent)
            else:
                failures.append(f"{seq}: HTTP {response.status_code} {response.text[:100]}")

    kill_window: tuple[float, float] | None = None
    start = time.monotonic()
    wall_start = time.time()
    with ThreadPoolExecutor(max_workers=64) as pool:
        futures = [pool.submit(push, seq, start + seq / args.rate) for seq in range(total)]
        if not args.no_kill:
            time.sleep(max(0.0, start + args.kill_at - time.monotonic()))
            which = 1 if args.kill == "worker" else 0
            os.killpg(processes[which].pid, signal.SIGKILL)
            processes[which].wait()
            killed = time.time()
            time.sleep(1.0)
            processes[which] = restart[args.kill]()
            kill_window = (killed - wall_start, time.time() - wall_start + 1.0)
        for future in futures:
            future.result()
    push_seconds = time.monotonic() - start
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        with receiver.lock:
            seen = {b["data"]["event"]["properties"]["seq"] for b in receiver.received.values()}
        if set(acked) <= seen:
            break
        time.sleep(0.2)
    with receiver.lock:
        arrivals = {
            body["data"]["event"]["properties"]["seq"]: receiver.arrival[key_]
            for key_, body in receiver.received.items()
        }
        duplicates = receiver.duplicates
        refused = len(receiver.refused)
    latencies = [arrivals[s] - acked[s] for s in acked if s in arrivals]
    outside = [
        arrivals[s] - acked[s]
        for s in acked
        if s in arrivals
        and (
            kill_window is None or not kill_window[0] - 1 <= acked[s] - wall_start <= kill_window[1]
        )
    ]
    last_arrival = max(arrivals.values(), default=wall_start)

    def summary(values: list[float]) -> dict[str, float]:
        return {
            "p50_ms": round(1000 * statistics.median(values), 1) if values else float("nan"),
            "p90_ms": round(1000 * _percentile(values, 0.90), 1),
            "p99_ms": round(1000 * _percentile(values, 0.99), 1),
            "max_ms": round(1000 * max(values), 1) if values else float("nan"),
        }

    return {
        "rate_asked_per_s": args.rate,
        "pushed": total,
        "acknowledged": len(acked),
        "push_failures": failures[:5],
        "push_failure_count": len(failures),
        "push_rate_per_s": round(len(acked) / push_seconds, 1),
        "delivery_rate_per_s": round(len(arrivals) / max(1e-9, last_arrival - wall_start), 1),
        "baseline_push_ack": summary(ack_latency),
        "ack_to_delivery": summary(latencies),
        "ack_to_delivery_outside_kill_window": summary(outside),
        "p99_ratio_delivery_to_push_ack": round(
            _percentile(latencies, 0.99) / max(1e-9, _percentile(ack_latency, 0.99)), 2
        ),
        "killed": None if kill_window is None else args.kill,
        "kill_window_s": None if kill_window is None else [round(x, 1) for x in kill_window],
        "delivered_once": len(arrivals),
        "lost": len(set(acked) - set(arrivals)),
        "sent_twice_dropped_by_key": duplicates,
        "refused_signatures": refused,
    }


if __name__ == "__main__":
    main()
