from __future__ import annotations

import numpy as np
import pytest

from identity.comparisons import evaluate_comparison
from identity.defaults import default_model
from identity.records import PersonRecord, RecordTable


def _label(comparison_name: str, left: dict[str, str | None], right: dict[str, str | None]) -> str:
    comparison = default_model().comparison(comparison_name)
    table = RecordTable([PersonRecord(1, "a", **left), PersonRecord(2, "b", **right)])  # type: ignore[arg-type]
    idx = (np.array([0]), np.array([1]))
    level = evaluate_comparison(comparison, (table, table), idx)[0]
    return comparison.levels[level].label


GIVEN = "given_name"


@pytest.mark.parametrize(
    ("comparison", "left", "right", "expected"),
    [
        (GIVEN, {"given_name": "jane"}, {"given_name": None}, "missing on either side"),
        (GIVEN, {"given_name": "jane"}, {"given_name": "jane"}, "exact given name"),
        (GIVEN, {"given_name": "bob"}, {"given_name": "robert"}, "same formal name (nickname)"),
        (
            GIVEN,
            {"given_name": "jonathon"},
            {"given_name": "jonathan"},
            "given names JW >= 0.9 (typo)",
        ),
        (
            GIVEN,
            {"given_name": "doe", "family_name": "jane"},
            {"given_name": "jane", "family_name": "doe"},
            "given and family name swapped",
        ),
        (GIVEN, {"given_name": "j"}, {"given_name": "jane"}, "an initial matches the name"),
        (GIVEN, {"given_name": "jane"}, {"given_name": "john"}, "different given names"),
        (
            "family_name",
            {"family_name": "smith"},
            {"family_name": "smyth"},
            "family names JW >= 0.88 (typo)",
        ),
        (
            "birth_date",
            {"birth_date": "1980-02-03"},
            {"birth_date": "1980-02-03"},
            "exact birth date",
        ),
        (
            "birth_date",
            {"birth_date": "1980-02-03"},
            {"birth_date": "1980-02-08"},
            "birth dates one digit apart",
        ),
        (
            "birth_date",
            {"birth_date": "1980-02-03"},
            {"birth_date": "1980-03-02"},
            "day and month transposed",
        ),
        (
            "birth_date",
            {"birth_date": "1980-02-03"},
            {"birth_date": "1980-11-27"},
            "same birth year",
        ),
        (
            "birth_date",
            {"birth_date": "1980-02-03"},
            {"birth_date": "1975-11-27"},
            "different birth dates",
        ),
        ("email", {"email": "jane@x.com"}, {"email": "jane@y.org"}, "same mailbox name"),
        (
            "email",
            {"email": "jane.doe@x.com"},
            {"email": "jane.deo@x.com"},
            "emails JW >= 0.92 (typo)",
        ),
        ("phone", {"phone": "+14155550123"}, {"phone": "+14155550128"}, "phones one digit apart"),
        ("postcode", {"postcode": "SW1A1AA"}, {"postcode": "SW1B2CC"}, "same postcode area"),
        (
            "address",
            {"address": "1 main st"},
            {"address": "1 main st apt 2"},
            "street addresses JW >= 0.9",
        ),
    ],
    ids=[
        "given-null",
        "given-exact",
        "given-nickname",
        "given-typo",
        "given-swapped",
        "given-initial",
        "given-different",
        "family-typo",
        "dob-exact",
        "dob-digit",
        "dob-transposed",
        "dob-year",
        "dob-different",
        "email-mailbox",
        "email-typo",
        "phone-digit",
        "postcode-area",
        "address-jw",
    ],
)
def test_comparison_level_when_values_differ_like_this(
    comparison: str, left: dict[str, str | None], right: dict[str, str | None], expected: str
) -> None:
    assert _label(comparison, left, right) == expected


def test_levels_are_evaluated_for_many_pairs_at_once() -> None:
    records = [
        PersonRecord(i, str(i), given_name=name)
        for i, name in enumerate(["ann", "anne", "bob", None])
    ]
    table = RecordTable(records)
    comparison = default_model().comparison(GIVEN)
    left = np.array([0, 0, 2, 3])
    right = np.array([1, 2, 2, 0])
    levels = evaluate_comparison(comparison, (table, table), (left, right))
    labels = [comparison.levels[i].label for i in levels]
    assert labels == [
        "given names JW >= 0.9 (typo)",
        "different given names",
        "exact given name",
        "missing on either side",
    ]
