"""Expectation-maximisation of m (P(level | match)) over candidate pairs, u held fixed.

Identical comparison vectors are grouped first, so EM runs over a few thousand patterns
whatever the number of pairs. With households in the data, relatives are a third class (they
share what a family shares and agree on given name and birth date as strangers do), and m is
estimated per blocking rule with the rule's own comparisons left out (`estimate_m_by_rule`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from identity.blocking import block_keys
from identity.comparisons import Comparison
from identity.model import MatchModel
from identity.records import RecordTable
from identity.scoring import M_U_CLAMP_MAX, M_U_CLAMP_MIN

__all__ = ["clip", "estimate_m_by_em", "estimate_m_by_rule", "level_frequencies", "neutral"]

Index = npt.NDArray[np.int64]

MIN_SESSION_PAIRS = 100
"""A blocking rule whose key fewer candidate pairs share teaches too little on its own."""
_DERIVED_FROM = {"given_canonical": ("given_name",), "name_tokens": ("given_name", "family_name")}


def unique_rows(
    gamma: npt.NDArray[np.int8],
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The distinct comparison vectors (sorted as `np.unique(gamma, axis=0)` sorts them),
    each pair's index among them, and their counts. Each row is packed into one integer
    first: sorting a million integers, not a million rows of bytes."""
    width = [max(int(gamma[:, k].max(initial=0)).bit_length(), 1) for k in range(gamma.shape[1])]
    if sum(width) > 62 or (len(gamma) and int(gamma.min()) < 0):
        patterns, inverse, counts = np.unique(
            gamma, axis=0, return_inverse=True, return_counts=True
        )
        return patterns, inverse.reshape(-1), counts
    shifts = np.cumsum([0, *width[::-1]])[:-1][::-1]
    packed = np.zeros(len(gamma), dtype=np.int64)
    for k, shift in enumerate(shifts.tolist()):
        packed |= gamma[:, k].astype(np.int64) << shift
    keys, inverse, counts = np.unique(packed, return_inverse=True, return_counts=True)
    patterns = np.empty((len(keys), gamma.shape[1]), dtype=gamma.dtype)
    for k, shift in enumerate(shifts.tolist()):
        patterns[:, k] = (keys >> shift) & ((1 << width[k]) - 1)
    return patterns, inverse.reshape(-1), counts


def level_frequencies(
    gamma: npt.NDArray[np.int8],
    comparison: Comparison,
    k: int,
    weights: npt.NDArray[np.float64] | None = None,
) -> list[float]:
    n_levels = len(comparison.levels)
    counts = np.bincount(gamma[:, k], weights=weights, minlength=n_levels).astype(float)
    evidence = ~neutral(comparison)
    counts[evidence] += 0.5  # additive smoothing: an unseen level is rare, not impossible
    counts[~evidence] = 0.0  # missing or implied: no evidence either way
    return [float(x) for x in counts / counts.sum()]


def neutral(comparison: Comparison) -> npt.NDArray[np.bool_]:
    return np.array([level.is_neutral for level in comparison.levels], dtype=bool)


def clip(value: float) -> float:
    return float(min(max(value, M_U_CLAMP_MIN), M_U_CLAMP_MAX))


def estimate_m_by_em(
    model: MatchModel,
    gamma: npt.NDArray[np.int8],
    *,
    iterations: int = 30,
    share: float = 0.3,
    personal: tuple[str, ...] = (),
    ignore: frozenset[str] = frozenset(),
    learn: bool = True,
) -> tuple[MatchModel, float, int, int]:
    """EM over candidate pairs' comparison vectors with u fixed; returns the model, the share
    of matches among candidates, the number of distinct patterns and the iterations run.

    With `personal` (comparison names: given name, birth date), a third class stands beside
    match and non-match: relatives, pairs of two people who share what a family shares (its
    own learned distribution for the other comparisons) and agree on the personal ones no
    more than strangers do (u). Household pairs then no longer pass for matches whose given
    name or birth date differ, which would make those disagreements look weak.

    Comparisons named in `ignore` (what the pairs were blocked on, so agree by construction)
    are left out of the likelihood and keep their m; with `learn` false only the class shares
    are estimated (every m stays)."""
    if len(gamma) == 0:
        return model, share, 0, 0
    patterns, _, counts = unique_rows(gamma)
    return _em(model, patterns, counts.astype(float), iterations, share, personal, ignore, learn)


