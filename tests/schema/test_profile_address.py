"""The golden record's address and name through GraphQL: records resolved by identity (not a
profile written by hand), served structured and masked per role, on both databases."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

import identity
from cdp.db import unit_of_work
from tests.identity.factories import make_record
from tests.schema.conftest import Gql

PROFILE = """query($value: String!) {
  profileByIdentifier(kind: EMAIL, value: $value) {
    givenName familyName fullName gender
    address { line1 line2 city region postcode country }
    attributes
  }
}"""

HOME = {
    "line1": "4344 Canyon Dr",
    "line2": "Apt 4B",
    "city": "San Diego",
    "region": "CA",
    "postcode": "92101",
    "country": "US",
}


def _resolve(session_factory: sessionmaker[Session], records: list[dict[str, Any]]) -> None:
    with unit_of_work(session_factory) as session:
        for record in records:
            make_record(session, **record)
    with unit_of_work(session_factory) as session:
        identity.resolve(session)


def _ritter(session_factory: sessionmaker[Session]) -> None:
    """One person seen three ways: the old address with a capitalised till name, a web sign-up
    with the new address in full, and a later record in lower case giving only the new
    address's postcode and city."""
    email = {"email": "john.ritter@example.com"}
    _resolve(
        session_factory,
        [
            {
                "source": "pos",
                "attributes": {
                    "full_name": "RITTER, JOHN",
                    "address": {"line1": "12 OAK ST", "postcode": "10001"},
                },
                "identifiers": email,
            },
            {
                "source": "web",
                "channel": "web",
                "attributes": {
                    "given_name": "John",
                    "family_name": "Ritter",
                    "gender": "male",
                    "address": HOME,
                },
                "identifiers": email,
            },
            {
                "source": "web",
                "channel": "web",
                "attributes": {
                    "given_name": "john",
                    "family_name": "ritter",
                    "address": {"postcode": "92101", "city": "san diego"},
                },
                "identifiers": email,
            },
        ],
    )


@pytest.mark.parametrize("role", ["admin", "app"])
def test_address_is_served_structured_and_whole_when_role_sees_personal_data(
    gql: Gql, session_factory: sessionmaker[Session], role: str
) -> None:
    _ritter(session_factory)

    body = gql(PROFILE, {"value": "john.ritter@example.com"}, role=role)
    profile = body["data"]["profileByIdentifier"]

    assert profile["address"] == HOME
    assert (profile["givenName"], profile["familyName"]) == ("John", "Ritter")
    assert profile["fullName"] == "John Ritter"
    assert profile["gender"] == "male"
    assert profile["attributes"]["address"] == HOME
    assert "postcode" not in profile["attributes"]
    assert "city" not in profile["attributes"]


def test_analyst_sees_the_address_masked_but_city_region_and_country(
    gql: Gql, session_factory: sessionmaker[Session]
) -> None:
    _ritter(session_factory)

    profile = gql(PROFILE, {"value": "john.ritter@example.com"}, role="analyst")["data"][
        "profileByIdentifier"
    ]

    masked = {**HOME, "line1": "***", "line2": "***", "postcode": "92***"}
    assert profile["address"] == masked
    assert profile["attributes"]["address"] == masked
    assert (profile["givenName"], profile["familyName"]) == ("J***", "R***")


def test_a_chinese_name_and_address_are_served_in_characters(
    gql: Gql, session_factory: sessionmaker[Session]
) -> None:
    address = {
        "line1": "南山区科技园路1号",
        "city": "深圳市",
        "region": "广东省",
        "postcode": "518057",
        "country": "CN",
    }
    phone = {"phone": "+86 138-0013-8000"}
    _resolve(
        session_factory,
        [
            {
                "source": "shop",
                "attributes": {"full_name": "张伟", "address": address},
                "identifiers": {**phone, "email": "zhangwei@example.cn"},
            },
            {
                "source": "web",
                "channel": "web",
                "attributes": {"given_name": "Wei", "family_name": "Zhang"},
                "identifiers": phone,
            },
        ],
    )

    profile = gql(PROFILE, {"value": "zhangwei@example.cn"})["data"]["profileByIdentifier"]

    assert (profile["givenName"], profile["familyName"]) == ("伟", "张")
    assert profile["address"] == {**address, "line2": None}
