"""The one definition of feedback's kinds, statuses, sentiment labels and status workflow.

Ingest's mapping validation, the GraphQL enums and the services all read these tuples, so a
kind or status exists in one place. `comment` is the kind of free text whose kind its source
does not know (a social mention): analysis refines it to `complaint`, `question`,
`suggestion` or `praise` when the text says so (`cdp.feedback.analysis.refine_kind`).
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

__all__ = [
    "CLOSED_STATUSES",
    "COMMENT",
    "FEEDBACK_KINDS",
    "FEEDBACK_STATUSES",
    "KIND_DESCRIPTIONS",
    "NPS_BANDS",
    "SENTIMENT_LABELS",
    "STATUS_DESCRIPTIONS",
    "TRANSITIONS",
    "can_move",
]

KIND_DESCRIPTIONS: Final = MappingProxyType(
    {
        "complaint": "The customer reports a problem or is dissatisfied.",
        "suggestion": "An idea or request for something to change.",
        "question": "A question or request for information.",
        "praise": "The customer is pleased and says so.",
        "review": "A product or service review (usually with stars).",
        "survey": "A survey response: NPS (0-10) and/or CSAT (1-5), often with a comment.",
        "rating": "A bare star rating.",
        "comment": "Free text whose kind the source does not know (analysis may refine it).",
    }
)
#: Every kind a feedback row may have, in the order GraphQL lists them.
FEEDBACK_KINDS: Final[tuple[str, ...]] = tuple(KIND_DESCRIPTIONS)
COMMENT: Final = "comment"

STATUS_DESCRIPTIONS: Final = MappingProxyType(
    {
        "open": "New; nobody works on it yet.",
        "in_progress": "Someone works on it.",
        "resolved": "Dealt with; a resolution note says how.",
        "closed": "Nothing more to do (resolved and confirmed, or needs no action).",
    }
)
FEEDBACK_STATUSES: Final[tuple[str, ...]] = tuple(STATUS_DESCRIPTIONS)
CLOSED_STATUSES: Final = frozenset({"resolved", "closed"})

#: Allowed moves: work starts, ends, or is reopened; a closed item may only be reopened.
TRANSITIONS: Final = MappingProxyType(
    {
        "open": frozenset({"in_progress", "resolved", "closed"}),
        "in_progress": frozenset({"open", "resolved", "closed"}),
        "resolved": frozenset({"closed", "open", "in_progress"}),
        "closed": frozenset({"open"}),
    }
)

SENTIMENT_LABELS: Final[tuple[str, ...]] = ("positive", "neutral", "negative")

#: The NPS answer's groups (Reichheld's): scores from and to, both included.
NPS_BANDS: Final = MappingProxyType({"detractor": (0, 6), "passive": (7, 8), "promoter": (9, 10)})


def can_move(current: str, target: str) -> bool:
    """Whether a feedback item in status `current` may move to `target`."""
    return target in TRANSITIONS.get(current, frozenset())
