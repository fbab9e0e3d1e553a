"""The pure linking pipeline: identifiers, blocking, scoring, constrained clustering.

`link_records` takes a `RecordTable` (new records, plus stored records already in profiles
when resolving incrementally) and returns clusters of row positions and every link decision
with its evidence. No database: the store module feeds it and writes its result.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from identity.blocking import BlockingReport, candidate_pairs
from identity.clustering import ConstrainedUnionFind
from identity.consistency import TWO_BIRTH_DATES, conflicting_dates
from identity.model import IdentifierRule, MatchModel
from identity.records import RecordTable, canonical_given_name
from identity.scoring import ScoredPairs, eligible, level_weight, probability, score_pairs

__all__ = [
    "DUPLICATE_FREE",
    "HOUSEHOLD_ONLY",
    "NAMES_ONLY",
    "POSSIBLE_MATCH",
    "SOLE_CANDIDATE",
    "Link",
    "LinkResult",
    "SharedIdentifier",
    "fuzzy_evidence",
    "link_records",
    "one_per_person_values",
    "without_same_source_pairs",
]

_ALL_PAIRS_GROUP = 30
_SOLE_CANDIDATE_RECORDS = 1
"""A possible match joins when each side is the other's only candidate and one side is at
most this many records: a fragment is attached, two established profiles are not joined."""
SOLE_CANDIDATE = "possible match, and each is the other's only candidate"
POSSIBLE_MATCH = "possible match: below the match threshold"
HOUSEHOLD_ONLY = (
    "only what a household shares agrees (family name, address, phone): a given name or a "
    "birth date must too"
)
NAMES_ONLY = "only the names agree, and names alone do not suffice"
DUPLICATE_FREE = "record of duplicate-free source"
"""The one-per-person kind that keeps two records of one duplicate-free source apart."""
Index = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Link:
    """A decision about two records (row positions), with why."""

    left: int
    right: int
    method: str
    rule: str
    decision: str
    score: float | None = None
    probability: float | None = None
    reason: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SharedIdentifier:
    """An identifier value seen on more people than its rule allows: not a merge key."""

    kind: str
    value: str
    people: int
    records: int


@dataclass(frozen=True)
class LinkResult:
    clusters: list[list[int]]
    links: list[Link]
    blocking: BlockingReport
    shared_identifiers: list[SharedIdentifier]
    scored: ScoredPairs


EvidenceLevels = list[tuple[str, list[dict[str, Any]]]]


def evidence_levels(model: MatchModel) -> EvidenceLevels:
    """Each comparison's name and, per level, what a link's evidence says of it."""
    return [
        (
            comparison.output_name,
            [
                {"label": level.label, "weight": round(level_weight(level), 3)}
                for level in comparison.levels
            ],
        )
        for comparison in model.comparisons
    ]


def fuzzy_evidence(
    model: MatchModel,
    scored: ScoredPairs,
    i: int,
    levels: EvidenceLevels | None = None,
    shared: dict[bytes, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The evidence of pair `i` (`levels`: `evidence_levels(model)`, computed once for many
    pairs; `shared`: the levels part of the evidence by comparison vector, one dict for all
    pairs with that vector, which a million links otherwise held a copy each of: read it,
    never change it)."""
    levels = levels if levels is not None else evidence_levels(model)
    row = scored.gamma[i]
    key = row.tobytes()
    found = shared.get(key) if shared is not None else None
    if found is None:
        found = {
            name: dict(options[g]) for (name, options), g in zip(levels, row.tolist(), strict=True)
        }
        if shared is not None:
            shared[key] = found
    total = round(float(scored.total[i]), 3)
    return {"levels": found, "total": total, "model_version": model.version}


