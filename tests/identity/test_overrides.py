from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from cdp.db import unit_of_work
from identity import (
    HOUSEHOLD_ONLY,
    POSSIBLE_MATCH,
    IdentityConflictError,
    InvalidInputError,
    ProfileNotFoundError,
    RecordNotFoundError,
    compare,
    default_model,
    explain_profile,
    forbid_link,
    merge_profiles,
    resolve,
    resolve_profile_id,
    resolve_records,
    review_list,
    split_profile,
)
from tests.identity.factories import make_namesake_customers, make_record, person


def _owner(session: Session, record_id: int) -> str:
    owner = session.scalar(
        select(models.SourceRecord.profile_id).where(models.SourceRecord.id == record_id)
    )
    assert owner is not None
    return owner


def _two_people(factory: sessionmaker[Session]) -> tuple[int, int, int]:
    with unit_of_work(factory) as session:
        a = make_record(
            session,
            attributes=person("Ann", "Lee", email="ann@x.com"),
            identifiers={"email": "ann@x.com"},
            with_event=True,
        )
        b = make_record(
            session,
            source="web",
            channel="web",
            identifiers={"email": "ann@x.com"},
            with_event=True,
        )
        c = make_record(
            session,
            attributes=person("Tom", "Fry"),
            identifiers={"customer_id": "c2"},
            with_event=True,
        )
        ids = (a.id, b.id, c.id)
    with unit_of_work(factory) as session:
        resolve(session)
    return ids


def test_merge_profiles_moves_everything_and_keeps_the_old_id_resolving(
    session_factory: sessionmaker[Session],
) -> None:
    a, _, c = _two_people(session_factory)
    with unit_of_work(session_factory) as session:
        keep, gone = _owner(session, a), _owner(session, c)
        result = merge_profiles(
            session, keep, gone, actor="ops@shop", reason="same person, confirmed by phone"
        )
    assert (result.profile_id, result.merged_profile_id, result.record_count) == (keep, gone, 3)
    with unit_of_work(session_factory) as session:
        assert resolve_profile_id(session, gone) == keep
        assert _owner(session, c) == keep
        assert set(session.scalars(select(models.Event.profile_id))) == {keep}
        log = session.scalars(select(models.MergeLog)).one()
        assert (log.action, log.actor, log.reason) == (
            "merge",
            "ops@shop",
            "same person, confirmed by phone",
        )
    with unit_of_work(session_factory) as session:
        resolve(session, full=True)
    with unit_of_work(session_factory) as session:
        assert _owner(session, c) == keep, "a full re-run respects the manual merge"


def test_split_restores_what_the_records_brought_and_later_runs_respect_it(
    session_factory: sessionmaker[Session],
) -> None:
    a, b, _ = _two_people(session_factory)
    with unit_of_work(session_factory) as session:
        profile_id = _owner(session, a)
        result = split_profile(session, profile_id, [b], actor="ops@shop", reason="shared inbox")
    with unit_of_work(session_factory) as session:
        assert _owner(session, b) == result.new_profile_id != profile_id
        event_owner = session.scalar(
            select(models.Event.profile_id).where(models.Event.record_id == b)
        )
        assert event_owner == result.new_profile_id
        original = session.get(models.Profile, profile_id)
        new = session.get(models.Profile, result.new_profile_id)
        assert original is not None
        assert new is not None
        assert (original.record_count, new.record_count) == (1, 1)
        assert original.given_name == "Ann"
        assert new.given_name is None
        assert new.email == "ann@x.com"
    with unit_of_work(session_factory) as session:
        resolve(session, full=True)
    with unit_of_work(session_factory) as session:
        assert _owner(session, b) != _owner(session, a)


def test_split_refuses_records_outside_the_profile_and_emptying_it(
    session_factory: sessionmaker[Session],
) -> None:
    a, b, c = _two_people(session_factory)
    with unit_of_work(session_factory) as session:
        profile_id = _owner(session, a)
        with pytest.raises(InvalidInputError, match="not in profile"):
            split_profile(session, profile_id, [c], actor="ops")
        with pytest.raises(InvalidInputError, match="leave it empty"):
            split_profile(session, profile_id, [a, b], actor="ops")
        with pytest.raises(RecordNotFoundError):
            split_profile(session, profile_id, [999_999], actor="ops")


