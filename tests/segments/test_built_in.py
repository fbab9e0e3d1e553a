"""The built-in segments: the RFM segments and value tiers exist out of the box and fill from
the traits `cdp.value` computes."""

from __future__ import annotations

import importlib
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from cdp.db import unit_of_work
from cdp.refresh import refresh_profiles
from cdp.value.rfm import RFM_SEGMENTS
from tests.segments.world import NOW, Order, Person, store

MIGRATION = importlib.import_module("migrations.versions.20261207_segments_built_in")


def test_the_migration_ships_every_rfm_segment_as_cdp_value_names_it() -> None:
    shipped = [(value, label, text) for value, label, text in MIGRATION.RFM]
    assert shipped == [(s.name, s.label, s.description) for s in RFM_SEGMENTS]


def _buyer(pid: str, orders: int, days_ago: int, amount: int) -> Person:
    p = Person(pid, "active", pid, None, 1, None, {})
    p.orders = [
        Order("paid", "USD", amount, 0, NOW - timedelta(days=days_ago + 20 * i), [])
        for i in range(orders)
    ]
    return p


def test_rfm_segments_and_tiers_fill_from_computed_traits(
    session_factory: sessionmaker[Session],
) -> None:
    people = [
        _buyer(f"c{i:02d}", orders=1 + i % 5, days_ago=3 + 37 * (i % 7), amount=1000 * (1 + i % 4))
        for i in range(30)
    ]
    with unit_of_work(session_factory) as session:
        store(session, people)
        refresh_profiles(session, None)  # traits, then segments, for every profile
    with unit_of_work(session_factory) as session:
        t, m, s = models.ProfileTraits, models.SegmentMembership, models.Segment
        by_trait = {
            (row.rfm_segment, row.value_tier, row.profile_id)
            for row in session.execute(select(t.rfm_segment, t.value_tier, t.profile_id))
        }
        assert len({rfm for rfm, _, _ in by_trait}) > 3  # the world spreads over segments
        built_in = session.execute(
            select(s.name, s.definition, m.profile_id)
            .join(m, m.segment_id == s.id)
            .where(s.built_in)
        ).all()
        got = {(row.name, row.profile_id) for row in built_in}
        labels = {seg.name: seg.label for seg in RFM_SEGMENTS}
        expected = {(f"RFM: {labels[rfm]}", pid) for rfm, _, pid in by_trait if rfm}
        expected |= {(f"Value tier: {tier}", pid) for _, tier, pid in by_trait if tier}
        assert got == expected
