"""Names written in Chinese characters, for matching: split (family name first, compound
family names such as 欧阳) and read in pinyin with `pypinyin`, so `张伟` meets `Zhang Wei` and
`Wei Zhang` written in the Latin alphabet on another channel.

The pinyin is what the name comparisons and blocking see; the characters are kept beside it
(`PersonRecord.given_han`, `family_han`), so two names in characters that read alike but are
written differently (王 and 汪, both Wang) are told apart by the comparisons' `differ` levels
rather than counted as the same name.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pypinyin import lazy_pinyin

from cdp.normalize import split_han_name

__all__ = ["han_names", "pinyin"]

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_HAN_ONLY = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+$")


@lru_cache(maxsize=1 << 14)
def pinyin(characters: str) -> str:
    """The pinyin of a name in characters, syllables joined and without tones, as people
    write it in the Latin alphabet: `秀英` -> `xiuying`, `欧阳` -> `ouyang`, `吕` -> `lv`."""
    return "".join(lazy_pinyin(characters)).lower()


def _characters(value: str | None) -> str | None:
    if value is None:
        return None
    text = "".join(value.split())
    return text if text and _HAN_ONLY.match(text) else None


def han_names(
    given: str | None, family: str | None, full: str | None
) -> tuple[str | None, str | None]:
    """(given, family) in characters from a record's given, family and full name as written,
    or (None, None) when none of them is in characters. A part missing from the given or
    family name is taken from the full name (`李芳` with given name `芳`)."""
    if not any(value and _HAN.search(value) for value in (given, family, full)):
        return None, None
    given_han, family_han = _characters(given), _characters(family)
    if given_han is None or family_han is None:
        full_given, full_family = split_han_name(full) if full else (None, None)
        given_han = given_han or full_given
        family_han = family_han or full_family
    return given_han, family_han
