"""Recommendations from purchase history (docs/recommendations.md).

- `signals`: what each profile bought (weight 1) or viewed (lower), as SQL;
- `compute`: the batch: product statistics and item-to-item scores, in the database;
- `recommend`: a profile's list, with explanations, consent and the fallback;
- `evaluation`: hit rate at k on each repeat customer's held-out last order, against the
  popularity baseline (benchmarks/recommend.py).

Functions take the caller's (sync) session and never commit.
"""

from __future__ import annotations

from cdp.recommend.compute import ComputeReport, RecommendSettings, compute
from cdp.recommend.recommend import (
    PERSONALISATION,
    Recommendation,
    Recommendations,
    recommend_for_profile,
)

__all__ = [
    "PERSONALISATION",
    "ComputeReport",
    "RecommendSettings",
    "Recommendation",
    "Recommendations",
    "compute",
    "recommend_for_profile",
]
