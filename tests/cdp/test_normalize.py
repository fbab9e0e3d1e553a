from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cdp.normalize import (
    JunkReport,
    fold,
    junk_values,
    normalize_address_line,
    normalize_birth_date,
    normalize_email,
    normalize_handle,
    normalize_identifier,
    normalize_identifiers,
    normalize_name,
    normalize_phone,
    split_full_name,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Jane.Doe@Example.COM ", "jane.doe@example.com"),
        ("<jane@example.com>", "jane@example.com"),
        ("not-an-email", None),
        ("test@test.com", None),
        ("", None),
        (None, None),
    ],
    ids=["case-and-space", "angle-brackets", "malformed", "junk", "empty", "none"],
)
def test_normalize_email(raw: str | None, expected: str | None) -> None:
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("(415) 555-0132", "US", "+14155550132"),
        ("+44 20 7946 0958", "US", "+442079460958"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("0000000000", "US", None),
        ("12", "US", None),
        ("call me", "US", None),
    ],
    ids=["us-local", "uk-international", "uk-local-region", "junk", "too-short", "text"],
)
def test_normalize_phone(raw: str, region: str, expected: str | None) -> None:
    assert normalize_phone(raw, region) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("José  Núñez", "jose nunez"),
        ("O'Brien", "obrien"),
        ("Anne-Marie", "anne marie"),
        ("NULL", None),
    ],
    ids=["accents", "apostrophe", "hyphen", "junk"],
)
def test_normalize_name(raw: str, expected: str | None) -> None:
    assert normalize_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Jane Doe", ("jane", "doe")),
        ("Doe, Jane", ("jane", "doe")),
        ("Mary Ann Smith", ("mary ann", "smith")),
        ("Cher", ("cher", None)),
        ("  ", (None, None)),
        ("Dr. Jane Doe", ("jane", "doe")),
        ("Pedro Verduzco Jr.", ("pedro", "verduzco")),
        ("Leslie Blair \N{HERB}", ("leslie", "blair")),
    ],
    ids=[
        "given-family",
        "swapped-with-comma",
        "two-given",
        "single",
        "blank",
        "title",
        "suffix",
        "emoji",
    ],
)
def test_split_full_name(raw: str, expected: tuple[str | None, str | None]) -> None:
    assert split_full_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12 Main Street, Apt. 4", "12 main st apt 4"),
        ("12 MAIN ST APT 4", "12 main st apt 4"),
        ("1 North Avenue", "1 n ave"),
    ],
    ids=["long-form", "short-form", "direction"],
)
def test_normalize_address_line(raw: str, expected: str) -> None:
    assert normalize_address_line(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1985-07-04", "1985-07-04"),
        ("04.07.1985", "1985-07-04"),
        ("07/04/1985", "1985-07-04"),
        ("19850704", "1985-07-04"),
        ("1850-01-01", None),
        ("yesterday", None),
    ],
    ids=["iso", "dotted-dmy", "us-mdy", "compact", "absurd", "text"],
)
def test_normalize_birth_date(raw: str, expected: str | None) -> None:
    assert normalize_birth_date(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("@Jane_Doe", "jane_doe"), ("X:@Jane_Doe", "x:jane_doe"), ("anonymous", None)],
    ids=["bare", "network-prefixed", "junk"],
)
def test_normalize_handle(raw: str, expected: str | None) -> None:
    assert normalize_handle(raw) == expected


def test_normalize_identifier_rejects_unknown_kind() -> None:
    with pytest.raises(ValueError, match="unknown identifier kind 'ssn'"):
        normalize_identifier("ssn", "123")


def test_normalize_identifier_treats_junk_ids_as_no_evidence() -> None:
    assert normalize_identifier("customer_id", " C-1001 ") == "C-1001"
    assert normalize_identifier("anonymous_id", "undefined") is None


def test_junk_list_is_configurable() -> None:
    junk = junk_values(["ACME-TEST", "guest@shop.com"])
    assert normalize_identifier("customer_id", "acme-test", junk=junk) is None
    assert normalize_identifier("email", "Guest@Shop.com", junk=junk) is None
    assert normalize_identifier("email", "test@test.com", junk=junk) is None
    only = junk_values(["guest"], replace=True)
    assert normalize_identifier("customer_id", "null", junk=only) == "null"


def test_normalize_identifiers_counts_what_it_ignored() -> None:
    report = JunkReport()
    pairs = [
        ("email", "Jane@X.com"),
        ("email", "jane@x.com"),
        ("email", "test@test.com"),
        ("phone", "0000000000"),
        ("phone", "n/a"),
        ("anonymous_id", "undefined"),
        ("user_id", "u1"),
    ]
    assert normalize_identifiers(pairs, report=report) == [
        ("email", "jane@x.com"),
        ("user_id", "u1"),
    ]
    assert report.ignored == {"email": 1, "phone": 2, "anonymous_id": 1}
    assert report.total == 4
    assert report.examples["phone"] == ["0000000000", "n/a"]


def _fold_by_decomposition(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", stripped.casefold()).strip()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("José  Núñez ", "jose nunez"), ("STRASSE\t1", "strasse 1"), ("Straße", "strasse")],
)
def test_fold(raw: str, expected: str) -> None:
    assert fold(raw) == expected


@given(st.text(alphabet=st.characters(max_codepoint=127)) | st.text())
def test_fold_ascii_fast_path_agrees_with_decomposition(value: str) -> None:
    # ASCII input skips NFKD; the result must be what the general path gives.
    assert fold(value) == _fold_by_decomposition(value)
