"""Generate a synthetic demo world: every channel's files plus `truth.csv`.

    python benchmarks/generate.py --people 2000 --seed 7 --out demo-world
    python benchmarks/generate.py --people 80000 --records-only   # time the record view only

Prints what was written (or generated), the time taken and the peak memory.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from pathlib import Path

from cdp.synthetic import World, write_world


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2000, help="people in the world")
    parser.add_argument("--seed", type=int, default=7, help="random seed (same seed, same world)")
    parser.add_argument("--out", type=Path, help="directory to write (must be empty)")
    parser.add_argument("--overwrite", action="store_true", help="replace what --out holds")
    parser.add_argument(
        "--records-only", action="store_true", help="stream the record view, write no files"
    )
    args = parser.parse_args(argv)
    try:
        if args.records_only:
            _records_only(args.people, args.seed)
            return 0
        if args.out is None:
            parser.error("--out is required unless --records-only is given")
        summary = write_world(
            args.out, people=args.people, seed=args.seed, overwrite=args.overwrite
        )
    except (ValueError, FileExistsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(
        f"wrote {summary.records:,} records about {summary.people:,} people "
        f"({summary.households:,} households) to {summary.out_dir} in {summary.seconds:.1f}s"
    )
    for adapter, count in summary.records_by_adapter.items():
        print(f"  {adapter:<20} {count:>10,}")
    print(f"  {len(summary.files)} files; till times are UTC{summary.pos_utc_offset}")
    print(f"peak RSS {_peak_rss_mb():.0f} MB")
    return 0


def _records_only(people: int, seed: int) -> None:
    world = World(people=people, seed=seed)
    tracemalloc.start()
    started = time.perf_counter()
    count = sum(1 for _ in world.records())
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"{count:,} records about {people:,} people in {seconds:.1f}s "
        f"({count / seconds:,.0f} records/s); peak traced memory {peak / 2**20:.0f} MB, "
        f"peak RSS {_peak_rss_mb():.0f} MB"
    )


if __name__ == "__main__":
    sys.exit(main())
