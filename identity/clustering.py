"""Clustering accepted links with union-find, refusing any union that breaks a constraint.

Constraints: a one-per-person identifier (two customer ids never share a profile), never-link
pairs (manual overrides), and cannot-link pairs (vetoed pairs: strong evidence apart). A refused
union is reported with its reason, so the link is set aside, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

__all__ = ["ConstrainedUnionFind", "UnionRefused"]


@dataclass(frozen=True)
class UnionRefused:
    reason: str


@dataclass
class ConstrainedUnionFind:
    """Union-find over positions 0..n-1.

    `exclusive[pos]` holds the record's one-per-person identifiers as {kind: value};
    `never` and `cannot` map a position to the positions it must not share a cluster with
    (`never` binds every union, `cannot` only the ones made with `strict=True`).
    """

    n: int
    exclusive: Mapping[int, Mapping[str, str]] = field(default_factory=dict)
    names: Sequence[object] = ()
    parent: list[int] = field(init=False)
    size: list[int] = field(init=False)
    _values: dict[int, dict[str, str]] = field(init=False)
    _never: dict[int, set[int]] = field(init=False, default_factory=dict)
    _cannot: dict[int, set[int]] = field(init=False, default_factory=dict)
    _constrained: dict[int, list[int]] = field(init=False, default_factory=dict)
    _why: dict[tuple[int, int], str] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.parent = list(range(self.n))
        self.size = [1] * self.n
        self._values = {pos: dict(values) for pos, values in self.exclusive.items() if values}

    def add_never(self, pairs: Iterable[tuple[int, int]]) -> None:
        self._add(self._never, pairs)

    def add_cannot(self, pairs: Iterable[tuple[int, int]], reason: str | None = None) -> None:
        """Cannot-links (binding strict unions); `reason` says why, where not a vetoed pair."""
        pairs = list(pairs)
        self._add(self._cannot, pairs)
        if reason is not None:
            for a, b in pairs:
                self._why[(min(a, b), max(a, b))] = reason

    def cannot_pairs(self) -> list[tuple[int, int]]:
        return [(a, b) for a, partners in self._cannot.items() for b in partners if a < b]

    def _add(self, table: dict[int, set[int]], pairs: Iterable[tuple[int, int]]) -> None:
        for a, b in pairs:
            for x, y in ((a, b), (b, a)):
                table.setdefault(x, set()).add(y)
                root = self.find(x)
                members = self._constrained.setdefault(root, [])
                if x not in members:
                    members.append(x)

    def _name(self, pos: int) -> object:
        return self.names[pos] if self.names else pos

    def find(self, x: int) -> int:
        parent = self.parent
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def check(self, a: int, b: int, *, strict: bool = True) -> UnionRefused | None:
        """Why `a` and `b` may not be joined, or None if they may."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return None
        va, vb = self._values.get(ra), self._values.get(rb)
        if va and vb:
            for kind, value in va.items():
                other = vb.get(kind)
                if other is not None and other != value:
                    return UnionRefused(f"one-per-person {kind}: {value} vs {other}")
        small, big = (ra, rb) if self.size[ra] <= self.size[rb] else (rb, ra)
        for member in self._constrained.get(small, ()):
            for partner in self._never.get(member, ()):
                if self.find(partner) == big:
                    return UnionRefused(
                        f"never-link override between records {self._name(member)} and "
                        f"{self._name(partner)}"
                    )
            if strict:
                for partner in self._cannot.get(member, ()):
                    if self.find(partner) == big:
                        why = self._why.get((min(member, partner), max(member, partner)))
                        return UnionRefused(
                            f"records {self._name(member)} and {self._name(partner)} would share "
                            f"the cluster, but {why or 'their own comparison is vetoed'}"
                        )
        return None

    def union(self, a: int, b: int, *, strict: bool = True) -> UnionRefused | None:
        """Join the clusters of `a` and `b` unless a constraint forbids it."""
        refused = self.check(a, b, strict=strict)
        if refused is not None:
            return refused
        self.join(a, b)
        return None

    def join(self, a: int, b: int) -> None:
        """Join the clusters of `a` and `b` whatever the constraints (records a person put
        together, or a stored profile's records), carrying every constraint of both."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]
        if rb in self._values:
            self._values.setdefault(ra, {}).update(self._values.pop(rb))
        if rb in self._constrained:
            self._constrained.setdefault(ra, []).extend(self._constrained.pop(rb))

    def clusters(self) -> list[list[int]]:
        groups: dict[int, list[int]] = {}
        for pos in range(self.n):
            groups.setdefault(self.find(pos), []).append(pos)
        return list(groups.values())

    def labels(self) -> list[int]:
        return [self.find(pos) for pos in range(self.n)]