def one_per_person_values(table: RecordTable, model: MatchModel) -> dict[int, dict[str, str]]:
    """Each record's one-per-person identifier values (kind -> value), by row position: what
    constrains clustering, since no profile may hold two values of one such kind."""
    kinds = {r.kind for r in model.identifier_rules if r.one_per_person}
    out: dict[int, dict[str, str]] = {}
    for pos, record in enumerate(table.records):
        values = {kind: value for kind, value in record.identifiers if kind in kinds}
        if values:
            out[pos] = values
    return out


def _groups(table: RecordTable, kinds: set[str]) -> dict[str, dict[str, list[int]]]:
    groups: dict[str, dict[str, list[int]]] = {kind: {} for kind in kinds}
    for pos, record in enumerate(table.records):
        for kind, value in record.identifiers:
            if kind in groups:
                groups[kind].setdefault(value, []).append(pos)
    return groups


def _people(
    table: RecordTable,
    members: list[int],
    exclusive: dict[int, dict[str, str]],
    rule: IdentifierRule,
) -> int:
    """How many distinct people carry a value: told apart by their one-per-person ids, and
    for guarded rules (email, phone) also by given name. Unguarded rules ignore names, whose
    typos would count one person twice."""
    signatures = set()
    for pos in members:
        ids = {k: v for k, v in exclusive.get(pos, {}).items() if k != rule.kind}
        if ids:
            signatures.add(tuple(sorted(ids.items())))
        elif rule.guarded:
            given = canonical_given_name(table.records[pos].given_name)
            if given:
                signatures.add((("given", given),))
    return len(signatures)


def _group_edges(members: list[int], rule: IdentifierRule) -> list[tuple[int, int]]:
    if rule.guarded and len(members) <= _ALL_PAIRS_GROUP:
        return [(a, b) for i, a in enumerate(members) for b in members[i + 1 :]]
    return [(members[0], other) for other in members[1:]]


@dataclass
class _State:
    table: RecordTable
    model: MatchModel
    uf: ConstrainedUnionFind
    stored_profile: list[str | None]
    with_evidence: bool
    links: list[Link] = field(default_factory=list)
    evidence_levels: EvidenceLevels = field(default_factory=list)
    evidence_shared: dict[bytes, dict[str, Any]] = field(default_factory=dict)

    def is_known(self, a: int, b: int) -> bool:
        # Two stored records were decided when they arrived; re-deciding them here would undo
        # a manual split. A new record can still bridge their profiles.
        return self.stored_profile[a] is not None and self.stored_profile[b] is not None


def link_records(
    table: RecordTable,
    model: MatchModel,
    *,
    never: Iterable[tuple[int, int]] = (),
    must: Iterable[tuple[int, int]] = (),
    extra_exclusive: Mapping[int, Mapping[str, str]] | None = None,
    candidates: tuple[tuple[Index, Index], BlockingReport] | None = None,
    with_evidence: bool = True,
    duplicate_free: frozenset[str] = frozenset(),
    vectors: npt.NDArray[np.int8] | None = None,
) -> LinkResult:
    """Cluster the records of `table` (positions); records with a `profile_id` are stored ones
    and stay together; pairs of two stored records are not re-decided. Records of a
    `duplicate_free` source (link-only mode) are never compared with, nor clustered with,
    another record of that source. `vectors`: the comparison vectors of `candidates`
    (computed for training), used where every candidate pair is scored."""
    never, must = list(never), list(must)
    exclusive = one_per_person_values(table, model)
    for pos, values in (extra_exclusive or {}).items():
        exclusive.setdefault(pos, {}).update(values)
    for pos, record in enumerate(table.records):
        if record.source in duplicate_free:
            # Like a one-per-person identifier: a cluster holds at most one such record.
            exclusive.setdefault(pos, {})[f"{DUPLICATE_FREE} {record.source}"] = record.key
    uf = ConstrainedUnionFind(len(table), exclusive, table.record_ids.tolist())
    uf.add_never(never)
    state = _State(table, model, uf, [r.profile_id for r in table.records], with_evidence)
    _join_stored(state)
    for a, b in must:
        uf.union(a, b, strict=False)
    (left, right), report = candidates or candidate_pairs(
        table, model.blocking_rules, model.max_block_size
    )
    given = len(left)
    left, right = without_same_source_pairs(table, (left, right), duplicate_free)
    fresh = np.fromiter(
        (not state.is_known(a, b) for a, b in zip(left, right, strict=True)), bool, len(left)
    )
    if vectors is not None and (len(left) != given or not fresh.all()):
        vectors = None  # not the pairs scored here
    scored = score_pairs(model, (table, table), (left[fresh], right[fresh]), vectors)
    # Two people whose records look alike (a household) must not be joined by a third record
    # that matches both.
    risky = scored.kept_apart & (scored.total >= model.review_weight)
    uf.add_cannot(zip(scored.left[risky].tolist(), scored.right[risky].tolist(), strict=True))
    shared = _identifier_links(state, exclusive)
    _fuzzy_links(state, scored, _known_across_profiles(state, left[~fresh], right[~fresh]))
    _keep_birth_dates_apart(state, exclusive, never, must)
    return LinkResult(state.uf.clusters(), state.links, report, shared, scored)


