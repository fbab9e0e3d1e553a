"""Types for identity: how a profile was built, why two records or profiles are (not) one
person, the review list, and the results of merges, splits and forbidden links."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

import identity
from schema._access import mask_compared, mask_evidence
from schema._context import Context
from schema._profile import Profile
from schema._results import Conflict, Forbidden, InvalidInput, NotFound

Info = strawberry.Info[Context, None]


async def _profile(info: Info, profile_id: str | None) -> Profile | None:
    if profile_id is None:
        return None
    found = await info.context.loaders.profile.load(profile_id)
    if found is None:
        return None
    return Profile.from_model(found.profile, masked=info.context.is_masked)


@strawberry.type(description="A source record that is part of a profile.")
class RecordSummary:
    record_id: strawberry.ID = strawberry.field(description="The record's id.")
    source: str = strawberry.field(description="The source it came from.")
    external_id: str = strawberry.field(description="Its id at the source.")
    kind: str = strawberry.field(description="What kind of record it is.")
    occurred_at: datetime | None = strawberry.field(description="When it happened.")


@strawberry.type(description="A decision about two records, with its evidence.")
class IdentityLink:
    link_id: strawberry.ID = strawberry.field(description="The link's id.")
    left_record_id: strawberry.ID = strawberry.field(description="One record.")
    right_record_id: strawberry.ID = strawberry.field(description="The other record.")
    method: str = strawberry.field(
        description="`identifier` (a shared strong identifier) or `fuzzy` (Fellegi-Sunter)."
    )
    rule: str = strawberry.field(description="The identifier rule or model that linked them.")
    decision: str = strawberry.field(
        description="`accepted` (merged), `review`, `rejected` or `set_aside` (a limit)."
    )
    score: float | None = strawberry.field(description="Match weight (log2 Bayes factor).")
    probability: float | None = strawberry.field(description="Match probability.")
    reason: str | None = strawberry.field(
        description="Why: the limit a set-aside link would break, or how a possible match ended."
    )
    evidence: JSON = strawberry.field(description="Shared identifiers, or per-field weights.")
    model_version: str | None = strawberry.field(description="The model that scored it.")
    created_at: datetime = strawberry.field(description="When it was decided.")


@strawberry.type(description="How a profile was built from its records.")
class ProfileExplanation:
    profile_id: strawberry.ID = strawberry.field(description="The (surviving) profile.")
    requested_id: strawberry.ID = strawberry.field(description="The id asked about.")
    status: str = strawberry.field(description="The profile's status.")
    records: list[RecordSummary] = strawberry.field(description="Its records.")
    links: list[IdentityLink] = strawberry.field(
        description="Links between its records and others (accepted, review, set aside)."
    )
    history: JSON = strawberry.field(description="Its merges and splits, oldest first.")

    @strawberry.field(description="The profile itself.")
    async def profile(self, info: Info) -> Profile | None:
        return await _profile(info, str(self.profile_id))

    @classmethod
    def from_result(cls, found: identity.ProfileExplanation, *, masked: bool) -> ProfileExplanation:
        return cls(
            profile_id=strawberry.ID(found.profile_id),
            requested_id=strawberry.ID(found.requested_id),
            status=found.status,
            records=[
                RecordSummary(
                    record_id=strawberry.ID(str(r.record_id)),
                    source=r.source,
                    external_id=r.external_id,
                    kind=r.kind,
                    occurred_at=r.occurred_at,
                )
                for r in found.records
            ],
            links=[link_from(link, masked=masked) for link in found.links],
            history=JSON(
                [
                    {
                        "action": h.action,
                        "profile_id": h.profile_id,
                        "other_profile_id": h.other_profile_id,
                        "record_ids": list(h.record_ids),
                        "actor": h.actor,
                        "reason": h.reason,
                        "created_at": h.created_at.isoformat(),
                    }
                    for h in found.history
                ]
            ),
        )


def link_from(link: identity.LinkInfo, *, masked: bool) -> IdentityLink:
    return IdentityLink(
        link_id=strawberry.ID(str(link.link_id)),
        left_record_id=strawberry.ID(str(link.left_record_id)),
        right_record_id=strawberry.ID(str(link.right_record_id)),
        method=link.method,
        rule=link.rule,
        decision=link.decision,
        score=link.score,
        probability=link.probability,
        reason=link.reason,
        evidence=JSON(mask_evidence(link.evidence) if masked else link.evidence),
        model_version=link.model_version,
        created_at=link.created_at,
    )


@strawberry.type(description="One comparison's part in a match weight (a waterfall row).")
class Contribution:
    comparison: str = strawberry.field(description="The compared field, e.g. `email`.")
    label: str = strawberry.field(description="The level that applied, e.g. `exact email`.")
    level: int = strawberry.field(description="The level's index in its comparison.")
    weight: float = strawberry.field(description="log2(m/u) of the level.")
    m: float | None = strawberry.field(description="P(level | same person).")
    u: float | None = strawberry.field(description="P(level | different people).")
    tf_adjustment: float = strawberry.field(description="Term-frequency adjustment.")
    left_value: str | None = strawberry.field(description="Left value (masked for analysts).")
    right_value: str | None = strawberry.field(description="Right value (masked for analysts).")
    is_veto: bool = strawberry.field(description="This level forbids a match outright.")
    sentence: str = strawberry.field(description="The contribution in words.")


@strawberry.type(description="Why two records or profiles are, or are not, one person.")
class Comparison:
    left: str = strawberry.field(description="What was compared on the left.")
    right: str = strawberry.field(description="What was compared on the right.")
    same_profile: bool = strawberry.field(description="They are in one profile now.")
    pairs_compared: int = strawberry.field(description="Record pairs scored.")
    best_left_record: strawberry.ID = strawberry.field(description="Best pair, left record.")
    best_right_record: strawberry.ID = strawberry.field(description="Best pair, right record.")
    prior_weight: float = strawberry.field(description="The model's prior match weight.")
    contributions: list[Contribution] = strawberry.field(description="Weight per field.")
    total_weight: float = strawberry.field(description="Prior plus every contribution.")
    probability: float = strawberry.field(description="Match probability of the best pair.")
    decision: str = strawberry.field(description="What the model would decide for the pair.")
    model_version: str = strawberry.field(description="The model used.")
    shared_blocking_rules: list[str] = strawberry.field(
        description="Blocking rules that put the pair together for comparison."
    )
    kept_apart_by: list[str] = strawberry.field(
        description="What kept them apart: vetoes, negative evidence, limits, overrides."
    )

    @classmethod
    def from_report(cls, report: identity.PairReport, *, masked: bool) -> Comparison:
        explanation = report.explanation
        contributions = []
        reasons = list(report.kept_apart_by)
        for c in explanation.contributions:
            left, right = c.left_value, c.right_value
            if masked:
                left, right = mask_compared(c.comparison, left), mask_compared(c.comparison, right)
                reasons = [_replace_values(r, c, left, right) for r in reasons]
            contributions.append(
                Contribution(
                    comparison=c.comparison,
                    label=c.label,
                    level=c.level,
                    weight=c.weight,
                    m=c.m,
                    u=c.u,
                    tf_adjustment=c.tf_adjustment,
                    left_value=left,
                    right_value=right,
                    is_veto=c.is_veto,
                    sentence=c.sentence,
                )
            )
        return cls(
            left=report.left,
            right=report.right,
            same_profile=report.same_profile,
            pairs_compared=report.pairs_compared,
            best_left_record=strawberry.ID(str(report.best_left_record)),
            best_right_record=strawberry.ID(str(report.best_right_record)),
            prior_weight=explanation.prior_weight,
            contributions=contributions,
            total_weight=explanation.total,
            probability=explanation.probability,
            decision=explanation.decision,
            model_version=explanation.model_version,
            shared_blocking_rules=list(report.shared_blocking_rules),
            kept_apart_by=reasons if masked else list(report.kept_apart_by),
        )


def _replace_values(
    reason: str, c: identity.Contribution, left: str | None, right: str | None
) -> str:
    for raw, shown in ((c.left_value, left), (c.right_value, right)):
        if raw:
            reason = reason.replace(raw, shown or "")
    return reason


@strawberry.type(
    description="Two profiles that may be one person, waiting for a person to decide: the best "
    "possible-match link between them."
)
class ReviewItem:
    link_id: strawberry.ID = strawberry.field(description="The best link between the two.")
    left_record_id: strawberry.ID = strawberry.field(description="One record.")
    right_record_id: strawberry.ID = strawberry.field(description="The other record.")
    left_profile_id: strawberry.ID | None = strawberry.field(description="Its profile.")
    right_profile_id: strawberry.ID | None = strawberry.field(description="Its profile.")
    score: float | None = strawberry.field(description="Match weight.")
    probability: float | None = strawberry.field(description="Match probability.")
    evidence: JSON = strawberry.field(description="Per-field levels and weights.")
    link_count: int = strawberry.field(
        description="How many possible-match links join the two profiles (this item shows the "
        "best)."
    )
    reason: str | None = strawberry.field(
        description="Why it waits for a person rather than merging: too little weight (a "
        "possible match), or evidence that may never merge on its own (what a household "
        "shares)."
    )

    @strawberry.field(description="The left record's profile.")
    async def left_profile(self, info: Info) -> Profile | None:
        return await _profile(info, self.left_profile_id)

    @strawberry.field(description="The right record's profile.")
    async def right_profile(self, info: Info) -> Profile | None:
        return await _profile(info, self.right_profile_id)


@strawberry.type(description="The two profiles are one now.")
class ProfilesMerged:
    merged_profile_id: strawberry.ID = strawberry.field(
        description="The profile merged away; its id now resolves to the survivor."
    )
    record_count: int = strawberry.field(description="Records in the surviving profile.")
    profile_id: strawberry.Private[str]

    @strawberry.field(description="The surviving profile.")
    async def profile(self, info: Info) -> Profile | None:
        return await _profile(info, self.profile_id)


@strawberry.type(description="Records were split out into a new profile.")
class ProfileSplit:
    record_ids: list[strawberry.ID] = strawberry.field(description="The records that moved.")
    profile_id: strawberry.Private[str]
    new_profile_id: strawberry.Private[str]

    @strawberry.field(description="The profile that was split.")
    async def profile(self, info: Info) -> Profile | None:
        return await _profile(info, self.profile_id)

    @strawberry.field(description="The new profile holding the moved records.")
    async def new_profile(self, info: Info) -> Profile | None:
        return await _profile(info, self.new_profile_id)


@strawberry.type(description="The two records will never be linked by automatic runs.")
class LinkForbidden:
    left_record_id: strawberry.ID = strawberry.field(description="One record.")
    right_record_id: strawberry.ID = strawberry.field(description="The other record.")
    shares_profile: bool = strawberry.field(
        description="They are still in one profile: split it to separate them now."
    )
    profile_id: strawberry.ID | None = strawberry.field(description="That shared profile.")


ExplainResult = Annotated[
    ProfileExplanation | NotFound,
    strawberry.union("ExplainResult", description="The explanation, or why there is none."),
]
CompareResult = Annotated[
    Comparison | NotFound | InvalidInput,
    strawberry.union("CompareResult", description="The comparison, or why there is none."),
]
MergeProfilesResult = Annotated[
    ProfilesMerged | NotFound | Conflict | InvalidInput | Forbidden,
    strawberry.union("MergeProfilesResult", description="Merged, or why not."),
]
SplitProfileResult = Annotated[
    ProfileSplit | NotFound | Conflict | InvalidInput | Forbidden,
    strawberry.union("SplitProfileResult", description="Split, or why not."),
]
ForbidLinkResult = Annotated[
    LinkForbidden | NotFound | Conflict | InvalidInput | Forbidden,
    strawberry.union("ForbidLinkResult", description="Forbidden, or why not."),
]
