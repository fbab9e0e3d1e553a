from __future__ import annotations

import pytest

from identity.blocking import candidate_pairs, record_block_keys, soundex
from identity.model import BlockingRule
from identity.records import PersonRecord, RecordTable


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("robert", "r163"),
        ("rupert", "r163"),
        ("ashcraft", "a261"),
        ("tymczak", "t522"),
        ("lee", "l000"),
        ("", ""),
    ],
    ids=["robert", "rupert", "h-w-rule", "tymczak", "short", "empty"],
)
def test_soundex(name: str, code: str) -> None:
    assert soundex(name) == code


def test_record_has_no_key_under_a_rule_when_a_column_is_missing() -> None:
    rules = (
        BlockingRule("fp", ("family_name", "postcode")),
        BlockingRule("fam", ("family_name",), ("soundex",)),
    )
    record = PersonRecord(1, "a", family_name="smith")
    assert record_block_keys(record, rules) == [("fam", "s530")]


def test_candidate_pairs_are_deduplicated_across_rules_and_counted_per_rule() -> None:
    records = [
        PersonRecord(0, "a", email="x@y.com", family_name="doe", postcode="1"),
        PersonRecord(1, "b", email="x@y.com", family_name="doe", postcode="1"),
        PersonRecord(2, "c", email="z@y.com", family_name="doe", postcode="1"),
        PersonRecord(3, "d", email=None, family_name="roe", postcode="2"),
    ]
    rules = (BlockingRule("email", ("email",)), BlockingRule("fp", ("family_name", "postcode")))
    (left, right), report = candidate_pairs(RecordTable(records), rules, max_block_size=10)
    assert sorted(zip(left.tolist(), right.tolist(), strict=True)) == [(0, 1), (0, 2), (1, 2)]
    assert report.pairs == {"email": 1, "fp": 3}
    assert report.new_pairs == {"email": 1, "fp": 2}
    assert report.total_pairs == 3


def test_blocks_larger_than_the_limit_are_skipped_and_reported() -> None:
    records = [PersonRecord(i, str(i), email="info@shop.com") for i in range(5)]
    (left, _), report = candidate_pairs(
        RecordTable(records), (BlockingRule("email", ("email",)),), max_block_size=4
    )
    assert left.size == 0
    assert report.skipped_blocks == {"email": 1}
    assert report.skipped_examples == {"email": ["info@shop.com"]}


def test_pairs_grow_linearly_when_blocks_stay_small() -> None:
    def pairs(n: int) -> int:
        records = [
            PersonRecord(i, str(i), family_name=f"f{i // 3}", postcode="1") for i in range(n)
        ]
        (left, _), _ = candidate_pairs(
            RecordTable(records), (BlockingRule("fp", ("family_name", "postcode")),), 50
        )
        return int(left.size)

    assert pairs(3000) == 10 * pairs(300)


def test_a_nickname_and_the_formal_name_share_a_block_under_the_default_rules() -> None:
    from identity.defaults import default_model

    rules = default_model().blocking_rules
    records = [
        PersonRecord(1, "a", given_name="timmy", family_name="marshall", phone="+14155550123"),
        PersonRecord(2, "b", given_name="timothy", family_name="marshall", birth_date="1972-10-15"),
        PersonRecord(3, "c", given_name="tim", family_name="marsh"),
    ]
    (left, right), report = candidate_pairs(RecordTable(records), rules, 200)
    assert list(zip(left.tolist(), right.tolist(), strict=True)) == [(0, 1)]
    assert report.new_pairs["formal_name"] == 1
    assert ("formal_name", "timothy|marshall") in record_block_keys(records[0], rules)


def test_a_family_name_typo_soundex_misses_meets_its_person_by_given_name_and_postcode() -> None:
    from identity.defaults import default_model

    rules = default_model().blocking_rules
    records = [
        PersonRecord(1, "a", given_name="madison", family_name="barron", postcode="93739"),
        PersonRecord(2, "b", given_name="madison", family_name="bafron", postcode="93739"),
        PersonRecord(3, "c", given_name="madison", family_name="bafron", postcode="10001"),
    ]
    assert soundex("barron") != soundex("bafron")
    (left, right), report = candidate_pairs(RecordTable(records), rules, 200)
    pairs = set(zip(left.tolist(), right.tolist(), strict=True))
    assert (0, 1) in pairs
    assert (0, 2) not in pairs
    assert report.new_pairs["given_postcode"] == 1
