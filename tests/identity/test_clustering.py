from __future__ import annotations

from identity.clustering import ConstrainedUnionFind


def test_union_joins_and_clusters_lists_them() -> None:
    uf = ConstrainedUnionFind(4)
    assert uf.union(0, 1) is None
    assert uf.union(2, 3) is None
    assert sorted(sorted(c) for c in uf.clusters()) == [[0, 1], [2, 3]]


def test_union_is_refused_when_one_per_person_values_differ_anywhere_in_the_clusters() -> None:
    uf = ConstrainedUnionFind(3, {0: {"customer_id": "c1"}, 2: {"customer_id": "c2"}})
    assert uf.union(0, 1) is None
    refused = uf.union(1, 2)
    assert refused is not None
    assert "customer_id: c1 vs c2" in refused.reason


def test_never_link_binds_whole_clusters() -> None:
    uf = ConstrainedUnionFind(4, names=[10, 11, 12, 13])
    uf.add_never([(0, 3)])
    uf.union(0, 1)
    uf.union(2, 3)
    refused = uf.union(1, 2, strict=False)
    assert refused is not None
    assert "never-link override between records" in refused.reason


def test_cannot_link_binds_only_strict_unions() -> None:
    uf = ConstrainedUnionFind(3)
    uf.add_cannot([(0, 2)])
    uf.union(0, 1)
    assert uf.union(1, 2, strict=True) is not None
    assert uf.union(1, 2, strict=False) is None
