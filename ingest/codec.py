"""JSON and COPY encoding on the ingest hot path (orjson, with the standard library as fallback).

    payload = loads(line)                 # a raw record's text -> Python value
    canonical(payload)                    # sorted compact UTF-8: what content_hash covers

orjson parses and encodes several times faster than `json`, but it differs in three places that
matter here, so those cases take the standard library path instead:

- integers beyond 64 bits: orjson *parses* them as floats (silently losing digits) and refuses
  to encode them; any line with a run of 19+ digits is parsed by `json`, and encoding falls
  back on `TypeError`;
- `NaN`/`Infinity` literals and lone surrogates: orjson refuses them, `json` accepts them, so a
  line orjson rejects is handed to `json.loads`, whose error (if any) is the one reported;
- float spelling: orjson writes `1e-7` where `json` writes `1e-07`; the content hash therefore
  differs from the pre-orjson one for payloads holding such floats (a re-ingest of those
  records counts once as a replacement, never as a loss).
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

__all__ = ["canonical", "dumps", "loads"]

_LONG_INT = re.compile(r"\d{19}")
_SORTED = orjson.OPT_SORT_KEYS
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=str)


def loads(text: str) -> Any:
    """Parse JSON text exactly as `json.loads` would (raises `json.JSONDecodeError`)."""
    if _LONG_INT.search(text) is None:
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass  # NaN, Infinity, surrogates... or malformed: `json` decides and explains
    return json.loads(text)


def canonical(payload: Any) -> bytes:
    """Sorted-key compact UTF-8 JSON of `payload` (what `content_hash` covers)."""
    try:
        return orjson.dumps(payload, option=_SORTED)
    except TypeError:  # integers beyond 64 bits, non-string keys
        return _CANONICAL.encode(payload).encode("utf-8", "surrogatepass")


def dumps(value: Any) -> str:
    """Compact JSON text (values JSON does not know are written with `str`)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return _COMPACT.encode(value)
