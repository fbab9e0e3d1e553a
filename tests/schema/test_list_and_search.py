from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from cdp.db import unit_of_work
from tests.schema.conftest import Gql
from tests.schema.factories import make_profile, make_record, make_source

PAGE = """query($first: Int, $after: String, $filter: ProfileFilter, $order: ProfileOrder!) {
  profiles(first: $first, after: $after, filter: $filter, orderBy: $order) {
    totalCount nodes { id } pageInfo { hasNextPage endCursor }
  }
}"""


def _profiles(session_factory: sessionmaker[Session], count: int) -> list[str]:
    with unit_of_work(session_factory) as session:
        return [make_profile(session, record_count=n % 3 + 1).id for n in range(count)]


def test_profiles_pages_cover_every_profile_once_when_following_cursors(
    gql: Gql, session_factory: sessionmaker[Session]
) -> None:
    ids = _profiles(session_factory, 7)
    seen: list[str] = []
    after = None
    while True:
        variables = {"first": 3, "after": after, "order": "LAST_SEEN_DESC"}
        page = gql(PAGE, variables)["data"]["profiles"]
        seen += [node["id"] for node in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert seen == list(reversed(ids))
    assert page["totalCount"] == 7


def test_profiles_sort_and_filter_when_asked(
    gql: Gql, session_factory: sessionmaker[Session]
) -> None:
    _profiles(session_factory, 6)
    with unit_of_work(session_factory) as session:
        web = make_source(session, channel="social")
        chosen = make_profile(session, record_count=9)
        make_record(session, source=web, profile=chosen)

    by_records = gql(PAGE, {"first": 2, "order": "RECORD_COUNT_DESC"})["data"]["profiles"]
    social = gql(PAGE, {"order": "ID_ASC", "filter": {"channel": "SOCIAL"}})["data"]["profiles"]
    many = gql(PAGE, {"order": "ID_ASC", "filter": {"minRecords": 3}})["data"]["profiles"]

    assert by_records["nodes"][0]["id"] == chosen.id
    assert social["nodes"] == [{"id": chosen.id}]
    assert many["totalCount"] == 3


def test_profiles_refuse_page_above_maximum_when_asked(gql: Gql, backend: str) -> None:
    body = gql(PAGE, {"first": 101, "order": "ID_ASC"})

    assert body["errors"][0]["message"] == (
        "first: 101 is outside 0..100 (the maximum page size); page on with `after` instead"
    )


def test_profiles_refuse_cursor_not_issued_when_forged(gql: Gql, backend: str) -> None:
    body = gql(PAGE, {"after": "bm90LWEtY3Vyc29y", "order": "ID_ASC"})

    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "'bm90LWEtY3Vyc29y' is not a cursor this API issued" in body["errors"][0]["message"]


def test_search_finds_profile_despite_typo_when_analyst_searches(
    gql: Gql, session_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(session_factory) as session:
        target = make_profile(session, given_name="Margaret", family_name="Thompson")
        make_profile(session, given_name="Marcus", family_name="Brown")
        other = make_profile(session, given_name="Zoe", family_name="Quinn")

    body = gql(
        '{ searchProfiles(text: "Margret Tomson") { score matchedOn profile { id givenName } } }',
        role="analyst",
    )

    hits = body["data"]["searchProfiles"]
    assert hits[0]["profile"] == {"id": target.id, "givenName": "M***"}
    assert hits[0]["matchedOn"] == "name"
    assert other.id not in [hit["profile"]["id"] for hit in hits]


def test_search_finds_profile_by_phone_when_written_differently(
    gql: Gql, session_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(session_factory) as session:
        target = make_profile(session, phone="+14155550123")
        make_profile(session, phone="+14155559999")

    body = gql('{ searchProfiles(text: "(415) 555-0123") { matchedOn profile { id } } }')

    assert body["data"]["searchProfiles"] == [{"matchedOn": "phone", "profile": {"id": target.id}}]


def test_overview_answers_profiles_records_and_channels_when_analyst_asks(
    gql: Gql, session_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(session_factory) as session:
        web, store = make_source(session, channel="web"), make_source(session, channel="store")
        both, only_web = make_profile(session), make_profile(session)
        make_profile(session, status="merged", merged_into_id=both.id)
        for source in (web, store, store):
            make_record(session, source=source, profile=both)
        make_record(session, source=web, profile=only_web)
        make_record(session, source=web)

    body = gql(
        """{ overview {
          totals { profiles mergedProfiles sourceRecords resolvedRecords sources channels }
          profilesByChannel { key profiles }
          profilesByChannelCount { key profiles }
          profilesByRecordCount { key profiles }
          mergeStats { merges profilesMergedAway pendingReviews }
        } }""",
        role="analyst",
    )

    overview = body["data"]["overview"]
    assert overview["totals"] == {
        "profiles": 2,
        "mergedProfiles": 1,
        "sourceRecords": 5,
        "resolvedRecords": 4,
        "sources": 2,
        "channels": 2,
    }
    assert overview["profilesByChannel"] == [
        {"key": "store", "profiles": 1},
        {"key": "web", "profiles": 2},
    ]
    assert overview["profilesByChannelCount"] == [
        {"key": "1", "profiles": 1},
        {"key": "2", "profiles": 1},
    ]
    assert overview["profilesByRecordCount"] == [
        {"key": "1", "profiles": 1},
        {"key": "3", "profiles": 1},
    ]
    assert overview["mergeStats"] == {"merges": 0, "profilesMergedAway": 1, "pendingReviews": 0}


@pytest.mark.parametrize(
    "order", ["LAST_SEEN_DESC", "LAST_SEEN_ASC", "FAMILY_NAME_ASC", "RECORD_COUNT_DESC", "ID_ASC"]
)
def test_pages_cover_every_profile_once_in_order_when_sort_keys_are_null_or_tied(
    gql: Gql, session_factory: sessionmaker[Session], order: str
) -> None:
    with unit_of_work(session_factory) as session:
        for n in range(9):
            profile = make_profile(session, family_name=None if n % 3 == 0 else f"F{n % 2}")
            profile.record_count = n % 2
            if n % 4 == 0:
                profile.last_seen_at = None
    full = gql(PAGE, {"first": 100, "order": order})["data"]["profiles"]["nodes"]
    seen: list[dict[str, str]] = []
    after = None
    while True:
        page = gql(PAGE, {"first": 2, "after": after, "order": order})["data"]["profiles"]
        seen += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert len(full) == 9
    assert seen == full


def test_naive_time_is_refused_with_its_field_when_filtering(gql: Gql, backend: str) -> None:
    body = gql(PAGE, {"order": "ID_ASC", "filter": {"seenAfter": "2026-01-01T00:00:00"}})

    assert body["errors"][0]["message"] == (
        "seenAfter: '2026-01-01T00:00:00' has no time zone; add 'Z' or an offset like '+02:00'"
    )


def test_search_of_punctuation_finds_nothing_when_nothing_is_searchable(
    gql: Gql, session_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(session_factory) as session:
        make_profile(session)

    body = gql('{ searchProfiles(text: "%%") { score } }')

    assert body == {"data": {"searchProfiles": []}}
