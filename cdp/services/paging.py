"""Keyset pages and opaque cursors, shared by every paginated read.

A cursor is the URL-safe base64 of a small JSON array: the sort key of the last row seen and
its id. Pages are keyset pages (`WHERE (key, id) < (:key, :id)`), so a page costs the same at
any depth and rows inserted meanwhile never shift a page.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from cdp.errors import InvalidInputError

__all__ = ["Page", "decode_cursor", "encode_cursor", "page_from_rows"]

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of rows, each with its cursor, and whether more rows follow."""

    items: list[T]
    cursors: list[str]
    has_next: bool

    @property
    def end_cursor(self) -> str | None:
        return self.cursors[-1] if self.cursors else None


def encode_cursor(*parts: object) -> str:
    values = [part.isoformat() if isinstance(part, datetime) else part for part in parts]
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(
    cursor: str, kinds: Sequence[type], *, nullable: Sequence[bool] | None = None
) -> list[Any]:
    """The parts of `cursor`, each converted to the given kind (`datetime`, `int` or `str`);
    a part marked `nullable` may be None."""
    allowed = nullable or [False] * len(kinds)
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or len(values) != len(kinds):
            raise ValueError(cursor)
        return [
            None if value is None and may_be_null else _convert(value, kind)
            for value, kind, may_be_null in zip(values, kinds, allowed, strict=True)
        ]
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InvalidInputError(
            "after", f"{cursor!r} is not a cursor this API issued; use an endCursor from a page"
        ) from None


def _convert(value: Any, kind: type) -> Any:
    if kind is datetime:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError(value)
        return moment
    if kind is int and isinstance(value, int) and not isinstance(value, bool):
        if not -(2**63) <= value < 2**63:
            raise ValueError(value)
        return value
    if kind is str and isinstance(value, str):
        return value
    if kind is float and isinstance(value, int | float):
        return float(value)
    raise ValueError(value)


def page_from_rows(rows: Sequence[T], first: int, cursor_of: Any) -> Page[T]:
    """A page from up to `first + 1` rows (the extra row only says that more follow)."""
    items = list(rows[:first])
    return Page(items=items, cursors=[cursor_of(row) for row in items], has_next=len(rows) > first)