def test_forbid_link_keeps_records_apart_in_later_runs(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        a = make_record(session, identifiers={"customer_id": "c1"})
        b = make_record(session, identifiers={"customer_id": "c1"})
        result = forbid_link(session, a.id, b.id, actor="ops", reason="test accounts")
        ids = (a.id, b.id)
    assert not result.shares_profile
    with unit_of_work(session_factory) as session:
        resolve(session)
    with unit_of_work(session_factory) as session:
        assert _owner(session, ids[0]) != _owner(session, ids[1])
        report = compare(session, ids[0], ids[1])
    assert any("never-link override" in reason for reason in report.kept_apart_by)


@pytest.mark.parametrize("new_first", [False, True], ids=["stored-left", "new-left"])
def test_forbid_link_keeps_a_new_record_out_of_a_stored_profile_incrementally(
    session_factory: sessionmaker[Session], new_first: bool
) -> None:
    """The never-link is found whichever side holds the lower record id (the override's left
    record): the new record, or another record of the candidate profile."""
    ann = {"attributes": person("Ann", "Lee"), "identifiers": {"email": "ann@x.com"}}
    with unit_of_work(session_factory) as session:
        early = make_record(session, source="pos", **ann).id if new_first else None  # type: ignore[arg-type]
        a = make_record(session, **ann).id  # type: ignore[arg-type]
        a2 = make_record(session, source="web", **ann).id  # type: ignore[arg-type]
    with unit_of_work(session_factory) as session:
        resolve_records(session, [a, a2])
    with unit_of_work(session_factory) as session:
        assert _owner(session, a) == _owner(session, a2)
        b = early if early is not None else make_record(session, source="pos", **ann).id  # type: ignore[arg-type]
        forbid_link(session, a2, b, actor="ops", reason="shared inbox")
    with unit_of_work(session_factory) as session:
        result = resolve_records(session, [b])
    assert result.created == 1
    with unit_of_work(session_factory) as session:
        assert _owner(session, b) != _owner(session, a)


def test_merge_is_refused_when_a_never_link_separates_the_profiles(
    session_factory: sessionmaker[Session],
) -> None:
    a, _, c = _two_people(session_factory)
    with unit_of_work(session_factory) as session:
        forbid_link(session, a, c, actor="ops")
        with pytest.raises(IdentityConflictError, match="never-link"):
            merge_profiles(session, _owner(session, a), _owner(session, c), actor="ops")
        merged = merge_profiles(
            session, _owner(session, a), _owner(session, c), actor="ops", force=True
        )
    with unit_of_work(session_factory) as session:
        resolve(session, full=True)
        assert _owner(session, c) == merged.profile_id


def test_merge_is_refused_when_customer_ids_differ_unless_forced(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        a = make_record(session, identifiers={"customer_id": "c1"})
        b = make_record(session, identifiers={"customer_id": "c2"})
        ids = (a.id, b.id)
    with unit_of_work(session_factory) as session:
        resolve(session)
    with unit_of_work(session_factory) as session:
        left, right = _owner(session, ids[0]), _owner(session, ids[1])
        with pytest.raises(IdentityConflictError, match="customer_id"):
            merge_profiles(session, left, right, actor="ops")
        assert merge_profiles(session, left, right, actor="ops", force=True).profile_id == left


def test_unknown_profile_and_empty_actor_are_clear_errors(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        with pytest.raises(ProfileNotFoundError, match="p_nope"):
            explain_profile(session, "p_nope")
        with pytest.raises(InvalidInputError, match="actor is empty"):
            merge_profiles(session, "a", "b", actor=" ")


def test_explain_profile_shows_records_links_with_evidence_and_history(
    session_factory: sessionmaker[Session],
) -> None:
    a, b, _ = _two_people(session_factory)
    with unit_of_work(session_factory) as session:
        explanation = explain_profile(session, _owner(session, a))
    assert [r.record_id for r in explanation.records] == [a, b]
    assert explanation.attributes["email"] == "ann@x.com"
    link = next(x for x in explanation.links if x.decision == "accepted")
    assert (link.method, link.evidence["identifier"]) == ("identifier", "email")


def test_compare_profiles_says_what_kept_them_apart(session_factory: sessionmaker[Session]) -> None:
    a, _, c = _two_people(session_factory)
    with unit_of_work(session_factory) as session:
        report = compare(session, _owner(session, a), _owner(session, c))
    assert not report.same_profile
    assert report.explanation.decision == "rejected"
    assert any("below the match threshold" in reason for reason in report.kept_apart_by)
    assert report.pairs_compared == 2


def test_compare_records_lists_the_strongest_evidence_apart_first(
    session_factory: sessionmaker[Session],
) -> None:
    a, _, c = _two_people(session_factory)
    with unit_of_work(session_factory) as session:
        report = compare(session, a, c)
    assert report.kept_apart_by[0].startswith("given_name: different given names (ann vs tom)")
    assert report.explanation.contributions[0].left_value == "ann"


def test_review_list_holds_possible_matches_in_different_profiles(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        # Three, so that none is another's only possible match (which would join them).
        ids = [
            make_record(session, attributes=person("Ann", "Lee", postcode="12345")).id
            for _ in range(3)
        ]

    model = default_model().replace(match_probability=0.999999, review_probability=0.01)
    with unit_of_work(session_factory) as session:
        resolve(session, model=model)
    with unit_of_work(session_factory) as session:
        items = review_list(session)
        assert len(items) == 3
        report = compare(session, ids[0], ids[1], model=model)
        assert report.explanation.decision == "review"
        assert any("only possible match" in reason for reason in report.kept_apart_by)
        assert items[0].left_profile_id != items[0].right_profile_id
        assert items[0].evidence["levels"]["family_name"]["label"] == "exact family name"
        with pytest.raises(InvalidInputError):
            review_list(session, limit=0)


def _resolve_with_a_wide_review_band(factory: sessionmaker[Session]) -> None:
    """Resolve with a match threshold no pair reaches: every scored pair waits for review."""
    model = default_model().replace(match_probability=0.999999, review_probability=0.01)
    with unit_of_work(factory) as session:
        resolve(session, model=model)


def test_review_list_shows_two_profiles_once_however_many_of_their_records_may_match(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        make_namesake_customers(session, {"c1": 2, "c2": 2, "c3": 1})
    _resolve_with_a_wide_review_band(session_factory)
    with unit_of_work(session_factory) as session:
        items = review_list(session)
        later = review_list(session, limit=1, offset=1)
    pairs = [frozenset((i.left_profile_id, i.right_profile_id)) for i in items]
    assert len(pairs) == len(set(pairs)) == 3
    assert sorted(i.links for i in items) == [2, 2, 4]
    scores = [i.score or 0.0 for i in items]
    assert scores == sorted(scores, reverse=True)
    assert [i.link_id for i in later] == [items[1].link_id]


def test_review_list_puts_possible_matches_before_household_pairs_that_weigh_more(
    session_factory: sessionmaker[Session],
) -> None:
    home = {"phone": "+13106709129", "line1": "24 valley blvd", "postcode": "90018"}
    with unit_of_work(session_factory) as session:
        # A household: one surname, street and phone, no given name on one side.
        make_record(session, attributes=person("Nicholas", "Hooper", **home))
        make_record(session, attributes=person(None, "Hooper", **home))
        make_namesake_customers(session, {"c1": 1, "c2": 1, "c3": 1})
    _resolve_with_a_wide_review_band(session_factory)
    with unit_of_work(session_factory) as session:
        items = review_list(session)
    reasons = [i.reason for i in items]
    assert reasons == [POSSIBLE_MATCH] * 3 + [HOUSEHOLD_ONLY]
    household, best_possible = items[-1].score or 0.0, items[0].score or 0.0
    assert household > best_possible