def _keep_birth_dates_apart(
    state: _State,
    exclusive: dict[int, dict[str, str]],
    never: list[tuple[int, int]],
    must: list[tuple[int, int]],
) -> None:
    """Clusters holding two people by their birth dates (`consistency.py`): their records are
    kept apart and the accepted links applied again in order; a link that would now join
    them is set aside (the weakest bridge, since links were accepted strongest first)."""
    profile = state.stored_profile

    def known(a: int, b: int) -> bool:
        return profile[a] is not None and profile[a] == profile[b]

    conflicts = conflicting_dates(state.table, state.model, state.uf, known)
    if not conflicts:
        return
    uf = ConstrainedUnionFind(len(state.table), exclusive, state.table.record_ids.tolist())
    uf.add_never(never)
    uf.add_cannot(state.uf.cannot_pairs())
    uf.add_cannot(conflicts, TWO_BIRTH_DATES)
    state.uf = uf
    _join_stored(state)
    for a, b in must:
        uf.union(a, b, strict=False)
    guarded = {rule.kind for rule in state.model.identifier_rules if rule.guarded}
    links = []
    for link in state.links:
        if link.decision == "accepted":
            strict = link.method != "identifier" or link.rule in guarded
            refused = uf.union(link.left, link.right, strict=strict)
            if refused is not None:
                link = replace(link, decision="set_aside", reason=refused.reason)
        links.append(link)
    state.links = links


def without_same_source_pairs(
    table: RecordTable, pairs: tuple[Index, Index], duplicate_free: frozenset[str]
) -> tuple[Index, Index]:
    """The candidate pairs less those of two records of one duplicate-free source: known
    non-matches, which neither training nor linking should see."""
    if not duplicate_free:
        return pairs
    sources = np.array([r.source if r.source in duplicate_free else "" for r in table.records])
    left_source, right_source = sources[pairs[0]], sources[pairs[1]]
    keep = (left_source == "") | (left_source != right_source)
    return pairs[0][keep], pairs[1][keep]


def _known_across_profiles(state: _State, left: Index, right: Index) -> ScoredPairs | None:
    """Candidate pairs of records in two different stored profiles, scored (incremental runs
    only: a full run has no stored profiles)."""
    if not len(left):
        return None
    profile = state.stored_profile
    across = np.fromiter(
        (profile[a] != profile[b] for a, b in zip(left.tolist(), right.tolist(), strict=True)),
        bool,
        len(left),
    )
    if not across.any():
        return None
    return score_pairs(state.model, (state.table, state.table), (left[across], right[across]))


def _join_stored(state: _State) -> None:
    first: dict[str, int] = {}
    for pos, profile_id in enumerate(state.stored_profile):
        if profile_id is None:
            continue
        anchor = first.setdefault(profile_id, pos)
        if anchor != pos:
            # `join`, not a direct write of the parent: the constraints recorded on every
            # record of the profile (never-links, one-per-person values) must follow its root.
            state.uf.join(anchor, pos)