def _em(
    model: MatchModel,
    patterns: npt.NDArray[np.int8],
    counts: npt.NDArray[np.float64],
    iterations: int,
    share: float,
    personal: tuple[str, ...],
    ignore: frozenset[str],
    learn: bool,
) -> tuple[MatchModel, float, int, int]:
    names = [c.output_name for c in model.comparisons]
    log_u = [np.log([clip(lv.u or 0.5) for lv in c.levels]) for c in model.comparisons]
    is_neutral = [neutral(c) for c in model.comparisons]
    used = [k for k, name in enumerate(names) if name not in ignore]
    m = [np.array([lv.m or 0.5 for lv in c.levels], dtype=float) for c in model.comparisons]
    shared = [k for k in used if names[k] not in personal] if personal else []
    m_family = {k: m[k].copy() for k in shared}
    shares = np.array([share, 0.2, 1 - share - 0.2] if shared else [share, 0.0, 1 - share])

    def llr(k: int, probabilities: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        observed = patterns[:, k]
        out = np.log(np.clip(probabilities, M_U_CLAMP_MIN, M_U_CLAMP_MAX))[observed]
        return np.where(is_neutral[k][observed], 0.0, out - log_u[k][observed])

    run = 0
    for _ in range(iterations):
        run += 1
        with np.errstate(divide="ignore"):
            log_shares = np.log(shares)
        log_classes = np.stack(
            [
                log_shares[0] + sum((llr(k, m[k]) for k in used), np.zeros(len(patterns))),
                log_shares[1] + sum((llr(k, m_family[k]) for k in shared), np.zeros(len(patterns))),
                np.full(len(patterns), log_shares[2]),
            ]
        )
        log_classes -= log_classes.max(axis=0)
        posterior = np.exp(log_classes)
        posterior /= posterior.sum(axis=0)
        weighted = posterior * counts
        shares = np.clip(weighted.sum(axis=1) / counts.sum(), 1e-9, 1 - 1e-9)
        if not shared:
            shares[1] = 0.0
        new_m = [
            np.array(level_frequencies(patterns, c, k, weighted[0]))
            if learn and k in used
            else m[k]
            for k, c in enumerate(model.comparisons)
        ]
        new_family = {
            k: np.array(level_frequencies(patterns, model.comparisons[k], k, weighted[1]))
            for k in shared
        }
        delta = max(float(np.abs(a - b).max()) for a, b in zip(new_m, m, strict=True))
        delta = max([delta, *(float(np.abs(new_family[k] - m_family[k]).max()) for k in shared)])
        m, m_family = new_m, new_family
        if delta < 1e-5:
            break
    comparisons = []
    for k, comparison in enumerate(model.comparisons):
        levels = tuple(
            level if level.is_neutral else level.with_mu(clip(float(m[k][i])), level.u)
            for i, level in enumerate(comparison.levels)
        )
        comparisons.append(
            Comparison(comparison.field, levels, comparison.description, comparison.name)
        )
    return model.replace(comparisons=tuple(comparisons)), float(shares[0]), len(patterns), run


def _blocked_on(model: MatchModel, columns: tuple[str, ...]) -> frozenset[str]:
    """The comparisons a blocking rule's columns make agree (a derived column counts for the
    names it is made of)."""
    fields = {f for column in columns for f in _DERIVED_FROM.get(column, (column,))}
    return frozenset(c.output_name for c in model.comparisons if c.field in fields)


def estimate_m_by_rule(
    model: MatchModel,
    table: RecordTable,
    pairs: tuple[Index, Index],
    gamma: npt.NDArray[np.int8],
    *,
    personal: tuple[str, ...] = (),
    keys: Mapping[str, npt.NDArray[np.object_]] | None = None,
) -> tuple[MatchModel, float, int, int]:
    """m by one EM per blocking rule over the pairs that share its key, with the comparisons
    the rule blocked on left out (those pairs agree on them by construction, matches or not:
    strangers with one birth date would otherwise teach EM that matches often differ on
    everything else); each comparison's m is the mean over the rules that did not block on
    it (splink's training sessions). The share of matches is then estimated over all pairs
    with those m. Falls back to one EM over all pairs where no rule gives a comparison."""
    learned: dict[str, list[npt.NDArray[np.float64]]] = {}
    iterations = 0
    # The distinct comparison vectors once; each rule's pairs are counts over them.
    patterns, inverse, _ = unique_rows(gamma)
    for rule in model.blocking_rules:
        rule_keys = keys[rule.name] if keys and rule.name in keys else block_keys(table, rule)
        left, right = rule_keys[pairs[0]], rule_keys[pairs[1]]
        inside = (left != None) & (left == right)  # noqa: E711 (elementwise, object arrays)
        fixed = _blocked_on(model, rule.columns)
        if inside.sum() < MIN_SESSION_PAIRS or len(fixed) == len(model.comparisons):
            continue
        counts = np.bincount(inverse[inside], minlength=len(patterns)).astype(float)
        seen = counts > 0
        session, _, _, run = _em(
            model, patterns[seen], counts[seen], 30, 0.3, personal, fixed, True
        )
        iterations += run
        for comparison in session.comparisons:
            if comparison.output_name not in fixed:
                m = [level.m or 0.0 for level in comparison.levels]
                learned.setdefault(comparison.output_name, []).append(np.array(m))
    every = np.bincount(inverse, minlength=len(patterns)).astype(float)
    overall = _em(model, patterns, every, 30, 0.3, personal, frozenset(), True)[0]
    comparisons = []
    for comparison in overall.comparisons:
        estimates = learned.get(comparison.output_name)
        if estimates:
            mean = np.mean(estimates, axis=0)
            levels = tuple(
                level if level.is_neutral else level.with_mu(clip(float(mean[i])), level.u)
                for i, level in enumerate(comparison.levels)
            )
            comparison = Comparison(
                comparison.field, levels, comparison.description, comparison.name
            )
        comparisons.append(comparison)
    model = model.replace(comparisons=tuple(comparisons))
    _, share, _, run = _em(model, patterns, every, 30, 0.3, personal, frozenset(), False)
    return model, share, len(patterns), iterations + run
