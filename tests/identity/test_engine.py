from __future__ import annotations

import dataclasses

from identity.defaults import default_model
from identity.engine import HOUSEHOLD_ONLY, POSSIBLE_MATCH, SOLE_CANDIDATE, link_records
from identity.records import PersonRecord, RecordTable


def _rec(i: int, **kw: object) -> PersonRecord:
    return PersonRecord(i, f"k{i}", **kw)  # type: ignore[arg-type]


def _clusters(records: list[PersonRecord], **kw: object) -> list[list[int]]:
    result = link_records(RecordTable(records), default_model(), **kw)  # type: ignore[arg-type]
    return sorted(sorted(c) for c in result.clusters)


def test_shared_customer_id_links_records_deterministically() -> None:
    records = [
        _rec(0, identifiers=(("customer_id", "c1"),)),
        _rec(1, identifiers=(("customer_id", "c1"),)),
    ]
    result = link_records(RecordTable(records), default_model())
    assert sorted(map(sorted, result.clusters)) == [[0, 1]]
    assert result.links[0].method == "identifier"
    assert result.links[0].evidence["identifier"] == "customer_id"


def test_anonymous_id_joins_a_person_through_an_identify_record() -> None:
    records = [
        _rec(0, identifiers=(("anonymous_id", "a1"),)),
        _rec(1, identifiers=(("anonymous_id", "a1"), ("user_id", "u1"))),
        _rec(2, identifiers=(("user_id", "u1"),), email="x@y.com"),
    ]
    assert _clusters(records) == [[0, 1, 2]]


def test_link_that_would_put_two_customer_ids_in_one_profile_is_set_aside_with_reason() -> None:
    records = [
        _rec(0, identifiers=(("customer_id", "c1"), ("anonymous_id", "a1"))),
        _rec(1, identifiers=(("anonymous_id", "a1"),)),
        _rec(2, identifiers=(("customer_id", "c2"), ("anonymous_id", "a1"))),
    ]
    result = link_records(RecordTable(records), default_model())
    assert sorted(map(sorted, result.clusters)) == [[0, 1], [2]]
    set_aside = [link for link in result.links if link.decision == "set_aside"]
    assert len(set_aside) == 1
    assert "one-per-person customer_id" in (set_aside[0].reason or "")


def test_identifier_shared_by_too_many_people_is_not_a_merge_key_and_is_reported() -> None:
    names = ["ann", "bob", "cid", "dan", "eve", "fay", "gus"]
    records = [
        _rec(i, given_name=n, identifiers=(("email", "info@shop.com"),))
        for i, n in enumerate(names)
    ]
    result = link_records(RecordTable(records), default_model())
    assert len(result.clusters) == len(names)
    assert [(s.kind, s.value, s.people) for s in result.shared_identifiers] == [
        ("email", "info@shop.com", 7)
    ]


def test_family_at_the_same_address_sharing_a_phone_stays_apart() -> None:
    common = {
        "family_name": "garcia",
        "address": "12 oak st",
        "postcode": "90210",
        "phone": "+13105550100",
    }
    ids = (("phone", "+13105550100"),)
    records = [
        _rec(0, given_name="maria", birth_date="1975-03-04", identifiers=ids, **common),
        _rec(1, given_name="jose", birth_date="1973-08-09", identifiers=ids, **common),
        _rec(2, given_name="sofia", birth_date="2004-11-12", identifiers=ids, **common),
        _rec(3, given_name="maria", birth_date="1975-03-04", email="maria@x.com", **common),
    ]
    assert _clusters(records) == [[0, 3], [1], [2]]


def test_nameless_record_with_a_family_email_cannot_bridge_two_people() -> None:
    ids = (("email", "family@x.com"),)
    records = [
        _rec(0, given_name="ann", family_name="lee", birth_date="1980-01-01", identifiers=ids),
        _rec(1, given_name="tom", family_name="lee", birth_date="1979-05-05", identifiers=ids),
        _rec(2, identifiers=ids),
    ]
    clusters = _clusters(records)
    assert [0, 1] not in clusters
    assert not any(0 in c and 1 in c for c in clusters)


