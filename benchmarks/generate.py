"""Generate the synthetic world, or measure how fast its record view streams.

    python benchmarks/generate.py --people 2000 --seed 7 --out demo-world   # write the files
    python benchmarks/generate.py --scale                     # record view at 10k, 100k, 1M
    python benchmarks/generate.py --scale --sizes 10000,100000          # smaller, quicker

`--scale` runs each size in a fresh process (so each peak memory is its own) and prints
wall and CPU time (the machine is shared: CPU time is the steadier figure; records/s is per
CPU second), peak resident memory (and the same process's memory before generating, as the
baseline), and the CPU time per record relative to the smallest size measured in the same run:
a ratio near 1.0 means generation time grows linearly with the number of records.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from cdp.synthetic import DEFAULT_CHINESE_SHARE, World, people_for_records, write_world
from cdp.synthetic._names import name_table

DEFAULT_SIZES = (10_000, 100_000, 1_000_000)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--people", type=int, default=2000, help="people in the world")
    parser.add_argument("--seed", type=int, default=7, help="random seed (same seed, same world)")
    parser.add_argument("--out", type=Path, help="directory to write (must be empty)")
    parser.add_argument("--overwrite", action="store_true", help="replace what --out holds")
    parser.add_argument(
        "--chinese-share",
        type=float,
        default=DEFAULT_CHINESE_SHARE,
        help="share of households that are Chinese-locale people (0 gives the world without them)",
    )
    parser.add_argument("--scale", action="store_true", help="measure the record view by size")
    parser.add_argument(
        "--sizes",
        default=",".join(map(str, DEFAULT_SIZES)),
        help="record counts for --scale, comma-separated",
    )
    parser.add_argument("--measure-records", type=int, help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.measure_records:
            print(json.dumps(_measure(args.measure_records, args.seed)))
            return 0
        if args.scale:
            return _scale([int(size) for size in args.sizes.split(",")], args.seed)
        if args.out is None:
            parser.error("--out is required (or use --scale)")
        return _write(args.out, args.people, args.seed, args.overwrite, args.chinese_share)
    except (ValueError, FileExistsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def _write(out: Path, people: int, seed: int, overwrite: bool, chinese_share: float) -> int:
    summary = write_world(
        out, people=people, seed=seed, overwrite=overwrite, chinese_share=chinese_share
    )
    print(
        f"wrote {summary.records:,} records about {summary.people:,} people "
        f"({summary.households:,} households) to {summary.out_dir} in {summary.seconds:.1f}s"
    )
    for adapter, count in summary.records_by_adapter.items():
        print(f"  {adapter:<20} {count:>10,}")
    print(f"  {len(summary.files)} files; till times are UTC{summary.pos_utc_offset}")
    print(f"  {'noise':<16} {'opportunities':>13} {'expected':>9} {'applied':>8} {'rate':>6}")
    for kind, count in summary.noise.items():
        print(
            f"  {kind:<16} {count.opportunities:>13,} {count.expected:>9.1f} "
            f"{count.applied:>8,} {count.rate:>6.3f}"
        )
    print(f"peak RSS {_peak_rss_mb():.0f} MB")
    return 0


def _measure(records: int, seed: int) -> dict[str, float]:
    name_table()  # loaded once per process: part of the baseline, not of generation
    sum(1 for _ in World(people=100, seed=seed + 1).records())  # warm up the interpreter
    before = _peak_rss_mb()
    world = World(people=people_for_records(records), seed=seed)
    started, cpu_started = time.perf_counter(), time.process_time()
    count = sum(1 for _ in world.records())
    return {
        "records": count,
        "people": world.people_count,
        "seconds": time.perf_counter() - started,
        "cpu": time.process_time() - cpu_started,
        "rss_before_mb": before,
        "rss_peak_mb": _peak_rss_mb(),
    }


def _scale(sizes: list[int], seed: int) -> int:
    print(
        f"{'records':>10} {'people':>8} {'wall s':>7} {'cpu s':>6} {'records/s':>10} "
        f"{'peak RSS':>9} {'(before)':>9} {'cpu/record vs first':>20}"
    )
    baseline: float | None = None
    for size in sizes:
        command = [sys.executable, __file__, "--measure-records", str(size), "--seed", str(seed)]
        result = json.loads(
            subprocess.run(command, check=True, capture_output=True, text=True).stdout
        )
        per_record = result["cpu"] / result["records"]
        baseline = baseline or per_record
        print(
            f"{result['records']:>10,.0f} {result['people']:>8,.0f} {result['seconds']:>7.1f} "
            f"{result['cpu']:>6.1f} {result['records'] / result['cpu']:>10,.0f} "
            f"{result['rss_peak_mb']:>6.0f} MB {result['rss_before_mb']:>6.0f} MB "
            f"{per_record / baseline:>20.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
