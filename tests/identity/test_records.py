from __future__ import annotations

import pytest

from identity.records import canonical_given_name, formal_given_names


@pytest.mark.parametrize(
    ("name", "included", "excluded"),
    [
        ("sam", {"sam", "samuel", "samantha"}, set()),
        ("pat", {"patrick", "patricia"}, set()),
        ("alex", {"alexander", "alexandra"}, set()),
        ("paddy", {"patrick"}, {"patricia"}),
        ("sammy", {"samuel", "samantha"}, set()),
        ("bob", {"bob", "robert"}, set()),
        ("bob smith", {"robert"}, {"smith"}),
        ("robert", {"robert"}, {"bob", "bill", "billy"}),
        ("william", {"william"}, {"bill", "wilma"}),
        ("beto", {"alberto"}, set()),
        ("zebedee", {"zebedee"}, set()),
    ],
    ids=[
        "ambiguous-sam",
        "ambiguous-pat",
        "ambiguous-alex",
        "one-formal-name",
        "diminutive-of-a-nickname",
        "nickname",
        "first-word-only",
        "two-way-pair-read-one-way",
        "formal-name-is-not-a-nickname",
        "added-spanish-form",
        "unknown-name-is-itself",
    ],
)
def test_formal_given_names(name: str, included: set[str], excluded: set[str]) -> None:
    names = formal_given_names(name)
    assert included <= names
    assert not excluded & names


@pytest.mark.parametrize("name", [None, ""])
def test_no_given_name_has_no_formal_names(name: str | None) -> None:
    assert formal_given_names(name) == frozenset()
    assert canonical_given_name(name) is None


@pytest.mark.parametrize(
    ("name", "key"),
    [("timmy", "timothy"), ("bob", "robert"), ("robert", "robert"), ("zebedee", "zebedee")],
)
def test_the_blocking_key_is_one_formal_name(name: str, key: str) -> None:
    assert canonical_given_name(name) == key


@pytest.mark.parametrize(
    ("written", "feature"),
    [
        ("1955-11-02", "1955-11-02"),
        ("19551102", "1955-11-02"),
        ("19551192", "1955-11-92"),
        ("1955-13-02", "1955-13-02"),
        ("not a date", None),
        ("1234", None),
    ],
    ids=["iso", "digits", "mistyped-day", "mistyped-month", "text", "too-short"],
)
def test_a_mistyped_birth_date_is_kept_for_matching_in_the_iso_shape(
    written: str, feature: str | None
) -> None:
    from identity.records import from_values

    values = [None, None, None, written, None, None, None, None, None]
    assert from_values(1, "k", values).birth_date == feature
