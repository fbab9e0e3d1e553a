from __future__ import annotations

import json

import pytest

from ingest.codec import canonical, loads


@pytest.mark.parametrize(
    "text",
    [
        '{"id": 123456789012345678901234567890}',
        '{"id": -9223372036854775809}',
        '{"id": 18446744073709551616, "note": "caf\u00e9"}',
        "[1, 18446744073709551615, 9223372036854775808]",
        '{"s": "1234567890123456789012"}',
        '{"s": "\u00e9\u20ac", "n": 1234567890123456789}',
        '{"messageId": "m-1", "timestamp": "2026-01-01T00:00:00+00:00"}',
    ],
    ids=[
        "int-beyond-64-bits",
        "int-below-int64",
        "int-beyond-u64-non-ascii",
        "ints-at-the-edges",
        "long-digit-string",
        "19-digit-int-non-ascii",
        "ordinary",
    ],
)
def test_loads_equals_json_loads_when_orjson_would_differ(text: str) -> None:
    expected = json.loads(text)
    got = loads(text)

    assert json.dumps(got) == json.dumps(expected)
    assert repr(got) == repr(expected)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_loads_refuses_nan_and_infinity_which_are_not_json(constant: str) -> None:
    # json.loads would accept them, and stored they silently became null.
    with pytest.raises(json.JSONDecodeError, match=f"{constant} is not a JSON value"):
        loads(f'{{"n": {constant}}}')


def test_loads_reports_too_deep_nesting_as_a_json_error() -> None:
    with pytest.raises(json.JSONDecodeError, match="nested deeper"):
        loads("[" * 100_000 + "]" * 100_000)


def test_loads_raises_json_error_naming_the_position_when_malformed() -> None:
    with pytest.raises(json.JSONDecodeError, match="line 1 column"):
        loads('{"a": ')


def test_canonical_keeps_big_integers_exact_when_beyond_64_bits() -> None:
    payload = loads('{"b": 123456789012345678901234567890, "a": 1}')

    assert canonical(payload) == b'{"a":1,"b":123456789012345678901234567890}'