def test_namesakes_given_one_name_made_email_are_not_linked_by_it() -> None:
    # Two Christopher Ramoses born 25 years apart, at two addresses with two phones, both
    # written down with `christopher.ramos@yahoo.com`: the address says no more than the
    # names, and everything else says two people.
    email = "christopher.ramos@yahoo.com"
    ids = (("email", email),)
    records = [
        _rec(
            0,
            given_name="christopher",
            family_name="ramos",
            birth_date="1965-12-07",
            email=email,
            phone="+12456235069",
            address="3569 christian estate",
            identifiers=ids,
        ),
        _rec(
            1,
            given_name="christophur",
            family_name="ramos",
            birth_date="1990-03-22",
            email=email,
            phone="+10201850251",
            address="6312 kyle hwy",
            identifiers=ids,
        ),
    ]
    assert _clusters(records) == [[0], [1]]


def test_a_shared_email_still_links_what_nothing_contradicts() -> None:
    # A nameless campaign record and a customer sharing a name-made address: nothing says two
    # people, so the email links them, as before.
    email = "anna.whitney@yahoo.com"
    ids = (("email", email),)
    records = [
        _rec(0, given_name="anna", family_name="whitney", email=email, identifiers=ids),
        _rec(1, email=email, identifiers=ids),
    ]
    assert _clusters(records) == [[0, 1]]


def test_never_link_override_keeps_records_apart_whatever_they_share() -> None:
    ids = (("customer_id", "c1"),)
    records = [_rec(0, identifiers=ids), _rec(1, identifiers=ids)]
    assert _clusters(records, never=[(0, 1)]) == [[0], [1]]


def test_never_link_to_stored_record_holds_when_new_records_form_bigger_cluster() -> None:
    # Regression: the stored profile's records were joined by writing the union-find's
    # parent directly, so a never-link recorded on its second record was lost once the new
    # records (a bigger cluster) joined the profile through its first record.
    new = (("customer_id", "c9"),)
    records = [
        _rec(0, identifiers=(("user_id", "u1"),), profile_id="p1"),
        _rec(1, identifiers=(("loyalty_id", "l1"),), profile_id="p1"),
        _rec(2, identifiers=(*new, ("user_id", "u1"))),
        _rec(3, identifiers=new),
        _rec(4, identifiers=new),
    ]
    assert _clusters(records, never=[(1, 4)]) == [[0, 1], [2, 3, 4]]


def test_one_per_person_value_of_stored_record_holds_when_new_records_join() -> None:
    records = [
        _rec(0, identifiers=(("loyalty_id", "l1"),), profile_id="p1"),
        _rec(1, identifiers=(("customer_id", "c1"),), profile_id="p1"),
        _rec(2, identifiers=(("customer_id", "c2"), ("anonymous_id", "a1"))),
        _rec(3, identifiers=(("customer_id", "c2"), ("anonymous_id", "a2"))),
        _rec(4, identifiers=(("customer_id", "c2"), ("anonymous_id", "a1"))),
        _rec(5, identifiers=(("anonymous_id", "a1"),), profile_id="p1"),
    ]
    clusters = _clusters(records)
    assert not any(1 in c and 2 in c for c in clusters)


def test_must_link_override_joins_records_with_no_evidence() -> None:
    records = [_rec(0, given_name="ann"), _rec(1, given_name="zed")]
    assert _clusters(records, must=[(0, 1)]) == [[0, 1]]


def test_stored_records_of_one_profile_stay_together_and_are_not_re_decided() -> None:
    records = [
        _rec(0, given_name="ann", family_name="lee", postcode="1", profile_id="p1"),
        _rec(1, given_name="ann", family_name="lee", postcode="1", profile_id="p2"),
        _rec(2, given_name="bob", profile_id="p1"),
    ]
    assert _clusters(records) == [[0, 2], [1]]


