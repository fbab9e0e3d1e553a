"""Where the matcher loses accuracy on the synthetic world (a diagnostic, not a benchmark).

    python benchmarks/identity_diagnose.py --records 100000
    python benchmarks/identity_diagnose.py --records 100000 --examples 20

The ground truth is used only to describe the errors:

- unreachable true pairs: records of one person that neither a shared identifier nor any
  candidate pair (through other records of that person) connects to the rest, with the fields
  such a record agrees on with the rest of its person (what a blocking rule could use);
- the largest wrongly merged clusters (several people) and wrongly split people (several
  clusters);
- the B-cubed losses counted in records: recall by what became of the best pair between the
  parts of a person (out of reach, review band, vetoed...), precision by the kind of link that
  joined two people.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from identity.blocking import candidate_pairs, soundex  # noqa: E402
from identity.defaults import default_model  # noqa: E402
from identity.engine import link_records  # noqa: E402
from identity.records import RecordTable, canonical_given_name  # noqa: E402
from identity.training import train  # noqa: E402

_spec = importlib.util.spec_from_file_location("identity_bench", ROOT / "benchmarks/identity.py")
assert _spec is not None
assert _spec.loader is not None
bench: Any = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

FIELDS = ("given_name", "family_name", "birth_date", "email", "phone", "address", "postcode")


def _agree(a: Any, b: Any) -> list[str]:
    out = []
    for f in FIELDS:
        x, y = a.feature(f), b.feature(f)
        if x and y and x == y:
            out.append(f)
    if (
        a.given_name
        and b.given_name
        and canonical_given_name(a.given_name) == canonical_given_name(b.given_name)
        and a.given_name != b.given_name
    ):
        out.append("given_canonical")
    if (
        a.family_name
        and b.family_name
        and a.family_name != b.family_name
        and soundex(a.family_name) == soundex(b.family_name)
    ):
        out.append("family_soundex")
    if (
        a.email
        and b.email
        and a.email != b.email
        and a.email.partition("@")[0] == b.email.partition("@")[0]
    ):
        out.append("email_local")
    if (
        a.birth_date
        and b.birth_date
        and a.birth_date != b.birth_date
        and a.birth_date[:4] == b.birth_date[:4]
    ):
        out.append("birth_year")
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--examples", type=int, default=10)
    parser.add_argument("--no-link", action="store_true", help="blocking only")
    parser.add_argument("--empty", action="store_true", help="show parts that agree on nothing")
    args = parser.parse_args()
    syn = bench.synthetic(args.records, args.seed)
    truth = np.array([int(r.person_id.lstrip("P")) for r in syn], dtype=np.int64)
    records = bench.to_person_records(syn)
    del syn
    table = RecordTable(records)
    base = default_model()
    cand, report = candidate_pairs(table, base.blocking_rules, base.max_block_size)
    print("pairs per rule", report.pairs, "total", report.total_pairs)
    # Components of each person under true reachable edges.
    comp = bench.reachable_components(records, truth, cand)
    ceiling = bench.scores(comp, truth)
    print(
        f"ceiling (true reachable components): pair R {ceiling['pair_r']:.4f}, B-cubed R "
        f"{ceiling['b3_r']:.4f}"
    )
    by_person: dict[int, list[int]] = {}
    for pos, p in enumerate(truth.tolist()):
        by_person.setdefault(p, []).append(pos)
    shares: Counter[tuple[str, ...]] = Counter()
    kinds: Counter[str] = Counter()
    lost_pairs = 0
    shown = 0
    for _p, members in by_person.items():
        comps = Counter(comp[members].tolist())
        if len(comps) < 2:
            continue
        main_comp = comps.most_common(1)[0][0]
        main = [m for m in members if comp[m] == main_comp]
        for c, size in comps.items():
            if c == main_comp:
                continue
            part = [m for m in members if comp[m] == c]
            lost_pairs += len(main) * size
            agreed: set[str] = set()
            for m in part:
                for other in main:
                    agreed.update(_agree(records[m], records[other]))
            key = tuple(sorted(agreed))
            shares[key] += len(main) * size
            for m in part:
                kinds[records[m].source] += len(main)
            if shown < args.examples and (not key) == args.empty:
                shown += 1
                print("\nUNREACHABLE part of", len(part), "vs main", len(main), key)
                for m in part[:3]:
                    r = records[m]
                    print("   part:", r.source, r.to_dict(), r.identifiers)
                for other in main[:5]:
                    o = records[other]
                    print("   main:", o.source, o.to_dict())
    print(f"\nlost true pairs (part x main): {lost_pairs}")
    print("by source:", kinds.most_common())
    print("fields they agree on with some record of their main component:")
    for key, count in shares.most_common(40):
        print(f"  {count:6d}  {key}")
    if args.no_link:
        return 0
    model, _ = train(base, table, cand)
    result = link_records(table, model, candidates=(cand, report), with_evidence=False)
    labels = bench.labels_of(result.clusters, len(records))
    print("scores", bench.scores(labels, truth))
    split_reasons(result, model, labels, truth, records, args.examples)
    bcubed_losses(result, model, labels, truth, records)
    merged = []
    for cluster in result.clusters:
        people = Counter(truth[cluster].tolist())
        if len(people) > 1:
            merged.append((len(cluster), people))
    merged.sort(key=lambda x: -x[0])
    print(f"\nwrongly merged clusters: {len(merged)}; largest:")
    for size, people in merged[: args.examples]:
        print(f"  size {size}: people {dict(people)}")
    hist = Counter(len(p) for _, p in merged)
    print("  people per merged cluster:", sorted(hist.items()))
    split = []
    for p, members in by_person.items():
        clusters = Counter(labels[members].tolist())
        if len(clusters) > 1:
            split.append((len(members), p, clusters))
    split.sort(key=lambda x: -x[0])
    print(f"\nwrongly split people: {len(split)}; largest:")
    for size, p, clusters in split[: args.examples]:
        print(f"  person {p} ({size} records): cluster sizes {sorted(clusters.values())[::-1]}")
    # Show the evidence of a few wrong merges: pairs of different people joined directly.
    pair_label = labels[result.scored.left] == labels[result.scored.right]
    wrong = pair_label & (truth[result.scored.left] != truth[result.scored.right])
    accepted = wrong & (result.scored.total >= model.match_weight) & ~result.scored.vetoed
    print(f"\naccepted fuzzy pairs of different people inside one cluster: {int(accepted.sum())}")
    names = [c.output_name for c in model.comparisons]
    patterns: Counter[tuple[str, ...]] = Counter()
    for i in np.flatnonzero(accepted).tolist():
        g = result.scored.gamma[i]
        patterns[
            tuple(
                f"{names[k]}={model.comparisons[k].levels[int(g[k])].label}"
                for k in range(len(names))
                if int(g[k]) != 0
            )
        ] += 1
    for pattern, count in patterns.most_common(15):
        print(f"  {count:6d}  {pattern}")
    return 0


def _decision(s: Any, model: Any, i: int) -> str:
    if s.vetoed[i]:
        return "vetoed"
    if s.total[i] >= model.match_weight:
        if s.personal is not None and not s.personal[i]:
            return "no personal evidence"
        return "accepted but set aside"
    return "review band" if s.total[i] >= model.review_weight else "below review"


def bcubed_losses(result: Any, model: Any, labels: Any, truth: Any, records: Any) -> None:
    """B-cubed losses in records (a record's loss is 1 - its share of its cluster or person):
    recall by the best pair between a part of a person and its largest part, precision by the
    links that joined two people (a wrongly merged cluster's loss shared by its links)."""
    s = result.scored
    best: dict[tuple[int, int], int] = {}
    cross = (truth[s.left] == truth[s.right]) & (labels[s.left] != labels[s.right])
    for i in np.flatnonzero(cross).tolist():
        a, b = int(labels[s.left[i]]), int(labels[s.right[i]])
        key = (min(a, b), max(a, b))
        if key not in best or s.total[i] > s.total[best[key]]:
            best[key] = i
    recall: defaultdict[str, float] = defaultdict(float)
    people: dict[int, Counter[int]] = {}
    for pos, p in enumerate(truth.tolist()):
        people.setdefault(p, Counter())[int(labels[pos])] += 1
    for parts in people.values():
        if len(parts) < 2:
            continue
        size = sum(parts.values())
        main, main_size = parts.most_common(1)[0]
        for part, k in parts.items():
            if part != main:
                pair = best.get((min(part, main), max(part, main)))
                why = (
                    "no candidate pair (out of reach)"
                    if pair is None
                    else _decision(s, model, pair)
                )
                recall[why] += 2 * k * main_size / size
    print(f"\nB-cubed recall loss in records: {sum(recall.values()):.0f}")
    for why, loss in sorted(recall.items(), key=lambda item: -item[1]):
        print(f"  {loss:8.1f}  {why}")
    cluster_loss: dict[int, float] = {}
    for cluster in result.clusters:
        counts = Counter(truth[cluster].tolist())
        if len(counts) > 1:
            cluster_loss[int(labels[cluster[0]])] = sum(
                c * (1 - c / len(cluster)) for c in counts.values()
            )
    bridges = [
        link
        for link in result.links
        if link.decision == "accepted" and truth[link.left] != truth[link.right]
    ]
    per_cluster = Counter(int(labels[link.left]) for link in bridges)
    precision: defaultdict[str, float] = defaultdict(float)
    for link in bridges:
        named = sum(bool(records[x].given_name) for x in (link.left, link.right))
        kind = f"{link.method} {link.rule}, {named} of 2 records named"
        if link.reason:
            kind += f" ({link.reason})"
        cluster = int(labels[link.left])
        precision[kind] += cluster_loss.get(cluster, 0.0) / per_cluster[cluster]
    print(f"B-cubed precision loss in records: {sum(cluster_loss.values()):.0f}, by link:")
    for kind, loss in sorted(precision.items(), key=lambda item: -item[1])[:12]:
        print(f"  {loss:8.1f}  {kind}")


def split_reasons(result: Any, model: Any, labels: Any, truth: Any, records: Any, n: int) -> None:
    """Why true candidate pairs ended in different clusters."""
    s = result.scored
    cross = (truth[s.left] == truth[s.right]) & (labels[s.left] != labels[s.right])
    idx = np.flatnonzero(cross)
    reasons: Counter[str] = Counter()
    names = [c.output_name for c in model.comparisons]
    patterns: Counter[tuple[str, ...]] = Counter()
    for i in idx.tolist():
        r = _decision(s, model, i)
        reasons[r] += 1
        g = s.gamma[i]
        levels = [
            f"{names[k]}={model.comparisons[k].levels[int(g[k])].label}"
            for k in range(len(names))
            if int(g[k]) != 0
        ]
        patterns[(r, *levels)] += 1
    print(f"\ntrue candidate pairs split apart: {idx.size}: {dict(reasons)}")
    for pattern, count in patterns.most_common(n):
        print(f"  {count:6d}  {pattern}")
    setaside = Counter(
        (link.reason or "")[:60] for link in result.links if link.decision == "set_aside"
    )
    print("set-aside reasons:", setaside.most_common(8))


if __name__ == "__main__":
    raise SystemExit(main())
