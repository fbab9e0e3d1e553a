"""Survivorship by unit: a name and an address are each taken whole from one record, in the form
a person wrote them; ties are broken in the documented order."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from identity.records import PersonRecord, from_attributes
from identity.survivorship import golden_record, unit_rules


def _r(
    record_id: int,
    day: int = 1,
    source: str = "web",
    identifiers: tuple[tuple[str, str], ...] = (),
    **attributes: Any,
) -> PersonRecord:
    return from_attributes(
        record_id,
        f"{source}:{record_id}",
        attributes,
        identifiers,
        source=source,
        channel=source,
        occurred_at=datetime(2026, 1, day, tzinfo=UTC),
    )


def _address(line1: str | None = None, **parts: str) -> dict[str, str]:
    return {k: v for k, v in {"line1": line1, **parts}.items() if v is not None}


RITTER = [
    _r(1, 1, given_name="John", family_name="Ritter"),
    _r(2, 2, given_name="Ritter", family_name="Ritter"),
    _r(3, 3, full_name="Ritter, John"),
    _r(4, 4, given_name="Jon"),
]

# (records, rules, expected name, the record it came from)
NAME_CASES: list[tuple[str, list[PersonRecord], dict[str, str], dict[str, str], str]] = [
    (
        "never-mixed: the given name and family name come from one record",
        RITTER,
        {},
        {"given_name": "John", "family_name": "Ritter"},
        "web:3",  # `Ritter, John`: the same name, written last
    ),
    (
        "the case a person wrote beats capitals and lower case",
        [
            _r(1, 3, source="pos", full_name="JOHN RITTER"),
            _r(2, 1, given_name="John", family_name="Ritter"),
            _r(3, 2, given_name="john", family_name="ritter"),
        ],
        {},
        {"given_name": "John", "family_name": "Ritter"},
        "web:2",
    ),
    (
        "accents kept over the till's dropped ones",
        [
            _r(1, 2, source="pos", full_name="Jose Nunez"),
            _r(2, 1, given_name="José", family_name="Núñez"),
        ],
        {},
        {"given_name": "José", "family_name": "Núñez"},
        "web:2",
    ),
    (
        "most records agreeing wins over the most recent",
        [
            _r(1, 1, given_name="Ann", family_name="Lee"),
            _r(2, 2, given_name="Ann", family_name="Lee"),
            _r(3, 9, given_name="Annie", family_name="Lee"),
        ],
        {"name": "most_frequent"},
        {"given_name": "Ann", "family_name": "Lee"},
        "web:2",
    ),
    (
        "most_recent takes the latest record's whole name",
        [
            _r(1, 1, given_name="Ann", family_name="Lee"),
            _r(2, 2, given_name="Ann", family_name="Lee"),
            _r(3, 9, given_name="Annie", family_name="Lee-Park"),
        ],
        {"name": "most_recent"},
        {"given_name": "Annie", "family_name": "Lee-Park"},
        "web:3",
    ),
    (
        "a tie in agreement goes to the most complete name",
        [_r(1, 5, given_name="Ann"), _r(2, 1, given_name="Ann", family_name="Lee")],
        {},
        {"given_name": "Ann", "family_name": "Lee"},
        "web:2",
    ),
    (
        "a record with part of a name supports the fuller name it agrees with",
        [
            _r(1, 1, given_name="Ann"),
            _r(2, 2, given_name="ann"),
            _r(3, 3, given_name="Ann", family_name="Lee"),
            _r(4, 4, given_name="Bea", family_name="Lee"),
            _r(5, 5, given_name="Bea", family_name="Lee"),
        ],
        {},
        {"given_name": "Ann", "family_name": "Lee"},
        "web:3",
    ),
    (
        "a tie in agreement and completeness goes to the most recent",
        [
            _r(1, 1, given_name="Ann", family_name="Lee"),
            _r(2, 2, given_name="Bea", family_name="Lee"),
        ],
        {},
        {"given_name": "Bea", "family_name": "Lee"},
        "web:2",
    ),
    (
        "a full tie goes to the lowest record id",
        [
            _r(7, 1, given_name="Bea", family_name="Lee"),
            _r(3, 1, given_name="Ann", family_name="Lee"),
        ],
        {},
        {"given_name": "Ann", "family_name": "Lee"},
        "web:3",
    ),
    (
        "source_priority takes the first source's name, whole",
        [
            _r(1, 9, source="web", given_name="Jon", family_name="Smyth"),
            _r(2, 1, source="pos", full_name="SMITH, JONATHAN"),
        ],
        {"name": "source_priority"},
        {"given_name": "JONATHAN", "family_name": "SMITH"},
        "pos:2",
    ),
    (
        "Chinese names stay in characters, family name first split off",
        [
            _r(1, 1, given_name="Wei", family_name="Zhang"),
            _r(2, 2, full_name="Zhang Wei"),
            _r(3, 3, full_name="张伟"),
        ],
        {},
        {"given_name": "伟", "family_name": "张"},
        "web:3",
    ),
    (
        "a compound Chinese family name",
        [_r(1, 1, full_name="欧阳娜娜")],
        {},
        {"given_name": "娜娜", "family_name": "欧阳"},
        "web:1",
    ),
]


@pytest.mark.parametrize(
    ("records", "rules", "expected", "source"),
    [case[1:] for case in NAME_CASES],
    ids=[case[0] for case in NAME_CASES],
)
def test_a_name_is_taken_whole_from_one_record(
    records: list[PersonRecord], rules: dict[str, str], expected: dict[str, str], source: str
) -> None:
    golden = golden_record(records, rules, source_priority=("pos", "web"))
    name = {
        k: golden.attributes[k] for k in ("given_name", "family_name") if k in golden.attributes
    }
    assert (name, golden.sources["name"]) == (expected, source)


HOME = _address("4344 Canyon Dr", city="San Diego", region="CA", postcode="92101", country="US")
ADDRESS_CASES: list[tuple[str, list[PersonRecord], dict[str, str], dict[str, str]]] = [
    (
        "never-mixed: street, postcode and city come from one record",
        [
            _r(1, 1, address=_address("12 Oak St", postcode="10001", city="New York")),
            _r(2, 2, address=_address("4344 Canyon Dr")),
            _r(3, 3, address=_address(postcode="92101", city="San Diego")),
        ],
        {"address": "most_recent"},
        _address(postcode="92101", city="San Diego"),
    ),
    (
        "most_recent: the latest address, in the most complete spelling records agree on",
        [
            _r(1, 1, address=_address("12 Oak St", postcode="10001", city="New York")),
            _r(2, 2, address=HOME),
            _r(3, 3, source="pos", address=_address("4344 CANYON DRIVE")),
        ],
        {"address": "most_recent"},
        HOME,
    ),
    (
        "the case a person wrote, not the matcher's lower case",
        [_r(1, 1, address=_address("4344 canyon dr", postcode="92101")), _r(2, 2, address=HOME)],
        {"address": "most_frequent"},
        HOME,
    ),
    (
        "most_frequent: the address most records give",
        [
            _r(1, 1, address=_address("12 Oak St", postcode="10001")),
            _r(2, 2, address=_address("12 Oak Street", postcode="10001", city="New York")),
            _r(3, 3, address=HOME),
        ],
        {"address": "most_frequent"},
        _address("12 Oak Street", postcode="10001", city="New York"),
    ),
    (
        "a street or a postcode alone supports the full address it agrees with",
        [
            _r(1, 1, address=_address("4344 Canyon Drive")),
            _r(2, 2, address=_address(postcode="92101")),
            _r(3, 3, address=HOME),
            _r(4, 4, address=_address("12 Oak St", postcode="10001", city="New York")),
            _r(5, 5, address=_address("12 Oak St", postcode="10001", city="New York")),
        ],
        {"address": "most_frequent"},
        HOME,
    ),
    (
        "an address in Chinese, whole",
        [
            _r(
                1,
                1,
                address=_address(
                    "南山区科技园路1号",
                    line2="3栋502室",
                    city="深圳市",
                    region="广东省",
                    postcode="518057",
                    country="CN",
                ),
            )
        ],
        {},
        _address(
            "南山区科技园路1号",
            line2="3栋502室",
            city="深圳市",
            region="广东省",
            postcode="518057",
            country="CN",
        ),
    ),
]


@pytest.mark.parametrize(
    ("records", "rules", "expected"),
    [case[1:] for case in ADDRESS_CASES],
    ids=[case[0] for case in ADDRESS_CASES],
)
def test_an_address_is_taken_whole_from_one_record(
    records: list[PersonRecord], rules: dict[str, str], expected: dict[str, str]
) -> None:
    golden = golden_record(records, rules)
    assert golden.attributes["address"] == expected
    assert "postcode" not in golden.attributes
    assert "city" not in golden.attributes


OTHER_CASES = [
    ("email", "most_recent", "new@x.com"),
    ("email", "source_priority", "old@x.com"),
    ("phone", "most_recent", "+14155550124"),
    ("birth_date", "most_frequent", "1980-05-01"),
    ("gender", "most_complete", "female"),
]
OTHERS = [
    _r(1, 1, source="pos", email="Old@X.com", phone="(415) 555-0123", birth_date="05/01/1980"),
    _r(2, 2, email="NEW@x.com", phone="+1 415 555 0124", birth_date="1980-05-01", gender="F"),
    _r(3, 3, source="pos", birth_date="1980-01-05", gender="female"),
]


@pytest.mark.parametrize(("unit", "strategy", "expected"), OTHER_CASES)
def test_emails_phones_and_dates_are_shown_in_their_normal_form(
    unit: str, strategy: str, expected: str
) -> None:
    golden = golden_record(OTHERS, {unit: strategy}, source_priority=("pos", "web"))
    assert golden.attributes[unit] == expected


def test_older_models_rules_by_attribute_apply_to_their_unit() -> None:
    assert unit_rules({"given_name": "most_recent", "postcode": "most_complete"}) == {
        "name": "most_recent",
        "address": "most_complete",
    }
    assert unit_rules({"family_name": "most_recent", "name": "most_frequent"}) == {
        "name": "most_frequent"
    }


def test_records_without_raw_values_fall_back_to_their_features() -> None:
    bare = PersonRecord(1, "a", given_name="ann", family_name="lee", address="1 main st")
    golden = golden_record([bare], {})
    assert golden.attributes["given_name"] == "ann"
    assert golden.attributes["address"] == {"line1": "1 main st"}


def test_golden_record_counts_records_channels_and_seen_dates() -> None:
    records = [*RITTER[:2], _r(9, 3, source="pos", identifiers=(("email", "a@x.com"),))]
    golden = golden_record(records, {})
    assert (golden.record_count, golden.channel_count) == (3, 2)
    assert golden.first_seen_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert golden.last_seen_at == datetime(2026, 1, 3, tzinfo=UTC)
    assert golden.attributes["identifiers"] == {"email": ["a@x.com"]}
