"""Example queries for analysts (GraphiQL preloads them); `tests/schema/test_examples.py`
runs each against the schema so they never go stale."""

from __future__ import annotations

from importlib import resources

__all__ = ["example_queries"]


def example_queries() -> dict[str, str]:
    """File stem (`profile_360`, `seen_in_all_channels`, `why_merged`, `feedback_analytics`)
    to query text."""
    folder = resources.files("schema") / "examples"
    return {
        entry.name.removesuffix(".graphql"): entry.read_text(encoding="utf-8")
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".graphql")
    }
