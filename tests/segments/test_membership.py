"""Stored memberships: who entered and left, when; size history; the refresh step."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cdp import models, refresh
from cdp.db import unit_of_work
from cdp.errors import ConflictError, NotFoundError
from cdp.segments import (
    DefinitionError,
    SegmentSpec,
    create_segment,
    delete_segment,
    refresh_all,
    update_segment,
)
from tests.segments.world import NOW, Person, store

FRANCE = {"conditions": [{"attribute": {"name": "address.country", "op": "eq", "value": "FR"}}]}


def person(pid: str, country: str | None = None, status: str = "active") -> Person:
    attributes = {} if country is None else {"address": {"country": country}}
    return Person(pid, status, "Ann", None, 1, None, attributes)


def members(session: Session, segment_id: int) -> set[str]:
    m = models.SegmentMembership
    return set(session.scalars(select(m.profile_id).where(m.segment_id == segment_id)))


def test_refresh_records_entries_exits_and_sizes(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        store(session, [person("a", "FR"), person("b", "FR"), person("c", "DE")])
        segment = create_segment(session, SegmentSpec("French", None, FRANCE), actor="test")
        sid = segment.id
        [first] = refresh_all(session, now=NOW, only=[sid])
    assert (first.size, first.entered, first.exited) == (2, 2, 0)
    with unit_of_work(session_factory) as session:
        assert members(session, sid) == {"a", "b"}
        session.get(models.Profile, "b").attributes = {"address": {"country": "DE"}}  # type: ignore[union-attr]
        session.get(models.Profile, "c").attributes = {"address": {"country": "FR"}}  # type: ignore[union-attr]
        session.flush()
        [second] = refresh_all(session, now=NOW + timedelta(hours=1), only=[sid])
    assert (second.size, second.entered, second.exited) == (2, 1, 1)
    with unit_of_work(session_factory) as session:
        assert members(session, sid) == {"a", "c"}
        entered = session.scalar(
            select(models.SegmentMembership.added_at).where(
                models.SegmentMembership.profile_id == "c"
            )
        )
        assert entered == NOW + timedelta(hours=1)
        [exit_] = session.scalars(select(models.SegmentExit)).all()
        assert (exit_.profile_id, exit_.entered_at, exit_.exited_at) == (
            "b",
            NOW,
            NOW + timedelta(hours=1),
        )
        sizes = session.scalars(
            select(models.SegmentSize)
            .where(models.SegmentSize.segment_id == sid)
            .order_by(models.SegmentSize.measured_at)
        ).all()
        assert [(s.size, s.entered, s.exited, s.scope) for s in sizes] == [
            (2, 2, 0, "all"),
            (2, 1, 1, "all"),
        ]
        assert session.get(models.Segment, sid).refreshed_at == NOW + timedelta(hours=1)  # type: ignore[union-attr]


def test_the_refresh_step_retests_only_the_touched_profiles(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        store(session, [person("a", "FR"), person("b", "DE"), person("c", "DE")])
        sid = create_segment(session, SegmentSpec("French", None, FRANCE), actor="t").id
        refresh_all(session, now=NOW)
    with unit_of_work(session_factory) as session:
        for pid in ("b", "c"):
            session.get(models.Profile, pid).attributes = {"address": {"country": "FR"}}  # type: ignore[union-attr]
        session.get(models.Profile, "a").status = "merged"  # type: ignore[union-attr]
        session.flush()
        report = refresh.refresh_profiles(session, ["a", "b"])  # c was not touched
    assert "segments" in report.seconds
    with unit_of_work(session_factory) as session:
        assert members(session, sid) == {"b"}
        last = session.scalars(
            select(models.SegmentSize)
            .where(models.SegmentSize.segment_id == sid)
            .order_by(models.SegmentSize.id.desc())
            .limit(1)
        ).one()
        assert (last.size, last.entered, last.exited, last.scope) == (1, 1, 1, "touched")


def test_segment_references_are_checked_and_cycles_refused(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        a = create_segment(session, SegmentSpec("A", None, FRANCE), actor="t")
        b_def = {"conditions": [{"segment": {"id": a.id}}, {"identifier": {"kind": "email"}}]}
        b = create_segment(session, SegmentSpec("B", None, b_def), actor="t")
        with pytest.raises(DefinitionError) as caught:
            update_segment(
                session,
                a.id,
                SegmentSpec(definition={"conditions": [{"segment": {"id": b.id}}]}),
                actor="t",
            )
        assert caught.value.problems == [
            f"conditions[0].segment.id: segment {b.id} contains this segment: a cycle"
        ]
        with pytest.raises(DefinitionError, match=r"no segment has id 999"):
            create_segment(
                session,
                SegmentSpec("C", None, {"conditions": [{"segment": {"id": 999}}]}),
                actor="t",
            )
        with pytest.raises(ConflictError, match="used by B"):
            delete_segment(session, a.id, actor="t")
        with pytest.raises(ConflictError, match="exists already"):
            create_segment(session, SegmentSpec("B", None, FRANCE), actor="t")
        delete_segment(session, "B", actor="t")
        delete_segment(session, a.id, actor="t")
        with pytest.raises(NotFoundError):
            delete_segment(session, a.id, actor="t")
        actions = session.scalars(select(models.AuditLog.action).order_by(models.AuditLog.id))
        assert list(actions) == [
            "segment.create",
            "segment.create",
            "segment.delete",
            "segment.delete",
        ]


def test_deleting_a_segment_deletes_its_memberships(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        store(session, [person("a", "FR")])
        sid = create_segment(session, SegmentSpec("French", None, FRANCE), actor="t").id
        refresh_all(session, now=NOW)
    with unit_of_work(session_factory) as session:
        delete_segment(session, sid, actor="t")
    with unit_of_work(session_factory) as session:
        assert members(session, sid) == set()
        sizes = select(models.SegmentSize).where(models.SegmentSize.segment_id == sid)
        assert session.scalars(sizes).all() == []
