"""The one rule for following a merged profile id to its survivor.

A profile merged into another keeps resolving to it (`status = 'merged'`,
`merged_into_id` set); a survivor may itself be merged later, so ids are followed hop by hop.
A chain stops at a profile that is not merged, at a cycle (never written, but never looped
on), and after `MAX_MERGE_HOPS`. The GraphQL services (`cdp.services.profiles`) and
identity's explanations (`identity.explain`) both follow ids with it.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["MAX_MERGE_HOPS", "survivor"]

MAX_MERGE_HOPS = 32


def survivor(profile_id: str, merged_into: Callable[[str], str | None]) -> str:
    """The id `profile_id` stands for: `merged_into(id)` gives the id a profile was merged
    into, or None when it is not merged (or unknown: the caller decides what that means)."""
    seen = {profile_id}
    current = profile_id
    for _ in range(MAX_MERGE_HOPS):
        target = merged_into(current)
        if target is None or target in seen:
            return current
        seen.add(target)
        current = target
    return current
