"""A seeded synthetic population seen through every channel, with the truth of who is who.

Two views of the same world, with the same external ids:

- files in each channel's real format (`write_world`), for the demo and for ingest;
- a record-level view (`World.records`, `iter_records`) shaped like what ingest stores, for
  benchmarking identity resolution at scale without going through files.

See docs/synthetic.md for the population, the channels and every noise rate.
"""

from __future__ import annotations

from cdp.synthetic._files import write_world
from cdp.synthetic._model import (
    ADAPTERS,
    Address,
    NoiseCount,
    NoiseRates,
    Person,
    SyntheticRecord,
    WorldSummary,
)
from cdp.synthetic._population import CHINESE, DEFAULT_CHINESE_SHARE, PERIOD_END, PERIOD_START
from cdp.synthetic._store import POS_UTC_OFFSET
from cdp.synthetic._world import (
    RECORDS_PER_PERSON,
    Household,
    World,
    iter_records,
    people_for_records,
)

__all__ = [
    "ADAPTERS",
    "CHINESE",
    "DEFAULT_CHINESE_SHARE",
    "PERIOD_END",
    "PERIOD_START",
    "POS_UTC_OFFSET",
    "RECORDS_PER_PERSON",
    "Address",
    "Household",
    "NoiseCount",
    "NoiseRates",
    "Person",
    "SyntheticRecord",
    "World",
    "WorldSummary",
    "iter_records",
    "people_for_records",
    "write_world",
]
