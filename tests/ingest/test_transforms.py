"""Mapping transforms and the record's time, table by table: what a data engineer writes in a
mapping file, and what a row becomes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ingest.errors import AdapterConfigError, SkippableRecordError
from ingest.mapping import MappingAdapter, parse_mapping

ROW = {
    "id": "r1",
    "street_number": "12",
    "address_1": "stanley street",
    "address_2": "",
    "date_of_birth": "19560409",
    "bad_date": "19560231",
    "padded": "  Jane  ",
    "blank": "   ",
    "updated": "1987-03-04 10:00",
}

# (case, [fields] entry, target, expected value; None: the target is absent)
FIELD_CASES: list[tuple[str, Any, str, str | None]] = [
    ("a column", "address_1", "person.address.line1", "stanley street"),
    (
        "join with a separator",
        {"join": ["street_number", "address_1"], "sep": " "},
        "person.address.line1",
        "12 stanley street",
    ),
    (
        "join leaves blank cells out",
        {"join": ["address_2", "address_1", "blank"], "sep": ", "},
        "person.address.line1",
        "stanley street",
    ),
    (
        "join sep defaults to a space",
        {"join": ["street_number", "address_1"]},
        "person.address.line1",
        "12 stanley street",
    ),
    (
        "a date format, written ISO",
        {"column": "date_of_birth", "format": "%Y%m%d"},
        "person.birth_date",
        "1956-04-09",
    ),
    (
        "a person's date that does not parse is kept as written",
        {"column": "bad_date", "format": "%Y%m%d"},
        "person.birth_date",
        "19560231",
    ),
    ("strip = true trims", {"column": "padded", "strip": True}, "person.given_name", "Jane"),
    (
        "strip = false keeps the cell as written",
        {"column": "padded", "strip": False},
        "person.given_name",
        "  Jane  ",
    ),
    (
        "a default fills a blank cell",
        {"column": "blank", "default": "AU"},
        "person.address.country",
        "AU",
    ),
    (
        "a default fills a missing key",
        {"column": "nowhere", "default": "AU"},
        "person.address.country",
        "AU",
    ),
    (
        "a default does not replace a value",
        {"column": "address_1", "default": "x"},
        "person.address.line1",
        "stanley street",
    ),
    ("a blank cell with no default is absent", {"column": "blank"}, "person.given_name", None),
]


def _adapter(fields: dict[str, Any], **extra: Any) -> MappingAdapter:
    data = {
        "channel": "crm",
        "kind": "profile",
        "format": "jsonl",
        "key": "id",
        "timestamp": {"source": "ingest"},
        "fields": fields,
        **extra,
    }
    return MappingAdapter(parse_mapping(data))


@pytest.mark.parametrize(
    ("spec", "target", "expected"),
    [case[1:] for case in FIELD_CASES],
    ids=[case[0] for case in FIELD_CASES],
)
def test_a_field_transform_gives_the_value(spec: Any, target: str, expected: str | None) -> None:
    observation = _adapter({target: spec}).to_observation(ROW)

    person = observation.person.to_json()
    key = target.removeprefix("person.")
    if key.startswith("address."):
        value = person.get("address", {}).get(key.removeprefix("address."))
    else:
        value = person.get(key)
    if spec == {"column": "padded", "strip": False}:
        value = observation.person.given_name  # to_json trims; the observation keeps it
    assert value == expected


def test_a_fact_date_that_does_not_parse_quarantines_the_row_naming_the_format() -> None:
    adapter = _adapter(
        {"event.name": {"column": "bad_date", "format": "%Y%m%d"}},
        kind="event",
        constants={"event.type": "track"},
    )

    with pytest.raises(SkippableRecordError) as caught:
        adapter.to_observation(ROW)

    assert "'%Y%m%d'" in str(caught.value)
    assert "19560231" in str(caught.value)


# (case, [timestamp] table, expected occurred_at; None: the time of ingest)
TIME_CASES: list[tuple[str, dict[str, Any], datetime | None]] = [
    (
        "a column, history before 2000",
        {"column": "updated", "formats": ["%Y-%m-%d %H:%M"], "utc_offset": "+10:00"},
        datetime(1987, 3, 4, 0, 0, tzinfo=UTC),
    ),
    (
        "a constant",
        {"constant": "2000-01-01T00:00:00Z"},
        datetime(2000, 1, 1, tzinfo=UTC),
    ),
    (
        "a constant before 2000",
        {"constant": "1995-06-01T12:00:00+00:00"},
        datetime(1995, 6, 1, 12, tzinfo=UTC),
    ),
    (
        "a TOML date-time constant",
        {"constant": datetime(2001, 2, 3, 4, 5, tzinfo=UTC)},
        datetime(2001, 2, 3, 4, 5, tzinfo=UTC),
    ),
    ("the time of ingest", {"source": "ingest"}, None),
]


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [case[1:] for case in TIME_CASES],
    ids=[case[0] for case in TIME_CASES],
)
def test_the_record_time_comes_from_a_column_a_constant_or_the_ingest(
    stamp: dict[str, Any], expected: datetime | None
) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    adapter = _adapter({"person.email": "id"}, timestamp=stamp)

    first = adapter.to_observation(ROW).occurred_at
    second = adapter.to_observation({**ROW, "id": "r2"}).occurred_at

    if expected is None:
        assert before <= first <= datetime.now(UTC)
        assert second == first  # one run, one time: to_observation stays deterministic
    else:
        assert first == second == expected


# (case, mapping changes, what the error must say)
BAD_CASES: list[tuple[str, dict[str, Any], list[str]]] = [
    (
        "two time sources",
        {"timestamp": {"column": "t", "source": "ingest"}},
        ["exactly one of column =", "got column, source"],
    ),
    ("no time at all", {"timestamp": {}}, ["exactly one of column ="]),
    ("an unknown time source", {"timestamp": {"source": "file"}}, ["source = 'file'", "'ingest'"]),
    ("a constant that is no time", {"timestamp": {"constant": "soon"}}, ["constant = 'soon'"]),
    (
        "a constant before 1900",
        {"timestamp": {"constant": "1850-01-01T00:00:00Z"}},
        ["1850", "between 1900 and now"],
    ),
    ("a bad [timestamp] table", {"timestamp": "now"}, ["[timestamp] must be a table"]),
    (
        "column and join",
        {"fields": {"person.email": {"column": "a", "join": ["b"]}}},
        ["'person.email'", "exactly one of column = or join"],
    ),
    ("join not a list", {"fields": {"person.email": {"join": "a"}}}, ["join = 'a'"]),
    (
        "an unknown key",
        {"fields": {"person.email": {"column": "a", "trim": True}}},
        ["'trim'", "expected column, join"],
    ),
    (
        "sep without join",
        {"fields": {"person.email": {"column": "a", "sep": "-"}}},
        ["sep is for join"],
    ),
    (
        "a format without %",
        {"fields": {"person.birth_date": {"column": "a", "format": "YYYYMMDD"}}},
        ["format = 'YYYYMMDD'"],
    ),
    (
        "strip not a boolean",
        {"fields": {"person.email": {"column": "a", "strip": "yes"}}},
        ["strip = 'yes'"],
    ),
    ("a bad phone region", {"phone_region": "Australia"}, ["phone_region = 'Australia'"]),
    ("an unknown channel", {"channel": "callcenter"}, ["channel = 'callcenter'", "crm"]),
]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [case[1:] for case in BAD_CASES],
    ids=[case[0] for case in BAD_CASES],
)
def test_a_bad_mapping_names_the_entry_and_what_is_valid(
    changes: dict[str, Any], expected: list[str]
) -> None:
    data = {
        "channel": "crm",
        "kind": "profile",
        "key": "id",
        "timestamp": {"source": "ingest"},
        "fields": {"person.email": "email"},
        **changes,
    }

    with pytest.raises(AdapterConfigError) as caught:
        parse_mapping(data, "crm.toml")

    for text in expected:
        assert text in str(caught.value)


def test_every_problem_of_a_mapping_is_reported_at_once() -> None:
    data = {
        "channel": "crm",
        "kind": "profile",
        "key": "id",
        "timestamp": {"source": "later"},
        "fields": {"person.email": {"join": []}, "person.phone": 5},
        "phone_region": "ZZ",
    }

    with pytest.raises(AdapterConfigError) as caught:
        parse_mapping(data, "crm.toml")

    message = str(caught.value)
    for text in ("source = 'later'", "join = []", "'person.phone' = 5", "phone_region = 'ZZ'"):
        assert text in message


def test_a_declared_channel_is_accepted_and_the_phone_region_kept() -> None:
    data = {
        "channel": "callcenter",
        "kind": "profile",
        "key": "id",
        "timestamp": {"source": "ingest"},
        "phone_region": "au",
    }

    spec = parse_mapping(data, "calls.toml", channels=("callcenter",))

    assert (spec.channel, spec.phone_region) == ("callcenter", "AU")
