from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from cdp.db import unit_of_work
from identity import resolve
from tests.identity.factories import make_record, person
from tests.schema.conftest import Gql


def _two_people(session_factory: sessionmaker[Session]) -> dict[str, int | str]:
    """Jane (two records sharing an email) and John (one record), resolved."""
    with unit_of_work(session_factory) as session:
        jane_shop = make_record(
            session,
            attributes=person("Jane", "Doe", email="jane@x.com", birth_date="1980-02-03"),
            identifiers={"email": "jane@x.com"},
        )
        jane_web = make_record(
            session,
            source="web",
            channel="web",
            attributes=person("Jane", "Doe", email="jane@x.com"),
            identifiers={"email": "jane@x.com", "user_id": "u-1"},
        )
        john = make_record(
            session,
            attributes=person("John", "Smith", email="john@y.com", birth_date="1970-01-01"),
            identifiers={"email": "john@y.com"},
        )
        ids = {"jane_shop": jane_shop.id, "jane_web": jane_web.id, "john_record": john.id}
    with unit_of_work(session_factory) as session:
        resolve(session)
    with unit_of_work(session_factory) as session:
        owners = dict(
            session.execute(select(models.SourceRecord.id, models.SourceRecord.profile_id)).all()
        )
    return {**ids, "jane": owners[ids["jane_shop"]], "john": owners[ids["john_record"]]}


def test_explain_profile_lists_records_and_links_when_analyst_asks(
    gql: Gql, session_factory: sessionmaker[Session]
) -> None:
    world = _two_people(session_factory)

    body = gql(
        """query($id: ID!) { explainProfile(id: $id) {
          __typename
          ... on ProfileExplanation {
            profileId records { recordId source } links { decision evidence }
            profile { givenName }
          } } }""",
        {"id": world["jane"]},
        role="analyst",
    )

    explanation = body["data"]["explainProfile"]
    assert explanation["profileId"] == world["jane"]
    assert {r["recordId"] for r in explanation["records"]} == {
        str(world["jane_shop"]),
        str(world["jane_web"]),
    }
    assert "accepted" in {link["decision"] for link in explanation["links"]}
    email_links = [x["evidence"] for x in explanation["links"] if x["evidence"].get("identifier")]
    assert email_links
    assert {e["value"] for e in email_links} == {"j***@x***.com"}
    # The golden record's case is identity's choice; the mask keeps one letter either way.
    assert explanation["profile"]["givenName"].lower() == "j***"


def test_explain_profile_is_typed_not_found_when_id_unknown(gql: Gql, backend: str) -> None:
    body = gql('{ explainProfile(id: "ghost") { __typename ... on NotFound { id message } } }')

    assert body["data"]["explainProfile"] == {
        "__typename": "NotFound",
        "id": "ghost",
        "message": "profile 'ghost' not found",
    }


COMPARE = """query($l: ID!, $r: ID!, $records: Boolean!) {
  compare(left: $l, right: $r, records: $records) {
    __typename
    ... on Comparison {
      sameProfile totalWeight keptApartBy
      contributions { comparison weight leftValue rightValue }
    }
    ... on Problem { message }
  }
}"""


def test_compare_gives_weights_per_field_and_what_kept_them_apart(
    gql: Gql, session_factory: sessionmaker[Session]
) -> None:
    world = _two_people(session_factory)

    result = gql(COMPARE, {"l": world["jane"], "r": world["john"], "records": False})["data"][
        "compare"
    ]

    assert result["__typename"] == "Comparison"
    assert result["sameProfile"] is False
    assert result["contributions"], result
    assert result["keptApartBy"]
    email = next(c for c in result["contributions"] if "email" in c["comparison"])
    assert {email["leftValue"], email["rightValue"]} == {"jane@x.com", "john@y.com"}
    assert email["weight"] < 0


def test_compare_masks_values_for_analysts_when_comparing_records(
    gql: Gql, session_factory: sessionmaker[Session]
) -> None:
    world = _two_people(session_factory)
    variables = {"l": str(world["jane_shop"]), "r": str(world["john_record"]), "records": True}

    result = gql(COMPARE, variables, role="analyst")["data"]["compare"]

    email = next(c for c in result["contributions"] if "email" in c["comparison"])
    assert {email["leftValue"], email["rightValue"]} == {"j***@x***.com", "j***@y***.com"}
    assert not any("jane@x.com" in reason for reason in result["keptApartBy"])


def test_compare_is_invalid_input_when_record_id_is_not_a_number(gql: Gql, backend: str) -> None:
    result = gql(COMPARE, {"l": "abc", "r": "1", "records": True})["data"]["compare"]

    assert result == {
        "__typename": "InvalidInput",
        "message": "left: 'abc' is not a record id (digits)",
    }


MERGE = """mutation($input: MergeProfilesInput!) { mergeProfiles(input: $input) {
  __typename
  ... on ProfilesMerged { mergedProfileId recordCount profile { id recordCount } }
  ... on Problem { message }
} }"""


