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
IMPLIED = "emails alike, names the same (no evidence beyond the names)"


@pytest.mark.parametrize(
    ("comparison", "left", "right", "expected"),
    [
        (GIVEN, {"given_name": "jane"}, {"given_name": None}, "missing on either side"),
        (GIVEN, {"given_name": "jane"}, {"given_name": "jane"}, "exact given name"),
        (GIVEN, {"given_name": "bob"}, {"given_name": "robert"}, "a nickname of the other"),
        (GIVEN, {"given_name": "sam"}, {"given_name": "samantha"}, "a nickname of the other"),
        (GIVEN, {"given_name": "sam"}, {"given_name": "samuel"}, "a nickname of the other"),
        (GIVEN, {"given_name": "paddy"}, {"given_name": "patrick"}, "a nickname of the other"),
        (GIVEN, {"given_name": "beto"}, {"given_name": "alberto"}, "a nickname of the other"),
        (GIVEN, {"given_name": "peggy"}, {"given_name": "maggie"}, "nicknames of one formal name"),
        (GIVEN, {"given_name": "robert"}, {"given_name": "william"}, "different given names"),
        (
            GIVEN,
            {"given_name": "stephanie"},
            {"given_name": "stepahnie"},
            "given names JW >= 0.9 (typo)",
        ),
        (
            GIVEN,
            {"given_name": "doe", "family_name": "jane"},
            {"given_name": "jane", "family_name": "doe"},
            "given and family name swapped",
        ),
        (
            GIVEN,
            {"given_name": "alvaardo", "family_name": "cheryl"},
            {"given_name": "cheryl", "family_name": "alvarado"},
            "given and family name swapped, with a typo or a nickname",
        ),
        (
            GIVEN,
            {"given_name": "vasquez", "family_name": "kimberly"},
            {"given_name": "kim", "family_name": "vasquez"},
            "given and family name swapped, with a typo or a nickname",
        ),
        (
            GIVEN,
            {"given_name": "estrada", "family_name": "christine"},
            {"given_name": "christine", "family_name": None},
            "the only name given is the other's family name",
        ),
        (
            GIVEN,
            {"given_name": "christine", "family_name": None},
            {"given_name": "estrada", "family_name": "christine"},
            "the only name given is the other's family name",
        ),
        (
            GIVEN,
            {"given_name": "christine", "family_name": None},
            {"given_name": "estrada", "family_name": "christina"},
            "different given names",
        ),
        (
            GIVEN,
            {"given_name": "christine", "family_name": "estrada"},
            {"given_name": "maria", "family_name": "christine"},
            "different given names",
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
            "family_name",
            {"given_name": "nancy", "family_name": "perkins"},
            {"given_name": "pekrins", "family_name": "nancy"},
            "family and given name swapped, with a typo or a nickname (counted once)",
        ),
        (
            "family_name",
            {"given_name": "nancy", "family_name": "perkins"},
            {"given_name": "perkins", "family_name": "maria"},
            "different family names",
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
            "birth dates one typo apart (a digit, or two swapped)",
        ),
        (
            "birth_date",
            {"birth_date": "1956-04-09"},
            {"birth_date": "1965-04-09"},
            "birth dates one typo apart (a digit, or two swapped)",
        ),
        (
            "birth_date",
            {"birth_date": "1970-07-20"},
            {"birth_date": "1970-07-02"},
            "birth dates one typo apart (a digit, or two swapped)",
        ),
        (
            "birth_date",
            {"birth_date": "1964-03-11"},
            {"birth_date": "1964-01-31"},
            "birth dates two digits apart",
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
            "same domain, mailbox one typo apart",
        ),
        (
            "email",
            {"given_name": "jane", "family_name": "doe", "email": "jane.doe@x.com"},
            {"given_name": "jane", "family_name": "doe", "email": "jane.doe7@x.com"},
            IMPLIED,
        ),
        (
            "email",
            {"given_name": "doe", "family_name": "jane", "email": "jane@x.com"},
            {"given_name": "jane", "family_name": "doe", "email": "jane@y.org"},
            IMPLIED,
        ),
        (
            "email",
            {"given_name": "jane", "family_name": "doe", "email": "jane.doe@x.com"},
            {"given_name": "jane", "family_name": "doe", "email": "jane.doe@x.com"},
            "same email, made of the names (no evidence beyond the names)",
        ),
        (
            "email",
            {"given_name": "jane", "family_name": "doe", "email": "jane.doe@x.com"},
            {"given_name": "jane", "family_name": "dow", "email": "jnae.doe@x.com"},
            "same domain, mailbox one typo apart",
        ),
        (
            "email",
            {"given_name": "donna", "family_name": "doe", "email": "donna42@gmail.com"},
            {"given_name": "donna", "family_name": "dow", "email": "donna7@gmail.com"},
            "different emails",
        ),
        (
            "email",
            {"given_name": "jane", "family_name": "doe", "email": "jane.doe@x.com"},
            {"given_name": "jane", "family_name": "dow", "email": "jane.doe7@x.com"},
            "different emails",
        ),
        (
            "email",
            {"given_name": "jane", "family_name": "doe", "email": "jane.doe@x.com"},
            {"given_name": "jane", "family_name": "doe", "email": "jd@y.org"},
            "different emails",
        ),
        ("phone", {"phone": "+14155550123"}, {"phone": "+14155550128"}, "phones one digit apart"),
        ("postcode", {"postcode": "SW1A1AA"}, {"postcode": "SW1B2CC"}, "same postcode area"),
        (
            "address",
            {"address": "1 main st"},
            {"address": "1 main st apt 2"},
            "street addresses JW >= 0.9",
        ),
        (
            GIVEN,
            {"given_name": "massey", "family_name": "edward"},
            {"given_name": "e", "family_name": "massey"},
            "given and family name swapped, with a typo or a nickname",
        ),
    ],
    ids=[
        "given-null",
        "given-exact",
        "given-nickname",
        "given-nickname-ambiguous-her",
        "given-nickname-ambiguous-him",
        "given-nickname-not-in-old-table",
        "given-nickname-spanish-added",
        "given-two-nicknames",
        "given-formal-names-sharing-a-nickname",
        "given-typo",
        "given-swapped",
        "given-swapped-typo",
        "given-swapped-nickname",
        "given-swapped-one-name-right",
        "given-swapped-one-name-left",
        "given-swapped-one-name-other-family",
        "given-family-both-present-not-a-swap",
        "given-initial",
        "given-different",
        "family-typo",
        "family-swapped-typo",
        "family-half-swapped",
        "dob-exact",
        "dob-digit",
        "dob-year-digits-swapped",
        "dob-day-digits-swapped",
        "dob-two-digits",
        "dob-transposed",
        "dob-year",
        "dob-different",
        "email-mailbox",
        "email-typo",
        "email-other-number-is-another-mailbox",
        "email-added-digit-is-another-mailbox",
        "email-alike-names-same",
        "email-same-mailbox-names-swapped",
        "email-exact-names-same",
        "email-alike-names-differ",
        "email-different-names-same",
        "phone-digit",
        "postcode-area",
        "address-jw",
        "given-swapped-with-an-initial",
    ],
)
def test_comparison_level_when_values_differ_like_this(
    comparison: str, left: dict[str, str | None], right: dict[str, str | None], expected: str
) -> None:
    assert _label(comparison, left, right) == expected