def test_new_record_that_matches_two_stored_profiles_bridges_them() -> None:
    records = [
        _rec(0, identifiers=(("customer_id", "c1"),), profile_id="p1"),
        _rec(1, identifiers=(("loyalty_id", "l1"),), profile_id="p2"),
        _rec(2, identifiers=(("customer_id", "c1"), ("loyalty_id", "l1"))),
    ]
    assert _clusters(records) == [[0, 1, 2]]


def test_possible_matches_go_to_review_instead_of_merging() -> None:
    model = default_model().replace(match_probability=0.999999, review_probability=0.01)
    # Three records, each a possible match of the other two: none is anyone's only candidate.
    records = [_rec(i, given_name="ann", family_name="lee", postcode="12345") for i in range(3)]
    result = link_records(RecordTable(records), model)
    assert sorted(map(sorted, result.clusters)) == [[0], [1], [2]]
    assert [link.decision for link in result.links] == ["review"] * 3
    assert {link.reason for link in result.links} == {POSSIBLE_MATCH}
    assert result.links[0].evidence["levels"]["given_name"]["label"] == "exact given name"


def test_a_record_whose_only_possible_match_is_one_profile_joins_it() -> None:
    model = default_model().replace(match_probability=0.999999, review_probability=0.01)
    records = [
        _rec(0, given_name="ann", family_name="lee", identifiers=(("customer_id", "c1"),)),
        _rec(1, given_name="ann", family_name="lee", identifiers=(("customer_id", "c1"),)),
        _rec(2, given_name="ann", family_name="lee"),
        _rec(3, given_name="bob", family_name="ray"),
    ]
    result = link_records(RecordTable(records), model)
    assert sorted(map(sorted, result.clusters)) == [[0, 1, 2], [3]]
    sole = [link for link in result.links if link.reason == SOLE_CANDIDATE]
    assert len(sole) == 1
    assert sole[0].decision == "accepted"
    assert sole[0].method == "fuzzy"
    assert {sole[0].left, sole[0].right} & {0, 1}
    assert 2 in {sole[0].left, sole[0].right}
    assert sole[0].evidence["levels"]["family_name"]["label"] == "exact family name"


def test_two_profiles_that_are_only_possible_matches_stay_apart() -> None:
    # The rule attaches a single record; joining two established profiles needs a match.
    model = default_model().replace(match_probability=0.999999, review_probability=0.01)
    records = [
        _rec(0, given_name="ann", family_name="lee", identifiers=(("customer_id", "c1"),)),
        _rec(1, given_name="ann", family_name="lee", identifiers=(("customer_id", "c1"),)),
        _rec(2, given_name="ann", family_name="lee", identifiers=(("loyalty_id", "l1"),)),
        _rec(3, given_name="ann", family_name="lee", identifiers=(("loyalty_id", "l1"),)),
    ]
    result = link_records(RecordTable(records), model)
    assert sorted(map(sorted, result.clusters)) == [[0, 1], [2, 3]]
    assert {link.decision for link in result.links if link.method == "fuzzy"} == {"review"}


def test_sole_candidate_respects_a_never_link_override() -> None:
    model = default_model().replace(match_probability=0.999999, review_probability=0.01)
    records = [
        _rec(0, given_name="ann", family_name="lee", postcode="12345"),
        _rec(1, given_name="ann", family_name="lee", postcode="12345"),
    ]
    result = link_records(RecordTable(records), model, never=[(0, 1)])
    assert sorted(map(sorted, result.clusters)) == [[0], [1]]


