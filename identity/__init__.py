"""Identity resolution: deterministic and fuzzy matching of source records into unified,
explainable, reversible profiles.

The matching engine (records, comparisons, blocking, scoring, training, clustering,
survivorship) is pure functions over frozen dataclasses; `store`, `writer`, `service`,
`explain` and `overrides` read and write the database through a caller's `Session` and never
commit. The GraphQL layer calls these through `async_session.run_sync(lambda s: fn(s, ...))`.
"""

from __future__ import annotations

from identity._errors import (
    IdentityConflictError,
    IdentityError,
    InvalidInputError,
    ProfileNotFoundError,
    RecordNotFoundError,
)
from identity.comparisons import Comparison, ComparisonLevel
from identity.defaults import default_model
from identity.engine import (
    HOUSEHOLD_ONLY,
    POSSIBLE_MATCH,
    Link,
    LinkResult,
    SharedIdentifier,
    link_records,
)
from identity.explain import (
    LinkInfo,
    MergeInfo,
    PairReport,
    ProfileExplanation,
    RecordInfo,
    ReviewItem,
    compare,
    explain_profile,
    export_assignments,
    resolve_profile_id,
    review_list,
)
from identity.model import (
    BlockingRule,
    IdentifierRule,
    MatchModel,
    Veto,
    model_from_json,
)
from identity.model_file import describe_model, load_model_file
from identity.overrides import (
    ForbidResult,
    MergeResult,
    SplitResult,
    forbid_link,
    merge_profiles,
    split_profile,
)
from identity.records import PersonRecord, RecordTable, from_attributes
from identity.scoring import Contribution, MatchExplanation
from identity.service import (
    IncrementalResult,
    ResolveSummary,
    current_model,
    resolve,
    resolve_records,
)
from identity.usage import ModelUsage, model_usage

__all__ = [
    "HOUSEHOLD_ONLY",
    "POSSIBLE_MATCH",
    "BlockingRule",
    "Comparison",
    "ComparisonLevel",
    "Contribution",
    "ForbidResult",
    "IdentifierRule",
    "IdentityConflictError",
    "IdentityError",
    "IncrementalResult",
    "InvalidInputError",
    "Link",
    "LinkInfo",
    "LinkResult",
    "MatchExplanation",
    "MatchModel",
    "MergeInfo",
    "MergeResult",
    "ModelUsage",
    "PairReport",
    "PersonRecord",
    "ProfileExplanation",
    "ProfileNotFoundError",
    "RecordInfo",
    "RecordNotFoundError",
    "RecordTable",
    "ResolveSummary",
    "ReviewItem",
    "SharedIdentifier",
    "SplitResult",
    "Veto",
    "compare",
    "current_model",
    "default_model",
    "describe_model",
    "explain_profile",
    "export_assignments",
    "forbid_link",
    "from_attributes",
    "link_records",
    "load_model_file",
    "merge_profiles",
    "model_from_json",
    "model_usage",
    "resolve",
    "resolve_profile_id",
    "resolve_records",
    "review_list",
    "split_profile",
]
