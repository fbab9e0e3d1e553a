"""Golden record: one value per attribute chosen from a profile's records by a configurable
survivorship rule (`most_recent`, `most_frequent`, `source_priority`, `most_complete`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from identity.records import FEATURES, PersonRecord

__all__ = ["GoldenRecord", "golden_record"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DEFAULT = "most_frequent"


@dataclass(frozen=True)
class GoldenRecord:
    attributes: dict[str, Any]
    sources: dict[str, str]
    record_count: int
    channel_count: int
    first_seen_at: datetime | None
    last_seen_at: datetime | None


def _pick(
    candidates: list[tuple[str, PersonRecord]], strategy: str, priority: Mapping[str, int]
) -> tuple[str, PersonRecord]:
    if strategy == "most_recent":
        return max(candidates, key=lambda c: (c[1].occurred_at or _EPOCH, c[1].key))
    if strategy == "most_complete":
        return max(candidates, key=lambda c: (len(c[0]), c[1].occurred_at or _EPOCH, c[1].key))
    if strategy == "source_priority":
        return min(
            candidates,
            key=lambda c: (
                priority.get(c[1].source, len(priority)),
                -(c[1].occurred_at or _EPOCH).timestamp(),
                c[1].key,
            ),
        )
    counts = Counter(value for value, _ in candidates)
    return max(candidates, key=lambda c: (counts[c[0]], c[1].occurred_at or _EPOCH, c[1].key))


def golden_record(
    records: Sequence[PersonRecord],
    rules: Mapping[str, str],
    source_priority: Sequence[str] = (),
) -> GoldenRecord:
    """Choose every feature's surviving value; `sources` names the record key it came from."""
    priority = {name: i for i, name in enumerate(source_priority)}
    attributes: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name in FEATURES:
        candidates = [(value, r) for r in records if (value := r.feature(name)) is not None]
        if not candidates:
            continue
        value, record = _pick(candidates, rules.get(name, _DEFAULT), priority)
        attributes[name] = value
        sources[name] = record.key
    ids: dict[str, list[str]] = {}
    for record in records:
        for kind, value in record.identifiers:
            if value not in ids.setdefault(kind, []):
                ids[kind].append(value)
    attributes["identifiers"] = {k: sorted(v) for k, v in sorted(ids.items())}
    seen = [r.occurred_at for r in records if r.occurred_at is not None]
    return GoldenRecord(
        attributes=attributes,
        sources=sources,
        record_count=len(records),
        channel_count=len({r.channel for r in records if r.channel}),
        first_seen_at=min(seen) if seen else None,
        last_seen_at=max(seen) if seen else None,
    )
