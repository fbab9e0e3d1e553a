"""The incremental cursor of a pull: what to resume from, testable without I/O.

Follows singer-sdk's bookmarks: a *sorted* source may checkpoint mid-run (every batch), and a
value going backwards is an error; an *unsorted* source keeps a progress marker and promotes
it only when the run completes. Either way the saved value is capped at the run's start time
(the "signpost"), so records that arrive late with an older timestamp are not skipped.

    cursor = Cursor(start="2026-01-01T00:00:00+00:00", is_sorted=True, signpost=run_started)
    for record in records:
        cursor.observe(record["updated_at"])
        ...
        state = cursor.checkpoint()   # saved with the batch's rows
    final = cursor.close()            # saved when the run completes
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from ingest.errors import FatalAdapterError
from ingest.fields import parse_timestamp

__all__ = ["Cursor", "InvalidSortError", "timestamp_key"]


class InvalidSortError(FatalAdapterError):
    """A source declared sorted sent a cursor value lower than one before it."""


def timestamp_key(value: str) -> datetime:
    return parse_timestamp(value, "cursor")


class Cursor:
    """Tracks cursor values seen in a run and decides what may be saved.

    Args:
        start: the saved value the run resumed from (None on a first run).
        is_sorted: whether records arrive in ascending cursor order.
        signpost: the run's start time; saved values never exceed it.
        key: turns a cursor value into something orderable (timestamps by default).
    """

    def __init__(
        self,
        *,
        start: str | None,
        is_sorted: bool,
        signpost: datetime | None = None,
        key: Callable[[str], Any] = timestamp_key,
    ) -> None:
        self.start = start
        self.is_sorted = is_sorted
        self.signpost = signpost
        self._key = key
        self._latest: str | None = None
        self._max: str | None = None

    def observe(self, value: str | None) -> None:
        """Note a cursor value; raises `InvalidSortError` if a sorted source goes back."""
        if value is None:
            return
        key = self._key(value)
        if self.is_sorted and self._latest is not None and key < self._key(self._latest):
            raise InvalidSortError(
                f"cursor went backwards from {self._latest!r} to {value!r} in a source declared "
                "sorted; declare is_sorted = False or fix the source's order"
            )
        self._latest = value
        if self._max is None or key > self._key(self._max):
            self._max = value

    def checkpoint(self) -> str | None:
        """The value safe to save now, mid-run: the latest seen if sorted, else the start."""
        if not self.is_sorted:
            return self.start
        return self._capped(self._max) or self.start

    def close(self) -> str | None:
        """The value to save when the run has completed: the maximum seen, capped."""
        return self._capped(self._max) or self.start

    def _capped(self, value: str | None) -> str | None:
        if value is None or self.signpost is None:
            return value
        if self._key(value) > self.signpost:
            return self.signpost.isoformat()
        return value
