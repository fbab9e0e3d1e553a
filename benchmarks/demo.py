"""How long `scripts/demo` takes from a fresh clone, and when run again.

    python3 benchmarks/demo.py [--repo .] [--no-baseline] [--cold]

Clones the repository (its committed HEAD) into a temporary directory and times, as a new
user would meet them:

1. `scripts/demo --no-serve` in the fresh clone: set-up (virtual environment, install) and
   the whole demo (world, ingest, resolution, traits, feedback, recommendations);
2. the same command again (set-up skipped, the world and database reused);
3. `scripts/demo` again until `/healthz` answers: the time to serving on a re-run;
4. the baseline, in the same run: step 1 with pip as the installer (`CDP_DEMO_INSTALLER=pip`)
   in a second clone (`--no-baseline` skips it).

`--cold` empties pip's and uv's caches for the run (as on a new machine, every package is
downloaded). It prints wall seconds, the CPU seconds of the processes (user + system, from
`getrusage` of the children: comparable on a busy machine when wall times are not) and the
load average before and after.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    cpu, started = _cpu(), time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed in {cwd}:\n{result.stderr[-3000:]}")
    return wall, _cpu() - cpu


def time_to_serve(cwd: Path, env: dict[str, str]) -> float:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    started = time.perf_counter()
    process = subprocess.Popen(
        ["./scripts/demo", "--port", str(port)],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                    if r.status == 200:
                        return time.perf_counter() - started
            except OSError:
                if process.poll() is not None:
                    sys.exit("scripts/demo stopped before serving")
                time.sleep(0.1)
    finally:
        process.terminate()
        process.wait(timeout=30)


def clone(repo: Path, into: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(repo), str(into)], check=True)
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, default=ROOT)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--cold", action="store_true", help="empty pip's and uv's caches")
    args = parser.parse_args()
    before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="cdp-demo-bench-") as tmp:
        env = {**os.environ}
        for name in ("VIRTUAL_ENV", "CDP_DATABASE_URL", "CDP_DEMO_INSTALLER"):
            env.pop(name, None)
        if args.cold:
            env.update(PIP_NO_CACHE_DIR="1", UV_CACHE_DIR=str(Path(tmp) / "uv-cache"))
        fresh = clone(args.repo, Path(tmp) / "fresh")
        rows = [
            ("fresh clone, --no-serve (uv)", *run(["./scripts/demo", "--no-serve"], fresh, env))
        ]
        rows.append(("run again, --no-serve", *run(["./scripts/demo", "--no-serve"], fresh, env)))
        rows.append(("run again, until /healthz answers", time_to_serve(fresh, env), float("nan")))
        if not args.no_baseline:
            baseline = clone(args.repo, Path(tmp) / "baseline")
            pip_env = {**env, "CDP_DEMO_INSTALLER": "pip"}
            command = ["./scripts/demo", "--no-serve"]
            rows.append(("baseline: fresh clone, pip", *run(command, baseline, pip_env)))
        shutil.rmtree(Path(tmp) / "uv-cache", ignore_errors=True)
    after = os.getloadavg()[0]
    print(f"load average {before:.1f} before, {after:.1f} after, on {os.cpu_count()} cores")
    print(f"{'':36}{'wall':>9}{'CPU':>9}")
    for label, wall, cpu in rows:
        cpu_text = "" if cpu != cpu else f"{cpu:8.1f}s"  # NaN: not measured
        print(f"{label:36}{wall:8.1f}s{cpu_text:>9}")
    if not args.no_baseline:
        print(f"set-up and demo, pip / uv: {rows[3][1] / rows[0][1]:.1f}x wall")


if __name__ == "__main__":
    main()
