from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ingest.cursor import Cursor, InvalidSortError

T1, T2, T3 = "2026-01-01T00:00:00+00:00", "2026-01-02T00:00:00+00:00", "2026-01-03T00:00:00+00:00"


def test_sorted_cursor_checkpoints_latest_value_mid_run() -> None:
    cursor = Cursor(start=None, is_sorted=True)

    cursor.observe(T1)
    cursor.observe(T2)

    assert cursor.checkpoint() == T2


def test_sorted_cursor_fails_loudly_when_a_value_goes_backwards() -> None:
    cursor = Cursor(start=None, is_sorted=True)
    cursor.observe(T2)

    with pytest.raises(InvalidSortError, match="went backwards"):
        cursor.observe(T1)


def test_unsorted_cursor_keeps_start_until_the_run_completes() -> None:
    cursor = Cursor(start=T1, is_sorted=False)

    cursor.observe(T3)
    cursor.observe(T2)

    assert cursor.checkpoint() == T1
    assert cursor.close() == T3


def test_saved_value_is_capped_at_the_run_start_when_source_runs_ahead() -> None:
    signpost = datetime(2026, 1, 2, tzinfo=UTC)
    cursor = Cursor(start=None, is_sorted=True, signpost=signpost)

    cursor.observe(T3)

    assert cursor.checkpoint() == signpost.isoformat()


def test_nothing_observed_keeps_the_start_when_closing() -> None:
    assert Cursor(start=T1, is_sorted=True).close() == T1
