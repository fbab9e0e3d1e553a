"""The data that moves through the ingest pipeline: a raw record as read, a record prepared to be
written, a record refused with its reason. A leaf module: the readers, the store and the
pipeline all import it, and it imports none of them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from ingest.observation import Observation

__all__ = ["PreparedRecord", "QuarantineEntry", "RawRecord"]


class RawRecord(NamedTuple):
    """One record as read, before interpretation.

    `payload` is the record (a JSON object) or None when it could not be read at all, in which
    case `error` says why. `raw` is the text as received, kept for quarantine. `position` says
    where it came from (`file.jsonl:12`, `page 3 #5`). (A named tuple: one is built per line
    read, and it costs a third of a frozen dataclass.)
    """

    position: str
    payload: Mapping[str, Any] | None
    raw: str
    error: str | None = None


class PreparedRecord(NamedTuple):
    """An observation made ready to write: payload, hash, normalised identifiers.

    A named tuple rather than a frozen dataclass: one is built per record, and a frozen
    dataclass's `__init__` (one `object.__setattr__` per field) costs several times more.
    """

    observation: Observation
    payload: Mapping[str, Any]
    payload_json: str
    content_hash: str
    identifiers: tuple[tuple[str, str, str], ...]  # (kind, value, raw_value)
    junk_identifiers: int
    #: the record as read: what goes to quarantine if the database refuses this one
    source: RawRecord | None = None


@dataclass(frozen=True)
class QuarantineEntry:
    position: str
    raw: str
    reason: str
    field: str | None = None
    #: the record's natural key when it could be read (its later arrival resolves the entry)
    key: str | None = None
