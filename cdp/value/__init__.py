"""Customer value: computed traits per profile (purchases, RFM, value tier, predicted
lifetime value, lifecycle, engagement, loyalty), stored one typed column each in
`profile_traits` (docs/value.md).

A domain package: takes a session, never commits, imports no ingest, identity or schema.
`compute_traits` computes for some profiles or all; `refresh_step` is its entry in
`cdp.refresh.steps()`.
"""

from __future__ import annotations

from cdp.value.compute import TraitsReport, compute_traits, stale_profiles
from cdp.value.settings import ValueSettings, load_value_settings

__all__ = [
    "TraitsReport",
    "ValueSettings",
    "compute_traits",
    "load_value_settings",
    "stale_profiles",
]
