"""Customer feedback as a first-class object (docs/feedback.md).

- `kinds`: the one definition of kinds, statuses, sentiment labels and status moves;
- `language`, `sentiment`, `taxonomy`, `analysis`: what a text says (pure, no downloads);
- `service`: submitting feedback for a profile; `workflow`: status, assignee, history;
- `batch`: analysing rows ingest stored; `queries`, `analytics`: lists and figures in SQL;
- `evaluation`: accuracy against the labelled samples (benchmarks/feedback.py).

Functions that touch the database take the caller's session and never commit.
"""

from __future__ import annotations

from cdp.feedback.analysis import Analysis, analyze, refine_kind
from cdp.feedback.kinds import FEEDBACK_KINDS, FEEDBACK_STATUSES, SENTIMENT_LABELS
from cdp.feedback.taxonomy import Taxonomy, TaxonomyError, default_taxonomy

__all__ = [
    "FEEDBACK_KINDS",
    "FEEDBACK_STATUSES",
    "SENTIMENT_LABELS",
    "Analysis",
    "Taxonomy",
    "TaxonomyError",
    "analyze",
    "default_taxonomy",
    "refine_kind",
]
