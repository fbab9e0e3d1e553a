"""Random definitions over random worlds: the compiled statement, run on SQLite and on
PostgreSQL, selects exactly what the plain-Python evaluator selects."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from cdp.segments import members_query, parse_definition
from tests.segments import oracle
from tests.segments.trees import trees
from tests.segments.world import NOW, store, worlds

INNER = 1_000  # clear of the built-in segments' ids
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@SETTINGS
@given(data=st.data())
def test_compiled_segments_select_what_the_python_evaluator_selects(
    session_factory: sessionmaker[Session], data: st.DataObject
) -> None:
    people = data.draw(worlds(), label="world")
    inner_json = data.draw(trees(), label="inner segment")
    outer_json = data.draw(st.lists(trees([INNER]), min_size=1, max_size=4), label="definitions")
    with session_factory() as session:
        store(session, people)
        inner = parse_definition(inner_json)
        session.add(models.Segment(id=INNER, name="inner", definition=inner_json))
        session.flush()
        others = {INNER: inner}
        for raw in [inner_json, *outer_json]:
            definition = parse_definition(raw)
            query = members_query(definition, now=NOW, segments=others)
            got: set[str] = set(session.scalars(query))
            expected = oracle.members(definition, people, NOW, others)
            assert got == expected, raw
            subset = [p.id for p in people[::2]]  # a refresh of touched profiles only
            limited = members_query(definition, now=NOW, segments=others, profile_ids=subset)
            found: set[str] = set(session.scalars(limited))
            assert found == expected & set(subset), raw
        session.rollback()