def _identifier_links(
    state: _State, exclusive: dict[int, dict[str, str]]
) -> list[SharedIdentifier]:
    model, table = state.model, state.table
    rules = sorted(model.identifier_rules, key=lambda r: r.priority)
    groups = _groups(table, {r.kind for r in rules})
    shared: list[SharedIdentifier] = []
    for rule in rules:
        edges: list[tuple[int, int]] = []
        values: list[str] = []
        for value, members in sorted(groups[rule.kind].items()):
            if len(members) < 2:
                continue
            people = _people(table, members, exclusive, rule)
            if people > rule.max_people:
                shared.append(SharedIdentifier(rule.kind, value, people, len(members)))
                continue
            fresh = [e for e in _group_edges(members, rule) if not state.is_known(*e)]
            edges.extend(fresh)
            values.extend([value] * len(fresh))
        if edges:
            _apply_identifier_edges(state, rule, edges, values)
    return shared


def _apply_identifier_edges(
    state: _State, rule: IdentifierRule, edges: list[tuple[int, int]], values: list[str]
) -> None:
    model = state.model
    scores: npt.NDArray[np.float64] | None = None
    if rule.guarded:
        left = np.array([a for a, _ in edges], dtype=np.int64)
        right = np.array([b for _, b in edges], dtype=np.int64)
        scored = score_pairs(model, (state.table, state.table), (left, right))
        apart = scored.kept_apart
        keep = ~apart
        if scored.contradicted is not None:
            # A shared email or phone links what nothing else contradicts; where something
            # does (a birth date, another phone), the whole evidence decides, as for a fuzzy
            # link: namesakes are given one name-made address, relatives share one.
            keep &= ~scored.contradicted | (scored.total >= model.match_weight)
        # Two people sharing this value (a family email) must not be bridged by a third
        # record that carries it without a name.
        state.uf.add_cannot(zip(left[apart].tolist(), right[apart].tolist(), strict=True))
        kept = keep.tolist()
        edges = [e for e, k in zip(edges, kept, strict=True) if k]
        values = [v for v, k in zip(values, kept, strict=True) if k]
        scores = scored.total[keep]
    for i, (a, b) in enumerate(edges):
        if state.uf.find(a) == state.uf.find(b):
            continue  # already joined: the spanning links carry the evidence
        refused = state.uf.union(a, b, strict=rule.guarded)
        evidence = {"identifier": rule.kind, "value": values[i], "priority": rule.priority}
        score = float(scores[i]) if scores is not None else None
        if refused is None:
            state.links.append(
                Link(a, b, "identifier", rule.kind, "accepted", score, None, None, evidence)
            )
        else:
            state.links.append(
                Link(
                    a,
                    b,
                    "identifier",
                    rule.kind,
                    "set_aside",
                    score,
                    None,
                    refused.reason,
                    evidence,
                )
            )


def _fuzzy_links(state: _State, scored: ScoredPairs, known: ScoredPairs | None = None) -> None:
    model = state.model
    eligible = _eligible(model, scored)
    accepted = np.flatnonzero(eligible & (scored.total >= model.match_weight))
    accepted = accepted[np.argsort(-scored.total[accepted], kind="stable")]
    for i in accepted.tolist():
        a, b = int(scored.left[i]), int(scored.right[i])
        if state.uf.find(a) == state.uf.find(b) and not state.with_evidence:
            continue
        refused = state.uf.union(a, b, strict=True)
        decision, reason = ("accepted", None) if refused is None else ("set_aside", refused.reason)
        state.links.append(_fuzzy_link(state, scored, i, decision, reason))
    _sole_candidate_links(state, scored, eligible, known)
    is_match = eligible & (scored.total >= model.match_weight)
    review = np.flatnonzero(~scored.vetoed & ~is_match & (scored.total >= model.review_weight))
    for i in review.tolist():
        a, b = int(scored.left[i]), int(scored.right[i])
        if state.uf.find(a) != state.uf.find(b):
            reason = _review_reason(scored, eligible, i)
            state.links.append(_fuzzy_link(state, scored, i, "review", reason))


