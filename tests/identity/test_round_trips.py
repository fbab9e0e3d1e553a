"""Incremental resolution costs a fixed number of SQL statements per record, however many
records are stored: every look-up goes through an index, none scans or grows with the data."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from cdp.db import unit_of_work
from identity import resolve, resolve_records
from tests.identity.factories import make_record, person

_FAMILIES = ("Doe", "Roe", "Poe", "Moe", "Low", "Kay", "Ray", "Fay")


@contextmanager
def _counted(session: Session) -> Iterator[list[str]]:
    statements: list[str] = []
    bind = session.get_bind()

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(bind, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(bind, "before_cursor_execute", count)


def _store_people(session: Session, people: int, offset: int) -> None:
    """`people` people, two records each (a shop record and a web sign-up sharing the email)."""
    for n in range(offset, offset + people):
        given, family = f"Given{n}", _FAMILIES[n % len(_FAMILIES)]
        email = f"person{n}@example.com"
        attrs = person(given, family, email=email, line1=f"{n} Main St", postcode=f"{n:05d}")
        make_record(session, attributes=attrs, identifiers={"email": email})
        make_record(
            session,
            source="web",
            channel="web",
            attributes=attrs,
            with_event=True,
            identifiers={"email": email, "user_id": f"u{n}"},
        )


def _statements_per_new_record(
    factory: sessionmaker[Session], people: int, offset: int, stranger: tuple[str, str]
) -> list[int]:
    """Store `people` more people, resolve them, then count the statements of resolving three
    arrivals one at a time: one joining a stored person, one bridging two, one stranger."""
    with unit_of_work(factory) as session:
        _store_people(session, people, offset)
    with unit_of_work(factory) as session:
        resolve(session, full=True)
    a, b, c = offset + 3, offset + 4, offset + 5
    arrivals = [
        ({"email": f"person{a}@example.com"}, person(f"Given{a}", _FAMILIES[a % 8])),
        ({"email": f"person{b}@example.com", "user_id": f"u{c}"}, person(f"Given{b}", "X")),
        ({"email": f"zed{offset}@elsewhere{offset}.org"}, person(*stranger)),
    ]
    counts = []
    for identifiers, attributes in arrivals:
        with unit_of_work(factory) as session:
            record_id = make_record(session, attributes=attributes, identifiers=identifiers).id
        with unit_of_work(factory) as session, _counted(session) as statements:
            result = resolve_records(session, [record_id])
        assert result.records == 1
        counts.append(len(statements))
    return counts


def test_statements_per_record_do_not_grow_with_stored_records(
    session_factory: sessionmaker[Session],
) -> None:
    small = _statements_per_new_record(session_factory, 10, 0, ("Quentin", "Ashbury"))
    large = _statements_per_new_record(session_factory, 300, 1000, ("Rosalind", "Pemberton"))
    assert large == small
    assert all(0 < n <= 20 for n in small), small
