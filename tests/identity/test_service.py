from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from cdp.db import unit_of_work
from identity import resolve, resolve_records
from tests.identity.factories import make_record, person


def _jane(session: Session, **kw: object) -> models.SourceRecord:
    return make_record(
        session,
        attributes=person(
            "Jane",
            "Doe",
            email="jane@x.com",
            birth_date="1980-02-03",
            line1="1 Main St",
            postcode="12345",
        ),
        identifiers={"email": "jane@x.com"},
        **kw,  # type: ignore[arg-type]
    )


def _profiles(session: Session) -> dict[int, str | None]:
    return dict(
        session.execute(select(models.SourceRecord.id, models.SourceRecord.profile_id)).all()
    )


def test_resolve_builds_profiles_and_sets_profile_id_everywhere(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        a = _jane(session, with_event=True)
        b = make_record(
            session,
            source="web",
            channel="web",
            attributes=person(
                "Jane", "Doe", birth_date="1980-02-03", line1="1 main street", postcode="12345"
            ),
            with_event=True,
        )
        c = make_record(
            session,
            attributes=person(
                "John", "Doe", birth_date="1978-05-06", line1="1 Main St", postcode="12345"
            ),
        )
        ids = (a.id, b.id, c.id)
    with unit_of_work(session_factory) as session:
        summary = resolve(session)
    assert summary.records == 3
    assert summary.active_profiles == 2
    with unit_of_work(session_factory) as session:
        owners = _profiles(session)
        assert owners[ids[0]] == owners[ids[1]] != owners[ids[2]]
        events = dict(
            session.execute(select(models.Event.record_id, models.Event.profile_id)).all()
        )
        assert events == {ids[0]: owners[ids[0]], ids[1]: owners[ids[1]]}
        idents = set(session.scalars(select(models.Identifier.profile_id)))
        assert idents == {owners[ids[0]]}
        profile = session.get(models.Profile, owners[ids[0]])
        assert profile is not None
        assert (profile.given_name, profile.family_name, profile.email) == (
            "Jane",
            "Doe",
            "jane@x.com",
        )
        assert (profile.record_count, profile.channel_count) == (2, 2)
        assert all(r.resolved_at is not None for r in session.scalars(select(models.SourceRecord)))
        links = session.scalars(
            select(models.IdentityLink).where(models.IdentityLink.decision == "accepted")
        ).all()
        assert links
        assert all(link.evidence and link.model_version for link in links)


def test_re_running_in_full_keeps_every_profile_id(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        _jane(session)
        _jane(session)
        make_record(session, attributes=person("Ann", "Lee"), identifiers={"customer_id": "c9"})
    with unit_of_work(session_factory) as session:
        resolve(session)
    with unit_of_work(session_factory) as session:
        before = _profiles(session)
    with unit_of_work(session_factory) as session:
        summary = resolve(session, full=True)
    with unit_of_work(session_factory) as session:
        assert _profiles(session) == before
    assert summary.profiles_created == 0
    assert summary.merges == 0


def test_new_record_is_resolved_incrementally_against_stored_profiles(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        first = _jane(session)
    with unit_of_work(session_factory) as session:
        resolve(session)
    with unit_of_work(session_factory) as session:
        later = make_record(
            session,
            source="web",
            channel="web",
            kind="event",
            identifiers={"email": "JANE@x.com"},
            with_event=True,
        )
    with unit_of_work(session_factory) as session:
        result = resolve_records(session, [later.id])
    assert result.records == 1
    assert result.created == 0
    with unit_of_work(session_factory) as session:
        owners = _profiles(session)
        assert owners[later.id] == owners[first.id]
        event_owner = session.scalar(
            select(models.Event.profile_id).where(models.Event.record_id == later.id)
        )
        assert event_owner == owners[first.id]
        profile = session.get(models.Profile, owners[first.id])
        assert profile is not None
        assert profile.record_count == 2
        link = session.scalars(
            select(models.IdentityLink).where(models.IdentityLink.right_record_id == later.id)
        ).one()
        assert (link.decision, link.profile_id) == ("accepted", owners[first.id])
        assert link.evidence["identifier"] == "email"
        assert link.model_version
        keys = session.scalars(
            select(models.BlockKey.rule).where(models.BlockKey.record_id == later.id)
        ).all()
        assert "email" in keys


def test_new_record_with_no_match_gets_a_new_profile_with_its_golden_record(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        _jane(session)
    with unit_of_work(session_factory) as session:
        resolve(session)
    with unit_of_work(session_factory) as session:
        later = make_record(
            session,
            attributes=person("Oskar", "Lindqvist", email="oskar@y.com", postcode="99999"),
            identifiers={"email": "oskar@y.com"},
        ).id
    with unit_of_work(session_factory) as session:
        result = resolve_records(session, [later])
    assert result.created == 1
    with unit_of_work(session_factory) as session:
        profile = session.get(models.Profile, result.profiles[later])
        assert profile is not None
        assert (profile.status, profile.given_name, profile.email) == (
            "active",
            "Oskar",
            "oskar@y.com",
        )
        assert (profile.record_count, profile.channel_count) == (1, 1)
        assert profile.attributes["family_name"] == "Lindqvist"
        assert profile.first_seen_at is not None
        assert (
            session.scalar(
                select(models.Identifier.profile_id).where(models.Identifier.record_id == later)
            )
            == profile.id
        )


def test_incremental_look_up_ignores_a_value_held_by_more_records_than_the_block_limit(
    session_factory: sessionmaker[Session],
) -> None:
    """A value on more records than `max_block_size` is no evidence: the look-up sees that it
    is over the limit without reading all its holders, and finds no candidates through it."""
    from identity.defaults import default_model

    with unit_of_work(session_factory) as session:
        for n in range(4):
            make_record(
                session,
                attributes=person(f"Given{n}", f"Family{n}"),
                identifiers={"customer_id": f"c{n}", "email": "info@shop.com"},
            )
    with unit_of_work(session_factory) as session:
        resolve(session)
    with unit_of_work(session_factory) as session:
        later = make_record(
            session, attributes=person("Zed", "Other"), identifiers={"email": "info@shop.com"}
        ).id
    # Five records hold the email (four stored, one new) and four its block key.
    found = {}
    for limit in (5, 3):
        with session_factory() as session:
            model = default_model().replace(max_block_size=limit)
            found[limit] = resolve_records(session, [later], model=model).candidates
            session.rollback()
    assert found == {5: 4, 3: 0}


def test_record_that_bridges_two_profiles_merges_them_and_the_loser_resolves_to_the_winner(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        a = make_record(session, identifiers={"customer_id": "c1"}, with_event=True)
        b = make_record(
            session, source="loyalty", identifiers={"loyalty_id": "L1"}, with_event=True
        )
        # A second record each: both profiles have a link that must follow the merge.
        make_record(session, source="web", identifiers={"customer_id": "c1"})
        make_record(session, source="web", identifiers={"loyalty_id": "L1"})
    with unit_of_work(session_factory) as session:
        resolve(session)
    with unit_of_work(session_factory) as session:
        owners = _profiles(session)
        assert owners[a.id] != owners[b.id]
        # Ids merged into either profile earlier must resolve to the winner afterwards.
        for old, into in (("p_old_a", owners[a.id]), ("p_old_b", owners[b.id])):
            session.add(models.Profile(id=old, status="merged", merged_into_id=into))
        bridge = make_record(
            session, source="pos", identifiers={"customer_id": "c1", "loyalty_id": "L1"}
        )
    with unit_of_work(session_factory) as session:
        result = resolve(session)
    assert result.merges == 1
    with unit_of_work(session_factory) as session:
        after = _profiles(session)
        winner = after[bridge.id]
        assert after[a.id] == after[b.id] == winner
        loser = ({owners[a.id], owners[b.id]} - {winner}).pop()
        merged = session.get(models.Profile, loser)
        assert merged is not None
        assert (merged.status, merged.merged_into_id) == ("merged", winner)
        assert set(session.scalars(select(models.Event.profile_id))) == {winner}
        log = session.scalars(select(models.MergeLog)).all()
        assert [(x.action, x.profile_id, x.other_profile_id, x.record_ids) for x in log] == [
            ("merge", winner, loser, [bridge.id])
        ]
        assert set(session.scalars(select(models.Identifier.profile_id))) == {winner}
        accepted = select(models.IdentityLink.profile_id).where(
            models.IdentityLink.decision == "accepted"
        )
        assert set(session.scalars(accepted)) == {winner}
        old = select(models.Profile.merged_into_id).where(models.Profile.id.like("p_old_%"))
        assert set(session.scalars(old)) == {winner}


def test_incremental_run_resolves_only_unresolved_records(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        _jane(session)
    with unit_of_work(session_factory) as session:
        resolve(session)
    with unit_of_work(session_factory) as session:
        _jane(session)
        make_record(session, attributes=person("Zed", "Zulu"))
    with unit_of_work(session_factory) as session:
        summary = resolve(session)
    assert summary.mode == "incremental"
    assert summary.records == 2
    assert summary.active_profiles == 2
    assert summary.cluster_sizes == {1: 1, 2: 1}


def test_reingested_record_keeps_its_profile_and_is_marked_resolved_again(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        record = _jane(session)
        record_id = record.id
    with unit_of_work(session_factory) as session:
        resolve(session)
    with unit_of_work(session_factory) as session:
        stored = session.get(models.SourceRecord, record_id)
        assert stored is not None
        owner = stored.profile_id
        stored.attributes = person("Jane", "Doe-Smith", email="jane@x.com")
        stored.resolved_at = None
    with unit_of_work(session_factory) as session:
        summary = resolve(session)
    assert summary.records == 0
    with unit_of_work(session_factory) as session:
        again = session.get(models.SourceRecord, record_id)
        assert again is not None
        assert again.profile_id == owner
        assert again.resolved_at is not None
        profile = session.get(models.Profile, owner)
        assert profile is not None
        assert profile.family_name == "Doe-Smith"


def test_first_model_is_trained_from_stored_records_once_enough_exist(
    session_factory: sessionmaker[Session],
) -> None:
    from sqlalchemy import insert

    from identity.store import active_model

    with unit_of_work(session_factory) as session:
        source = make_record(session).source_id
        rows = [
            {
                "source_id": source,
                "external_id": f"bulk-{i}",
                "kind": "profile",
                "occurred_at": datetime(2026, 1, 1, tzinfo=UTC),
                "payload": {},
                "attributes": person(f"given{i // 2}", f"family{i // 2}", birth_date="1990-01-01"),
                "content_hash": f"{i:064d}",
            }
            for i in range(1100)
        ]
        ids = list(
            session.scalars(insert(models.SourceRecord).returning(models.SourceRecord.id), rows)
        )
    with unit_of_work(session_factory) as session:
        assert active_model(session) is None
        resolve_records(session, ids[-10:])
    with unit_of_work(session_factory) as session:
        model = active_model(session)
        assert model is not None
        assert model.trained["records"] == 1101
        owners = _profiles(session)
        assert owners[ids[-1]] == owners[ids[-2]]


def test_link_only_sources_link_across_and_never_within(
    session_factory: sessionmaker[Session],
) -> None:
    from tests.identity.factories import make_source

    twin = person("Ann", "Lee", birth_date="1980-02-03", line1="1 Main St", postcode="12345")
    with unit_of_work(session_factory) as session:
        for name in ("left", "right"):
            make_source(session, name=name, config={"duplicate_free": True})
        # Two records of one duplicate-free source are two people, however alike.
        a1 = make_record(session, source="left", attributes=twin).id
        a2 = make_record(session, source="left", attributes=twin).id
        b1 = make_record(session, source="right", attributes=twin).id
        other = make_record(session, source="shop", attributes=twin).id
    with unit_of_work(session_factory) as session:
        resolve(session)
    with unit_of_work(session_factory) as session:
        owner = _profiles(session)
    assert owner[a1] != owner[a2]
    assert owner[b1] in (owner[a1], owner[a2])
    # A source not declared duplicate-free is deduplicated as usual: it joins one of them.
    assert owner[other] in (owner[a1], owner[a2])


def _gonzalez(session: Session, birth_date: str | None, email: str) -> models.SourceRecord:
    return make_record(
        session,
        attributes=person(
            "Richard",
            "Gonzalez",
            email=email,
            phone="+16279652578",
            birth_date=birth_date,
            line1="73492 Robert Meadow",
            postcode="90210",
        ),
        identifiers={"phone": "+16279652578"},
    )


def test_a_new_record_does_not_chain_father_and_son_incrementally_or_in_bulk(
    session_factory: sessionmaker[Session],
) -> None:
    # Richard Gonzalez senior and junior, two records each with their own birth date, at one
    # address with one landline; then a record with no birth date that matches both.
    with unit_of_work(session_factory) as session:
        senior = [_gonzalez(session, "1950-12-17", "rgonzalez19@gmail.com") for _ in range(2)]
        junior = [_gonzalez(session, "2013-12-20", "rgonzalez42@hotmail.com") for _ in range(2)]
    with unit_of_work(session_factory) as session:
        resolve(session)
    with unit_of_work(session_factory) as session:
        bridge = _gonzalez(session, None, "richard@example.com")
    with unit_of_work(session_factory) as session:
        resolve(session)
    for full in (False, True):
        with unit_of_work(session_factory) as session:
            if full:
                resolve(session, full=True)
            owners = _profiles(session)
            assert owners[senior[0].id] == owners[senior[1].id]
            assert owners[junior[0].id] == owners[junior[1].id]
            assert owners[senior[0].id] != owners[junior[0].id]
            assert owners[bridge.id] is not None
