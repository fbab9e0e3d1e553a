from __future__ import annotations

from datetime import UTC, datetime

import pytest

from identity.records import PersonRecord
from identity.survivorship import golden_record


def _r(key: str, day: int, source: str, **kw: str) -> PersonRecord:
    return PersonRecord(
        int(day),
        key,
        source=source,
        occurred_at=datetime(2026, 1, day, tzinfo=UTC),
        channel=source,
        **kw,
    )  # type: ignore[arg-type]


RECORDS = [
    _r("a", 1, "pos", email="old@x.com", given_name="jon", address="1 main st"),
    _r("b", 2, "web", email="new@x.com", given_name="jonathan", address="1 main st apt 4"),
    _r("c", 3, "pos", given_name="jon"),
]


@pytest.mark.parametrize(
    ("attribute", "strategy", "expected"),
    [
        ("email", "most_recent", "new@x.com"),
        ("given_name", "most_frequent", "jon"),
        ("given_name", "most_complete", "jonathan"),
        ("address", "most_complete", "1 main st apt 4"),
        ("email", "source_priority", "old@x.com"),
    ],
    ids=["recent", "frequent", "complete-name", "complete-address", "source-priority"],
)
def test_survivorship_rule_picks_the_value(attribute: str, strategy: str, expected: str) -> None:
    golden = golden_record(RECORDS, {attribute: strategy}, source_priority=("pos", "web"))
    assert golden.attributes[attribute] == expected


def test_golden_record_counts_records_channels_and_seen_dates() -> None:
    golden = golden_record(RECORDS, {})
    assert (golden.record_count, golden.channel_count) == (3, 2)
    assert golden.first_seen_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert golden.last_seen_at == datetime(2026, 1, 3, tzinfo=UTC)
    assert golden.sources["email"] in {"a", "b"}