def test_admin_merges_profiles_and_old_id_redirects_when_read(
    gql: Gql, session_factory: sessionmaker[Session]
) -> None:
    world = _two_people(session_factory)
    data = {"winnerId": world["jane"], "otherId": world["john"], "reason": "same person"}

    merged = gql(MERGE, {"input": data})["data"]["mergeProfiles"]
    read = gql("query($id: ID!) { profile(id: $id) { id isRedirected } }", {"id": world["john"]})

    assert merged["__typename"] == "ProfilesMerged"
    assert merged["mergedProfileId"] == world["john"]
    assert merged["recordCount"] == 3
    assert merged["profile"]["id"] == world["jane"]
    assert read["data"]["profile"] == {"id": world["jane"], "isRedirected": True}


def test_merge_is_conflict_when_profiles_are_already_one(
    gql: Gql, session_factory: sessionmaker[Session]
) -> None:
    world = _two_people(session_factory)

    result = gql(MERGE, {"input": {"winnerId": world["jane"], "otherId": world["jane"]}})

    assert result["data"]["mergeProfiles"]["__typename"] == "Conflict"


def test_merge_is_forbidden_for_analyst_and_app(
    gql: Gql, session_factory: sessionmaker[Session]
) -> None:
    world = _two_people(session_factory)
    data = {"winnerId": world["jane"], "otherId": world["john"]}

    results = [
        gql(MERGE, {"input": data}, role=role)["data"]["mergeProfiles"]
        for role in ("analyst", "app")
    ]

    assert [r["__typename"] for r in results] == ["Forbidden", "Forbidden"]
    with unit_of_work(session_factory) as session:
        assert session.get(models.Profile, world["john"]).status == "active"  # type: ignore[union-attr]


def test_admin_splits_record_out_into_new_profile(
    gql: Gql, session_factory: sessionmaker[Session]
) -> None:
    world = _two_people(session_factory)
    data = {"profileId": world["jane"], "recordIds": [str(world["jane_web"])], "reason": "typo"}

    result = gql(
        """mutation($input: SplitProfileInput!) { splitProfile(input: $input) {
          __typename ... on ProfileSplit { recordIds profile { id } newProfile { id } } } }""",
        {"input": data},
    )["data"]["splitProfile"]

    assert result["recordIds"] == [str(world["jane_web"])]
    assert result["profile"] == {"id": world["jane"]}
    assert result["newProfile"]["id"] != world["jane"]


FORBID = """mutation($input: ForbidLinkInput!) { forbidLink(input: $input) {
  __typename
  ... on LinkForbidden { sharesProfile profileId }
  ... on NotFound { id }
} }"""


def test_forbid_link_says_records_still_share_a_profile(
    gql: Gql, session_factory: sessionmaker[Session]
) -> None:
    world = _two_people(session_factory)
    data = {"leftRecordId": str(world["jane_shop"]), "rightRecordId": str(world["jane_web"])}

    result = gql(FORBID, {"input": data})["data"]["forbidLink"]

    assert result == {
        "__typename": "LinkForbidden",
        "sharesProfile": True,
        "profileId": world["jane"],
    }


def test_forbid_link_is_not_found_when_record_unknown(
    gql: Gql, session_factory: sessionmaker[Session]
) -> None:
    world = _two_people(session_factory)
    data = {"leftRecordId": str(world["jane_shop"]), "rightRecordId": "999999"}

    result = gql(FORBID, {"input": data})["data"]["forbidLink"]

    assert result == {"__typename": "NotFound", "id": "999999"}


def test_review_list_shows_possible_matches_with_both_profiles(
    gql: Gql, session_factory: sessionmaker[Session]
) -> None:
    world = _two_people(session_factory)
    with unit_of_work(session_factory) as session:
        session.add(
            models.IdentityLink(
                left_record_id=world["jane_shop"],
                right_record_id=world["john_record"],
                method="fuzzy",
                rule="model",
                decision="review",
                score=2.5,
                probability=0.7,
                evidence={"total": 2.5},
            )
        )

    body = gql(
        """{ reviewList(first: 5) {
            score leftProfile { id } rightProfile { id } evidence linkCount } }""",
        role="analyst",
    )

    assert body["data"]["reviewList"] == [
        {
            "score": 2.5,
            "leftProfile": {"id": world["jane"]},
            "rightProfile": {"id": world["john"]},
            "evidence": {"total": 2.5},
            "linkCount": 1,
        }
    ]


def test_review_list_explains_bad_offset_when_negative(gql: Gql, backend: str) -> None:
    body = gql("{ reviewList(offset: -1) { score } }", role="analyst")

    assert body["errors"][0]["message"] == (
        "limit must be >= 1 and offset >= 0, got limit=20, offset=-1"
    )
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT"}
