"""Ingest: the adapter SDK, built-in channel adapters, mapping files, pull and push runners.

Write an adapter with `Adapter` (files) or `HttpAdapter` (pulls), return an `Observation`
from `to_observation`, and run it with `run_ingest`; see docs/adapters.md.
"""

from __future__ import annotations

from ingest.adapter import CHANNELS, Adapter, RawRecord
from ingest.codec import loads
from ingest.cursor import Cursor, InvalidSortError
from ingest.errors import (
    AdapterConfigError,
    FatalAdapterError,
    IngestError,
    RetriableAdapterError,
    SkippableRecordError,
)
from ingest.http import RetryPolicy
from ingest.mapping import MappingAdapter, MappingSpec, load_mapping, parse_mapping
from ingest.observation import (
    Address,
    ConsentFact,
    EventFact,
    Fact,
    FeedbackFact,
    Identifier,
    InteractionFact,
    Observation,
    OrderFact,
    OrderItemFact,
    Person,
)
from ingest.pull import HttpAdapter
from ingest.quarantine import (
    QuarantineCount,
    QuarantinedRecord,
    ReplaySummary,
    count_quarantine,
    dismiss_quarantine,
    list_quarantine,
    replay_quarantine,
)
from ingest.registry import ADAPTERS, available_adapters, get_adapter
from ingest.runner import (
    REFUSED_BY_DATABASE,
    IngestSummary,
    OnBatch,
    PushPart,
    PushResult,
    SplitGroup,
    ingest_push,
    ingest_pushes,
    push_refused,
    run_ingest,
)
from ingest.sources import (
    SourceConfig,
    build_adapter,
    load_channels,
    load_sources,
    phone_region_of,
)
from ingest.state import SourceRef, ensure_source
from ingest.world import POS_MAPPING, ingest_world, world_adapters

__all__ = [
    "ADAPTERS",
    "CHANNELS",
    "POS_MAPPING",
    "REFUSED_BY_DATABASE",
    "Adapter",
    "AdapterConfigError",
    "Address",
    "ConsentFact",
    "Cursor",
    "EventFact",
    "Fact",
    "FatalAdapterError",
    "FeedbackFact",
    "HttpAdapter",
    "Identifier",
    "IngestError",
    "IngestSummary",
    "InteractionFact",
    "InvalidSortError",
    "MappingAdapter",
    "MappingSpec",
    "Observation",
    "OnBatch",
    "OrderFact",
    "OrderItemFact",
    "Person",
    "PushPart",
    "PushResult",
    "QuarantineCount",
    "QuarantinedRecord",
    "RawRecord",
    "ReplaySummary",
    "RetriableAdapterError",
    "RetryPolicy",
    "SkippableRecordError",
    "SourceConfig",
    "SourceRef",
    "SplitGroup",
    "available_adapters",
    "build_adapter",
    "count_quarantine",
    "dismiss_quarantine",
    "ensure_source",
    "get_adapter",
    "ingest_push",
    "ingest_pushes",
    "ingest_world",
    "list_quarantine",
    "load_channels",
    "load_mapping",
    "load_sources",
    "loads",
    "parse_mapping",
    "phone_region_of",
    "push_refused",
    "replay_quarantine",
    "run_ingest",
    "world_adapters",
]
