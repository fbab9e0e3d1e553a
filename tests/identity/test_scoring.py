from __future__ import annotations

import math

import numpy as np
import pytest

from identity.comparisons import ComparisonLevel
from identity.defaults import default_model
from identity.records import PersonRecord, RecordTable
from identity.scoring import (
    M_U_CLAMP_MIN,
    bayes_factor_sentence,
    explain_pair,
    level_weight,
    probability,
    score_pairs,
)


def test_level_weight_is_log2_of_m_over_u() -> None:
    level = ComparisonLevel("exact", "exact", m=0.9, u=0.01)
    assert level_weight(level) == pytest.approx(math.log2(90))


def test_level_weight_is_clamped_when_u_is_zero() -> None:
    level = ComparisonLevel("exact", "exact", m=0.9, u=0.0)
    assert level_weight(level) == pytest.approx(math.log2(0.9 / M_U_CLAMP_MIN))


def test_null_level_carries_no_weight() -> None:
    assert level_weight(ComparisonLevel("null", "null", m=0.9, u=0.01)) == 0.0


def test_alike_emails_of_two_records_with_one_name_weigh_what_the_names_weigh() -> None:
    names = {"given_name": "jane", "family_name": "doe"}
    table = RecordTable(
        [
            PersonRecord(1, "a", email="jane.doe@x.com", **names),
            PersonRecord(2, "b", email="jane.doe7@x.com", **names),
            PersonRecord(3, "c", **names),
            PersonRecord(4, "d", given_name="jane", family_name="dow", email="jane.deo@x.com"),
        ]
    )
    model = default_model()
    scored = score_pairs(model, (table, table), (np.array([0, 0]), np.array([1, 2])))
    alike, no_email = scored.total.tolist()
    assert alike == pytest.approx(no_email)
    explanation = explain_pair(model, (table, table), 0, 1)
    email = next(c for c in explanation.contributions if c.comparison == "email")
    assert (email.weight, email.sentence) == (
        0.0,
        "`emails alike, names the same (no evidence beyond the names)`: no evidence either way",
    )
    # With names not the same, an alike email is evidence of its own again.
    explanation = explain_pair(model, (table, table), 0, 3)
    email = next(c for c in explanation.contributions if c.comparison == "email")
    assert email.label == "same domain, mailbox one typo apart"
    assert email.weight > 0


@pytest.mark.parametrize(
    ("weight", "expected"),
    [(0.0, 0.5), (1.0, 2 / 3), (100.0, 1.0), (-3.0, 1 / 9)],
    ids=["even", "one-bit", "huge", "negative"],
)
def test_probability_from_weight(weight: float, expected: float) -> None:
    assert probability(weight) == pytest.approx(expected)


def test_sentence_says_how_many_times_more_likely() -> None:
    assert bayes_factor_sentence("exact email", 3.0) == (
        "If comparison level is `exact email` then comparison is 8.00 times "
        "more likely to be a match"
    )


def _pair_table(family_left: str, family_right: str) -> RecordTable:
    return RecordTable(
        [
            PersonRecord(1, "a", family_name=family_left),
            PersonRecord(2, "b", family_name=family_right),
        ]
    )


def test_rare_values_weigh_more_than_common_ones_with_term_frequencies() -> None:
    model = default_model().replace(tf_tables={"family_name": {"smith": 0.05, "zabrowski": 0.0001}})
    idx = (np.array([0]), np.array([1]))
    common = score_pairs(model, (_pair_table("smith", "smith"),) * 2, idx).total[0]
    rare = score_pairs(model, (_pair_table("zabrowski", "zabrowski"),) * 2, idx).total[0]
    assert rare > common + 8


def test_explanation_lists_prior_contributions_and_total() -> None:
    model = default_model()
    table = RecordTable(
        [
            PersonRecord(
                1,
                "a",
                given_name="jane",
                family_name="doe",
                birth_date="1980-01-02",
                postcode="12345",
            ),
            PersonRecord(
                2,
                "b",
                given_name="john",
                family_name="doe",
                birth_date="1980-01-02",
                postcode="12345",
            ),
        ]
    )
    explanation = explain_pair(model, (table, table), 0, 1)
    assert [c.comparison for c in explanation.contributions] == [
        c.output_name for c in model.comparisons
    ]
    expected_total = explanation.prior_weight + sum(
        c.weight + c.tf_adjustment for c in explanation.contributions
    )
    assert explanation.total == pytest.approx(expected_total)
    assert explanation.vetoes == ()
    assert explanation.kept_apart_by[0].comparison == "given_name"
    assert "less likely" in explanation.contributions[0].sentence


def test_same_person_with_typos_is_accepted() -> None:
    model = default_model()
    table = RecordTable(
        [
            PersonRecord(
                1,
                "a",
                given_name="jonathan",
                family_name="smith",
                birth_date="1980-01-02",
                postcode="12345",
                address="1 main st",
            ),
            PersonRecord(
                2,
                "b",
                given_name="jonathon",
                family_name="smyth",
                birth_date="1980-01-02",
                postcode="12345",
                address="1 main st",
            ),
        ]
    )
    explanation = explain_pair(model, (table, table), 0, 1)
    assert explanation.decision == "accepted"
    assert explanation.probability > model.match_probability


def _person(i: int, **kw: str) -> PersonRecord:
    return PersonRecord(i, f"k{i}", **kw)  # type: ignore[arg-type]


def test_a_transposed_birth_date_does_not_keep_apart_what_everything_else_joins() -> None:
    # The case: identical email, phone, name and address, birth dates 07-20 / 07-02.
    same = {
        "given_name": "donna",
        "family_name": "ritter",
        "email": "donna.ritter@mail.com",
        "phone": "+13105550100",
        "address": "4344 canyon dr",
        "postcode": "90210",
    }
    table = RecordTable(
        [_person(0, birth_date="1970-07-20", **same), _person(1, birth_date="1970-07-02", **same)]
    )
    explanation = explain_pair(default_model(), (table, table), 0, 1)
    assert explanation.vetoes == ()
    assert explanation.decision == "accepted"


def test_a_given_name_wholly_different_is_evidence_not_a_veto() -> None:
    same = {"family_name": "petersen", "birth_date": "1902-03-26", "address": "13 bissen cres"}
    table = RecordTable(
        [_person(0, given_name="lily", **same), _person(1, given_name="mitchell", **same)]
    )
    explanation = explain_pair(default_model(), (table, table), 0, 1)
    given = explanation.contributions[0]
    assert (given.label, given.is_veto) == ("different given names", False)
    assert given.weight < -3
    assert explanation.decision == "accepted"


def test_household_pair_goes_to_review_whatever_it_weighs() -> None:
    home = {"family_name": "garcia", "address": "12 oak st", "postcode": "90210"}
    table = RecordTable(
        [
            _person(0, given_name="maria", birth_date="1975-03-04", phone="+13105550100", **home),
            _person(1, given_name="jose", birth_date="1973-08-09", phone="+13105550100", **home),
        ]
    )
    model = default_model()
    explanation = explain_pair(model, (table, table), 0, 1)
    assert explanation.total >= model.match_weight
    assert explanation.decision == "review"


def test_a_swap_of_given_and_family_name_counts_once() -> None:
    table = RecordTable(
        [
            _person(0, given_name="nancy", family_name="perkins"),
            _person(1, given_name="perkins", family_name="nancy"),
        ]
    )
    explanation = explain_pair(default_model(), (table, table), 0, 1)
    given, family = explanation.contributions[:2]
    assert given.weight > 0
    assert family.weight == 0.0
    assert "counted once" in family.label
