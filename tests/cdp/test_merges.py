"""The one rule for following merged ids (used by the GraphQL services and identity)."""

from __future__ import annotations

from cdp.merges import MAX_MERGE_HOPS, survivor


def test_a_chain_of_merges_ends_at_the_profile_not_merged() -> None:
    merged = {"a": "b", "b": "c"}

    assert survivor("a", merged.get) == "c"
    assert survivor("c", merged.get) == "c"
    assert survivor("unknown", merged.get) == "unknown"


def test_a_cycle_or_an_endless_chain_stops() -> None:
    cycle = {"a": "b", "b": "a"}
    endless = {str(i): str(i + 1) for i in range(1000)}

    assert survivor("a", cycle.get) == "b"
    assert survivor("0", endless.get) == str(MAX_MERGE_HOPS)
