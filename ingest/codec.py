"""JSON and COPY encoding on the ingest hot path (orjson, with the standard library as fallback).

    payload = loads(line)                 # a raw record's text -> Python value
    canonical(payload)                    # sorted compact UTF-8: what content_hash covers

orjson parses and encodes several times faster than `json`, but it differs in three places that
matter here, so those cases take the standard library path instead:

- integers beyond 64 bits: orjson *parses* them as floats (silently losing digits) and refuses
  to encode them; any text with a run of 19+ ASCII digits is parsed by `json`, and encoding
  falls back on `TypeError`;
- `NaN`/`Infinity` literals and lone surrogates: orjson refuses them, `json` accepts them, so a
  line orjson rejects is handed to `json.loads`, whose error (if any) is the one reported;
- float spelling: orjson writes `1e-7` where `json` writes `1e-07`; the content hash therefore
  differs from the pre-orjson one for payloads holding such floats (a re-ingest of those
  records counts once as a replacement, never as a loss).
"""

from __future__ import annotations

import json
from typing import Any

import orjson

__all__ = ["canonical", "dumps", "loads"]

# A run of 19 digits, found by mapping every ASCII digit to "0" and searching for 19 zeros:
# about 0.7 us per Segment line against 5-6 us for the regex `[0-9]{19}` (JSON numbers are
# ASCII digits, and UTF-8 never puts an ASCII byte inside a multi-byte character).
_DIGITS_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_RUN = b"0" * 19
_SORTED = orjson.OPT_SORT_KEYS
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=str)


def loads(text: str) -> Any:
    """Parse JSON text exactly as `json.loads` would (raises `json.JSONDecodeError`)."""
    if not _has_long_digit_run(text):
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass  # NaN, Infinity, surrogates... or malformed: `json` decides and explains
    return json.loads(text)


def _has_long_digit_run(text: str) -> bool:
    data = text.encode("utf-8", "surrogatepass")
    return data.translate(_DIGITS_TO_ZERO).find(_LONG_RUN) >= 0


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
