"""The demo world's files (docs/formats.md) as sources: one call ingests them all.

    summaries = ingest_world(session_factory, Path("world"), on_batch=resolve_ids)

Each file family goes to its own source (`web`, `email`, `shop`, `pos`, `leads`, `x`) through
its adapter; the point-of-sale CSV is read with `store/pos-mapping.toml` when the world has
one, else with the packaged `POS_MAPPING` (the same file as `examples/mappings/pos.toml`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from ingest.adapter import Adapter
from ingest.errors import AdapterConfigError
from ingest.mapping import MappingAdapter, load_mapping
from ingest.registry import get_adapter
from ingest.runner import IngestSummary, OnBatch, OnProgress, run_ingest

__all__ = [
    "POS_MAPPING",
    "SURVEY_MAPPING",
    "WORLD_SOURCES",
    "WorldSource",
    "ingest_world",
    "world_adapters",
]

POS_MAPPING = Path(__file__).parent / "mappings" / "pos.toml"
# A typical NPS / CSAT survey export (the demo writes one from its customers).
SURVEY_MAPPING = Path(__file__).parent / "mappings" / "survey.toml"


@dataclass(frozen=True)
class WorldSource:
    source: str
    adapter: str | None  # None: the POS mapping file
    pattern: str


WORLD_SOURCES = (
    WorldSource("web", "web.segment", "web/segment-events.jsonl"),
    WorldSource("email", "email.sendgrid", "email/sendgrid-events.json"),
    WorldSource("shop", "store.shopify", "store/shopify-orders-*.json"),
    WorldSource("pos", None, "store/pos-receipts.csv"),
    WorldSource("leads", "social.meta_leads", "social/meta-leads-*.json"),
    WorldSource("x", "social.x_mentions", "social/x-mentions-*.json"),
)


def _natural(path: Path) -> list[object]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)]


def world_adapters(world: Path) -> list[tuple[str, Adapter]]:
    """(source name, adapter with its files) for every file family present in `world`."""
    if not world.is_dir():
        raise AdapterConfigError(f"no world directory at {str(world)!r}")
    found: list[tuple[str, Adapter]] = []
    for spec in WORLD_SOURCES:
        files = sorted(world.glob(spec.pattern), key=_natural)
        if not files:
            continue
        if spec.adapter is None:
            own = world / "store" / "pos-mapping.toml"
            mapping = load_mapping(own if own.is_file() else POS_MAPPING)
            found.append((spec.source, MappingAdapter(mapping, files=files)))
        else:
            found.append((spec.source, get_adapter(spec.adapter)({}, files=files)))
    if not found:
        expected = ", ".join(spec.pattern for spec in WORLD_SOURCES)
        raise AdapterConfigError(f"no demo-world files in {str(world)!r}; expected {expected}")
    return found


def ingest_world(
    session_factory: sessionmaker[Session],
    world: Path,
    *,
    on_batch: OnBatch | None = None,
    on_progress: OnProgress | None = None,
    default_region: str = "US",
) -> list[IngestSummary]:
    """Ingest every file family of the world, one source each; returns one summary each."""
    return [
        run_ingest(
            session_factory,
            adapter,
            source=name,
            on_batch=on_batch,
            on_progress=on_progress,
            default_region=default_region,
        )
        for name, adapter in world_adapters(world)
    ]
