"""JSON and COPY encoding on the ingest hot path (orjson, with the standard library as fallback).

    payload = loads(line)                 # a raw record's text -> Python value
    canonical(payload)                    # sorted compact UTF-8: what content_hash covers

orjson parses and encodes several times faster than `json`, but it differs in three places that
matter here, so those cases take the standard library path instead:

- integers beyond 64 bits: orjson *parses* them as floats (silently losing digits) and refuses
  to encode them; any text with a run of 19+ ASCII digits is parsed by `json`, and encoding
  falls back on `TypeError`;
- `NaN`/`Infinity` literals and lone surrogates: orjson refuses them, so a line orjson rejects
  is handed to `json.loads`, whose error (if any) is the one reported; `NaN` and `Infinity`
  are not JSON (RFC 8259) and are refused here too (stored, they would silently become null);
- nesting: both parsers stop at about a thousand levels, `json` with a RecursionError, which is
  reported here as a `json.JSONDecodeError` like any other unreadable text;
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


def loads(text: str | bytes) -> Any:
    """Parse JSON text as `json.loads` would, refusing `NaN`/`Infinity` (raises
    `json.JSONDecodeError`, also for text nested too deeply to parse)."""
    if not _has_long_digit_run(text):
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass  # NaN, Infinity, surrogates... or malformed: `json` decides and explains
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        shown = text if isinstance(text, str) else text.decode("utf-8", "replace")
        raise json.JSONDecodeError("nested deeper than the parser can go", shown, 0) from None


def _refuse_constant(name: str) -> Any:
    raise json.JSONDecodeError(f"{name} is not a JSON value (RFC 8259)", name, 0)


def _has_long_digit_run(text: str | bytes) -> bool:
    data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
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