def test_a_stored_profile_with_another_possible_match_is_not_a_sole_candidate() -> None:
    # Incrementally, the stored records' own possible matches count, as in a full run: the new
    # record's only candidate is p1 (p2's birth date vetoes it), but p1 has p2 as well.
    model = default_model().replace(match_probability=0.999999, review_probability=0.01)
    ann = {"given_name": "ann", "family_name": "lee", "postcode": "12345"}
    records = [
        _rec(0, profile_id="p1", **ann),
        _rec(1, profile_id="p2", birth_date="1990-01-01", **ann),
        _rec(2, birth_date="1970-05-05", **ann),
    ]
    full = link_records(
        RecordTable([dataclasses.replace(r, profile_id=None) for r in records]), model
    )
    incremental = link_records(RecordTable(records), model)
    assert sorted(map(sorted, full.clusters)) == [[0], [1], [2]]
    assert sorted(map(sorted, incremental.clusters)) == [[0], [1], [2]]
    without_p2 = link_records(RecordTable([records[0], records[2]]), model)
    assert sorted(map(sorted, without_p2.clusters)) == [[0, 1]]


def test_household_evidence_alone_goes_to_review_not_merge() -> None:
    common = {"family_name": "hooper", "address": "24 valley blvd", "postcode": "90018"}
    records = [
        _rec(0, given_name="nicholas", phone="+13106709129", **common),
        _rec(1, email="phooper@me.com", **common),
    ]
    model = default_model().replace(prior=0.01)
    result = link_records(RecordTable(records), model)
    assert sorted(map(sorted, result.clusters)) == [[0], [1]]
    assert [link.decision for link in result.links] == ["review"]
    # It weighs more than a match would, but may never merge on what a household shares.
    assert (result.links[0].score or 0.0) >= model.match_weight
    assert result.links[0].reason == HOUSEHOLD_ONLY


def test_link_only_records_of_one_duplicate_free_source_never_share_a_cluster() -> None:
    same = {"given_name": "ann", "family_name": "lee", "birth_date": "1980-02-03"}
    records = [
        PersonRecord(0, "a:1", source="a", **same),  # type: ignore[arg-type]
        PersonRecord(1, "a:2", source="a", **same),  # type: ignore[arg-type]
        PersonRecord(2, "b:1", source="b", **same),  # type: ignore[arg-type]
    ]
    result = link_records(RecordTable(records), default_model(), duplicate_free=frozenset("ab"))
    clusters = sorted(sorted(c) for c in result.clusters)
    assert clusters in ([[0, 2], [1]], [[0], [1, 2]])
    assert not any({link.left, link.right} == {0, 1} for link in result.links)


def test_a_chain_through_a_record_without_birth_date_does_not_join_father_and_son() -> None:
    # Richard Gonzalez senior and junior at one address with one landline, two records each
    # with their own birth date, and a record with no birth date that matches both.
    common = {
        "given_name": "richard",
        "family_name": "gonzalez",
        "address": "73492 robert meadow",
        "postcode": "90210",
        "phone": "+16279652578",
    }
    records = [
        _rec(0, birth_date="1950-12-17", email="rgonzalez19@gmail.com", **common),
        _rec(1, birth_date="1950-12-17", email="rgonzalez19@gmail.com", **common),
        _rec(2, birth_date="2013-12-20", email="rgonzalez42@hotmail.com", **common),
        _rec(3, birth_date="2013-12-20", email="rgonzalez42@hotmail.com", **common),
        _rec(4, **common),
    ]
    result = link_records(RecordTable(records), default_model())
    clusters = sorted(sorted(c) for c in result.clusters)
    assert not any({0, 2} <= set(c) for c in clusters)
    assert [0, 1] in clusters or [0, 1, 4] in clusters
    assert [2, 3] in clusters or [2, 3, 4] in clusters
    apart = [link for link in result.links if link.decision == "set_aside"]
    assert any("two birth dates" in (link.reason or "") for link in apart)


def test_one_person_with_one_mistyped_birth_date_stays_one_profile() -> None:
    # A wrong date on one record is a corruption, not a second person.
    common = {"given_name": "ann", "family_name": "lee", "phone": "+16279650000"}
    records = [
        _rec(0, birth_date="1980-01-01", **common),
        _rec(1, birth_date="1980-01-01", **common),
        _rec(2, birth_date="1975-06-30", **common),
    ]
    assert _clusters(records) == [[0, 1, 2]]
