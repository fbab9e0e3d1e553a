from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from cdp.db import unit_of_work
from identity import resolve
from identity.records import from_attributes
from identity.store import iter_all_records, load_records, record_key
from tests.identity.factories import make_record, person

_ATTRIBUTES = [
    person(
        "Ann-Marie",
        "O'Neil",
        email="Ann@X.com",
        phone="(415) 555-0134",
        birth_date="03/02/1980",
        line1="12 Main Street",
        postcode="ab1 2cd",
    ),
    {"full_name": "Smith, John", "address": {"line1": "1 High Rd", "city": "Ville"}},
    {"given_name": "Zoë", "address": "not an object"},
    {},
]


def _stored(session: Session) -> dict[int, dict[str, object]]:
    out = {}
    for n, attributes in enumerate(_ATTRIBUTES):
        identifiers: dict[str, str | list[str]] | None = (
            {"customer_id": f"c{n}", "email": f"p{n}@x.com"} if n % 2 == 0 else None
        )
        record = make_record(session, attributes=attributes, identifiers=identifiers)
        out[record.id] = attributes
    return out


@pytest.mark.parametrize("loader", ["by_id", "all"], ids=["by-id", "streamed"])
def test_loaded_records_match_from_attributes_when_read_from_the_database(
    session_factory: sessionmaker[Session], loader: str
) -> None:
    with unit_of_work(session_factory) as session:
        stored = _stored(session)
    with unit_of_work(session_factory) as session:
        if loader == "all":
            loaded = list(iter_all_records(session))
        else:
            loaded = load_records(session, record_ids=sorted(stored))
        idents = {
            rid: [(k, v) for r, k, v in rows if r == rid]
            for rid in stored
            for rows in [
                session.execute(
                    select(
                        models.Identifier.record_id, models.Identifier.kind, models.Identifier.value
                    )
                ).all()
            ]
        }
    assert [r.record_id for r in loaded] == sorted(stored)
    for record in loaded:
        expected = from_attributes(
            record.record_id, record.key, stored[record.record_id], idents[record.record_id]
        )
        assert record.to_dict() == expected.to_dict()
        assert record.identifiers == expected.identifiers
        assert record.key == record_key("shop", record.key.split(":", 1)[1])


def test_full_run_profile_times_are_the_records_first_and_last_when_written_in_bulk(
    session_factory: sessionmaker[Session],
) -> None:
    first = datetime(2025, 3, 4, 5, 6, 7, 890000, tzinfo=UTC)
    with unit_of_work(session_factory) as session:
        for n in range(3):
            make_record(
                session,
                attributes=person("Jane", "Doe", email="jane@x.com"),
                identifiers={"email": "jane@x.com"},
                occurred_at=first + timedelta(days=n),
            )
    with unit_of_work(session_factory) as session:
        resolve(session, full=True)
    with unit_of_work(session_factory) as session:
        profile = session.scalars(select(models.Profile)).one()
        first_seen, last_seen = profile.first_seen_at, profile.last_seen_at
        newer = session.scalars(
            select(models.Profile.id).where(models.Profile.last_seen_at > first)
        ).all()
    assert first_seen is not None
    assert last_seen is not None
    assert first_seen.replace(tzinfo=UTC) == first
    assert last_seen.replace(tzinfo=UTC) == first + timedelta(days=2)
    assert newer == [profile.id]
    assert profile.record_count == 3
    assert profile.email == "jane@x.com"


def test_full_rerun_keeps_manual_links_and_writes_each_pair_once(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        a = make_record(session, attributes=person("Jane", "Doe"), identifiers={"email": "j@x.com"})
        b = make_record(session, attributes=person("Jane", "Doe"), identifiers={"email": "j@x.com"})
        session.add(
            models.IdentityLink(
                left_record_id=a.id,
                right_record_id=b.id,
                method="manual",
                rule="manual_merge",
                decision="accepted",
                evidence={"actor": "ann"},
            )
        )
    for _ in range(2):
        with unit_of_work(session_factory) as session:
            resolve(session, full=True)
    with unit_of_work(session_factory) as session:
        links = session.execute(
            select(models.IdentityLink.method, models.IdentityLink.left_record_id)
        ).all()
    assert links == [("manual", a.id)]


def test_full_rerun_rewrites_only_the_records_whose_profile_changes(
    session_factory: sessionmaker[Session],
) -> None:
    """A re-run leaves a record that keeps its profile as it was (its resolution time too);
    a record it resolves for the first time gets its profile and its time."""
    with unit_of_work(session_factory) as session:
        kept = [
            make_record(session, attributes=person("Jane", "Doe"), identifiers={"email": "j@x.com"})
            for _ in range(2)
        ]
        kept_ids = [record.id for record in kept]
    with unit_of_work(session_factory) as session:
        resolve(session, full=True)
    rows = select(
        models.SourceRecord.id, models.SourceRecord.profile_id, models.SourceRecord.resolved_at
    ).order_by(models.SourceRecord.id)
    with unit_of_work(session_factory) as session:
        before = session.execute(rows).all()
        late = make_record(
            session, attributes=person("Jane", "Doe"), identifiers={"email": "j@x.com"}
        ).id
    with unit_of_work(session_factory) as session:
        resolve(session, full=True)
    with unit_of_work(session_factory) as session:
        after = session.execute(rows).all()
    assert [tuple(row) for row in after[:2]] == [tuple(row) for row in before]
    assert [row.id for row in after] == [*kept_ids, late]
    assert after[2].profile_id == before[0].profile_id
    assert after[2].resolved_at is not None
    assert after[2].resolved_at > before[0].resolved_at
