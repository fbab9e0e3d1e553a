"""The noise functions on their own: each edit is the kind it claims to be."""

from __future__ import annotations

import random

import pytest
from rapidfuzz.distance import DamerauLevenshtein, Levenshtein

from cdp.normalize import normalize_email, normalize_phone
from cdp.synthetic import NoiseRates
from cdp.synthetic._noise import Noise, strip_accents


def _noise(**rates: float) -> Noise:
    zero = dict.fromkeys(NoiseRates.__dataclass_fields__, 0.0)
    noise = Noise(NoiseRates(**(zero | rates)))
    noise.rng = random.Random(1)
    return noise


@pytest.mark.parametrize("word", ["Robert", "Nguyen", "Oluwaseun", "Main Street"], ids=str)
def test_a_typo_is_one_edit_away(word: str) -> None:
    noise = _noise(typo=1.0)
    for _ in range(200):
        typed = noise.typed(word, "till")
        assert Levenshtein.distance(typed, word) == 1


@pytest.mark.parametrize("word", ["Robert", "Sanchez", "Lakeview"], ids=str)
def test_a_transposition_swaps_two_neighbours(word: str) -> None:
    noise = _noise(transposition=1.0)
    for _ in range(100):
        typed = noise.typed(word, "till")
        assert sorted(typed) == sorted(word)
        assert DamerauLevenshtein.distance(typed, word) == 1


def test_short_names_are_left_alone() -> None:
    noise = _noise(typo=1.0, transposition=1.0)
    assert noise.typed("Al", "till") == "Al"


def test_nicknames_come_from_the_person() -> None:
    noise = _noise(nickname=1.0)
    assert {noise.given("Robert", ("Bob", "Rob")) for _ in range(50)} == {"Bob", "Rob"}
    assert noise.given("Zyanya", ()) == "Zyanya"


def test_junk_emails_and_phones_are_no_evidence() -> None:
    noise = _noise(junk=1.0)
    for _ in range(50):
        assert normalize_email(noise.email("jane@example.org", "till")) is None
        assert normalize_phone(noise.phone("4155550123", "till")) is None


def test_junk_is_not_drawn_where_the_form_refuses_it() -> None:
    noise = _noise(junk=1.0)
    assert noise.email("jane@example.org", "list", allow_junk=False) == "jane@example.org"


def test_a_mistyped_email_is_still_an_email_but_another_one() -> None:
    noise = _noise(email_typo=1.0)
    for _ in range(50):
        typed = noise.email("jane.doe@gmail.com", "till")
        assert typed != "jane.doe@gmail.com"
        assert normalize_email(typed) is not None


def test_phone_formats_all_normalise_to_the_same_number() -> None:
    noise = _noise()
    formatted = {noise.phone("4155550123", "till") for _ in range(200)}
    assert len(formatted) >= 5
    assert {normalize_phone(p) for p in formatted} == {"+14155550123"}


def test_rates_are_counted_with_their_expectation() -> None:
    noise = _noise()
    for _ in range(1000):
        noise.chance("x", 0.25)
    count = noise.report()["x"]
    assert count.opportunities == 1000
    assert count.expected == pytest.approx(250)
    assert 180 < count.applied < 320


def test_accents_are_stripped() -> None:
    assert strip_accents("José Núñez Müller") == "Jose Nunez Muller"
