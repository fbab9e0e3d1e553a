"""Names in Chinese characters meet the same names written in pinyin on another channel."""

from __future__ import annotations

import numpy as np
import pytest

from identity.comparisons import evaluate_comparison
from identity.defaults import default_model
from identity.engine import link_records
from identity.han import han_names, pinyin
from identity.records import PersonRecord, RecordTable, from_values
from identity.scoring import level_weight


def _record(
    i: int, given: str | None, family: str | None, full: str | None = None, birth: str | None = None
) -> PersonRecord:
    return from_values(i, f"k{i}", [given, family, full, birth, None, None, None, None, None])


@pytest.mark.parametrize(
    ("given", "family", "full", "expected"),
    [
        ("伟", "张", None, ("伟", "张")),
        (None, None, "张伟", ("伟", "张")),
        (None, None, "欧阳娜娜", ("娜娜", "欧阳")),  # a compound family name
        ("芳", None, "李芳", ("芳", "李")),  # the family name from the full name
        ("Wei", "Zhang", None, (None, None)),
    ],
)
def test_names_in_characters_are_split_family_name_first(
    given: str | None, family: str | None, full: str | None, expected: tuple[str | None, ...]
) -> None:
    assert han_names(given, family, full) == expected


def test_a_name_in_characters_is_matched_in_pinyin_and_kept_in_characters() -> None:
    record = _record(1, None, None, "欧阳秀英")
    assert (record.given_name, record.family_name) == ("xiuying", "ouyang")
    assert (record.given_han, record.family_han) == ("秀英", "欧阳")
    assert pinyin("王") == pinyin("汪") == "wang"


def _label(comparison: str, left: PersonRecord, right: PersonRecord) -> str:
    model = default_model()
    table = RecordTable([left, right])
    level = evaluate_comparison(
        model.comparison(comparison), (table, table), (np.array([0]), np.array([1]))
    )[0]
    return model.comparison(comparison).levels[level].label


def test_characters_and_pinyin_of_one_name_agree_either_way_round() -> None:
    han = _record(1, None, None, "张伟")
    assert _label("family_name", han, _record(2, "Wei", "Zhang")) == "exact family name"
    assert _label("given_name", han, _record(2, "Wei", "Zhang")) == "exact given name"
    # Family name first in the given-name field, as a Chinese name is ordered.
    assert _label("given_name", han, _record(2, "Zhang", "Wei")) == "given and family name swapped"


def test_homophone_family_names_in_characters_are_two_names() -> None:
    model = default_model()
    label = _label("family_name", _record(1, None, None, "王伟"), _record(2, None, None, "汪伟"))
    assert label == "family names in other characters (王, 汪)"
    level = next(lv for lv in model.comparison("family_name").levels if lv.label == label)
    assert level_weight(level) < 0


def test_a_person_in_characters_and_in_pinyin_is_one_profile() -> None:
    records = [
        _record(0, None, None, "张伟", "1988-05-04"),
        _record(1, "Wei", "Zhang", None, "1988-05-04"),
        _record(2, "Zhang", "Wei", None, "1988-05-04"),
        # A namesake by sound only: 汪伟, born the same year.
        _record(3, None, None, "汪伟", "1988-11-20"),
    ]
    result = link_records(RecordTable(records), default_model())
    assert sorted(sorted(c) for c in result.clusters) == [[0, 1, 2], [3]]
