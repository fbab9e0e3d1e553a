"""The one definition of what a raw record must be before an adapter reads it, and how any
text (or bytes) is kept in quarantine.

    problem = record_problem(value, raw)      # None, or (reason, field)
    text, data = storable(raw)                # for the quarantine's `raw` / `raw_bytes`

A record read from a file, a pulled page or a push request is refused (quarantined with the
reason) when it is larger than `MAX_RECORD_BYTES`, is not a JSON object, holds bytes that are
not UTF-8, a NUL character (PostgreSQL stores neither in text nor in jsonb), a lone surrogate
(not Unicode), or is nested deeper than `MAX_DEPTH` levels. The costly walk over the value only
runs when a cheap look at the raw text says one of these may be there.
"""

from __future__ import annotations

import csv
from typing import Any

__all__ = [
    "MAX_DEPTH",
    "MAX_RECORD_BYTES",
    "Problem",
    "oversized",
    "record_problem",
    "safe_text",
    "storable",
    "utf8_problem",
]

MAX_RECORD_BYTES = 1_000_000
#: deeper than any real payload; far below what the parsers and PostgreSQL's jsonb can take
MAX_DEPTH = 64
Problem = tuple[str, str | None]  # (reason, the field to blame or None)

# A CSV field may be as long as a record may be (the csv module's default is 131,072).
csv.field_size_limit(MAX_RECORD_BYTES)


def oversized(size: int) -> str:
    return f"oversized record: {size} bytes, limit {MAX_RECORD_BYTES}"


def record_problem(value: Any, raw: str) -> Problem | None:
    """What makes this record unreadable, or None. `raw` is its text as received (or as
    written back from the parsed value)."""
    if len(raw) > MAX_RECORD_BYTES:
        return oversized(len(raw)), None
    if type(value) is not dict:
        return f"expected a JSON object, got {type(value).__name__}", None
    if not raw.isascii():
        found = utf8_problem(raw)
        if found is not None:
            return found, None
    if "\\u" in raw or "\x00" in raw or raw.count("{") + raw.count("[") > MAX_DEPTH:
        return _walk(value)
    return None


def utf8_problem(text: str) -> str | None:
    """Says where `text` (decoded with `surrogateescape`) holds a byte that is not UTF-8, or
    a lone surrogate; None when it is valid Unicode."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        char = text[exc.start]
        if "\udc80" <= char <= "\udcff":
            byte = ord(char) - 0xDC00
            return f"invalid UTF-8: byte 0x{byte:02x} at character {exc.start}"
        return f"lone surrogate {char!r} at character {exc.start} (not valid Unicode)"
    return None


def _walk(value: Any) -> Problem | None:
    stack: list[tuple[str, Any, int]] = [("", value, 1)]
    while stack:
        path, item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"nested deeper than {MAX_DEPTH} levels", path or None
        if type(item) is dict:
            for key, child in item.items():
                found = _string_problem(key)
                where = f"{path}.{key}" if path else str(key)
                if found is not None:
                    return f"{found} in a key", repr(where)
                stack.append((where, child, depth + 1))
        elif type(item) is list:
            stack.extend((f"{path}[{i}]", child, depth + 1) for i, child in enumerate(item))
        elif type(item) is str:
            found = _string_problem(item)
            if found is not None:
                return found, path or None
    return None


def _string_problem(text: str) -> str | None:
    if "\x00" in text:
        return "holds a NUL character (\\u0000), which cannot be stored"
    if not text.isascii():
        return utf8_problem(text)
    return None


def storable(raw: str | bytes) -> tuple[str, bytes | None]:
    """The quarantine's `(raw, raw_bytes)` for any text or bytes: plain UTF-8 text is kept as
    text (bytes None); anything else (a NUL, bytes that are not UTF-8, a lone surrogate) is
    kept exactly in the bytes, with a readable text beside it (`\\x00`, `\\xe9` escapes)."""
    if isinstance(raw, bytes):
        data = raw
    else:
        if "\x00" not in raw and (raw.isascii() or utf8_problem(raw) is None):
            return raw, None
        data = _encode(raw)
    if b"\x00" not in data:
        try:
            return data.decode("utf-8"), None
        except UnicodeDecodeError:
            pass
    readable = data.decode("utf-8", "backslashreplace").replace("\x00", "\\x00")
    return readable, data


def _encode(text: str) -> bytes:
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate that came from a JSON escape
        return text.encode("utf-8", "surrogatepass")


def safe_text(text: str) -> str:
    """`text` with anything a database text column refuses escaped (for positions, reasons)."""
    return storable(text)[0]