def _review_reason(scored: ScoredPairs, eligible: npt.NDArray[np.bool_], i: int) -> str:
    """Why a pair waits for a person: too little weight, or evidence that may never merge on
    its own (a pair of family members' records often weighs more than the threshold)."""
    if eligible[i]:
        return POSSIBLE_MATCH
    if scored.personal is not None and not scored.personal[i]:
        return HOUSEHOLD_ONLY
    return NAMES_ONLY


def _eligible(model: MatchModel, scored: ScoredPairs) -> npt.NDArray[np.bool_]:
    return eligible(model, scored)


def _sole_candidate_links(
    state: _State,
    scored: ScoredPairs,
    eligible: npt.NDArray[np.bool_],
    known: ScoredPairs | None,
) -> None:
    """A possible match (review band) joins a single record to a profile when each is the
    other's only possible match: no other profile comes close to either of them.

    Partners are counted over every eligible pair at or above the review weight whose two
    records are in different clusters after the accepted links (set-aside pairs included:
    a forbidden candidate still makes the choice ambiguous). `known` are pairs of stored
    records, which are not re-decided but count as partners, so an incremental run sees the
    ambiguity a full run would."""
    model, uf = state.model, state.uf
    possible = np.flatnonzero(eligible & (scored.total >= model.review_weight))
    partners: dict[int, set[int]] = {}
    best: dict[tuple[int, int], int] = {}
    for i in possible.tolist():
        ra, rb = uf.find(int(scored.left[i])), uf.find(int(scored.right[i]))
        if ra == rb:
            continue
        partners.setdefault(ra, set()).add(rb)
        partners.setdefault(rb, set()).add(ra)
        key = (min(ra, rb), max(ra, rb))
        if key not in best or scored.total[i] > scored.total[best[key]]:
            best[key] = i
    if known is not None and len(known):
        mask = _eligible(model, known) & (known.total >= model.review_weight)
        for a, b in zip(known.left[mask].tolist(), known.right[mask].tolist(), strict=True):
            ra, rb = uf.find(a), uf.find(b)
            if ra != rb:
                partners.setdefault(ra, set()).add(rb)
                partners.setdefault(rb, set()).add(ra)
    chosen = [
        i
        for (ra, rb), i in best.items()
        if len(partners[ra]) == 1
        and len(partners[rb]) == 1
        and min(uf.size[ra], uf.size[rb]) <= _SOLE_CANDIDATE_RECORDS
    ]
    chosen.sort(key=lambda i: (-scored.total[i], int(scored.left[i]), int(scored.right[i])))
    for i in chosen:
        refused = state.uf.union(int(scored.left[i]), int(scored.right[i]), strict=True)
        if refused is None:
            state.links.append(_fuzzy_link(state, scored, i, "accepted", SOLE_CANDIDATE))


def _fuzzy_link(
    state: _State, scored: ScoredPairs, i: int, decision: str, reason: str | None
) -> Link:
    total = float(scored.total[i])
    evidence = {}
    if state.with_evidence:
        if not state.evidence_levels:
            state.evidence_levels = evidence_levels(state.model)
        evidence = fuzzy_evidence(
            state.model, scored, i, state.evidence_levels, state.evidence_shared
        )
    return Link(
        int(scored.left[i]),
        int(scored.right[i]),
        "fuzzy",
        "fellegi_sunter",
        decision,
        total,
        probability(total),
        reason,
        evidence,
    )


def positions_of(records: Sequence[int], ids: Iterable[int]) -> list[int]:
    index = {record_id: pos for pos, record_id in enumerate(records)}
    return [index[i] for i in ids if i in index]