def test_levels_are_evaluated_for_many_pairs_at_once() -> None:
    records = [
        PersonRecord(i, str(i), given_name=name)
        for i, name in enumerate(["sarah", "sarha", "bob", None])
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


MADE_OF = "same email, made of the names (no evidence beyond the names)"


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        # A mailbox made of the names (either order, or an initial and a name): no evidence.
        (
            ("christopher", "ramos", "christopher.ramos@yahoo.com"),
            ("christophur", "ramos", None),
            MADE_OF,
        ),
        (("jane", "ramos", "ramos_jane@x.com"), ("jane", "ramos", None), MADE_OF),
        # Names that differ, or none on one record: the shared address is the evidence.
        (("jane", "ramos", "jane.ramos@x.com"), (None, None, None), "exact email"),
        (("jane", "ramos", "jane.ramos@x.com"), ("ramos", "j", None), "exact email"),
        (("jane", "ramos", "jramos@x.com"), ("jane", "ramos", None), MADE_OF),
        # Digits, or letters that are not the names, make a mailbox its own.
        (("jane", "ramos", "jramos42@x.com"), ("jane", "ramos", None), "exact email"),
        (("jane", "ramos", "sunflower@x.com"), ("jane", "ramos", None), "exact email"),
        # No names on either record: nothing explains the address.
        ((None, None, "jane.ramos@x.com"), (None, None, None), "exact email"),
    ],
)
def test_an_email_made_of_the_names_counts_nothing_beyond_them(
    left: tuple[str | None, str | None, str],
    right: tuple[str | None, str | None, str | None],
    expected: str,
) -> None:
    email = left[2]
    a = {"given_name": left[0], "family_name": left[1], "email": email}
    b = {"given_name": right[0], "family_name": right[1], "email": right[2] or email}
    assert _label("email", a, b) == expected
