"""Golden records: the cost of survivorship by unit against the per-attribute rule it replaced.

    .venv/bin/python benchmarks/survivorship.py --records 100000

Builds `PersonRecord`s from the synthetic world (seed 7) with their raw values, groups them by
the true person (what a resolved profile holds), and times, in the same run, best of three:

- baseline: one value per attribute from the normalised features (most frequent, then most
  recent, then the record key), the rule before survivorship by unit;
- ours: `identity.survivorship.golden_record` with the default model's rules.

It also reports the memory `PersonRecord.raw` adds (tracemalloc, records built with and
without it). Figures are CPU seconds; say how busy the machine was (`uptime`).
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import tracemalloc
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if not __package__:  # run as a file: keep this script from shadowing the packages
    sys.path[0] = str(Path(__file__).resolve().parents[1])

import identity.records as records_module
from cdp.normalize import normalize_identifiers
from cdp.synthetic import iter_records, people_for_records
from identity.defaults import default_model
from identity.records import FEATURES, PersonRecord, from_attributes
from identity.survivorship import golden_record

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def per_attribute(records: Sequence[PersonRecord]) -> dict[str, Any]:
    """The rule before, whole: each feature's most frequent normalised value on its own, the
    identifiers, the channel count and the seen dates."""
    out: dict[str, Any] = {}
    for name in FEATURES:
        candidates = [(v, r) for r in records if (v := r.feature(name)) is not None]
        if candidates:
            counts = Counter(v for v, _ in candidates)
            out[name] = max(
                candidates, key=lambda c: (counts[c[0]], c[1].occurred_at or _EPOCH, c[1].key)
            )[0]
    ids: dict[str, list[str]] = {}
    for record in records:
        for kind, value in record.identifiers:
            if value not in ids.setdefault(kind, []):
                ids[kind].append(value)
    out["identifiers"] = {k: sorted(v) for k, v in sorted(ids.items())}
    seen = [r.occurred_at for r in records if r.occurred_at is not None]
    out["seen"] = (min(seen), max(seen)) if seen else None
    out["channels"] = len({r.channel for r in records if r.channel})
    return out


def _records(count: int, attributes: list[dict[str, Any]]) -> list[PersonRecord]:
    return [from_attributes(i, f"r{i}", a) for i, a in enumerate(attributes[:count])]


def _raw_memory(attributes: list[dict[str, Any]]) -> tuple[float, float]:
    """MB held by records built with and without their raw values."""
    sizes = []
    keep = records_module._raw
    for raw in (True, False):
        records_module._raw = keep if raw else (lambda values: "")
        gc.collect()
        tracemalloc.start()
        built = _records(len(attributes), attributes)
        sizes.append(tracemalloc.get_traced_memory()[0] / 1e6)
        tracemalloc.stop()
        del built
    records_module._raw = keep
    return sizes[0], sizes[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    args = parser.parse_args(argv)
    groups: dict[str, list[PersonRecord]] = defaultdict(list)
    attributes = []
    world = iter_records(people=people_for_records(args.records), seed=7, limit=args.records)
    for i, record in enumerate(world):
        attributes.append(dict(record.attributes))
        groups[record.person_id].append(
            from_attributes(
                i,
                f"{record.adapter}:{record.external_id}",
                record.attributes,
                normalize_identifiers(record.identifiers),
                source=record.adapter,
                channel=record.channel,
                occurred_at=record.occurred_at,
            )
        )
    rules = default_model().survivorship
    timings = {}
    for label, build in (
        ("baseline (per attribute)", per_attribute),
        ("by unit (ours)", lambda g: golden_record(g, rules)),
    ):
        best = float("inf")
        for _ in range(3):
            started = time.process_time()
            for group in groups.values():
                build(group)
            best = min(best, time.process_time() - started)
        timings[label] = best
        print(f"{label:<26} {best:6.2f} s CPU for {args.records:,} records, {len(groups):,} people")
    ratio = timings["by unit (ours)"] / timings["baseline (per attribute)"]
    print(f"ratio ours / baseline: {ratio:.2f}")
    with_raw, without = _raw_memory(attributes)
    print(
        f"PersonRecords: {with_raw:.1f} MB with raw values, {without:.1f} MB without "
        f"(+{with_raw - without:.1f} MB)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
