"""Keyword patterns for the topic taxonomy: how one keyword becomes a regular expression, and
how the matches of every topic in one text are settled.

English keyword syntax (docs/feedback.md, "Topics"):

- a word matches itself and its **inflections** (lemminflect's tables, shipped in the package:
  "break" also matches breaks, broke, broken, breaking; "refund" refunded; "size" sizes,
  sized, sizing); a word that is itself an inflected form ("stopped", "charged") matches only
  as written;
- a trailing `*` matches any ending ("deliver*": delivery, delivered);
- a leading `=` matches the word only as written ("=charges", not charge or charging);
- a phrase matches its words with any spacing, each word inflected ("send back": sent back,
  sending back), and with up to two **degree words** between them ("run small": "runs very
  small", "runs a bit small"; `DEGREE_WORDS`); `...` between two words lets up to three other
  words stand between them ("send ... back": "sent the jacket back", "sent it back");
- `#` stands for a **number**, in digits or words ("size #": size 10, size 8.5; "# years":
  two years, 3 years).

Chinese keywords match as substrings (Chinese has no spaces), case-insensitive ("APP").

**Longest match wins across topics**: a match lying inside a longer match of another topic is
dropped, as a tokeniser taking the longest word would: 码 (size) inside 密码 (website),
"discount" (price) inside "discount code" (payment).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache

__all__ = ["Span", "chinese_pattern", "english_pattern", "inflections", "settle", "spans"]

#: how many other words `...` lets stand between two words of a phrase
GAP_WORDS = 3
_GAP = rf"(?:\s+[\w'-]+){{0,{GAP_WORDS}}}\s+"
#: words of degree that may stand inside a phrase without breaking it ("runs very small")
DEGREE_WORDS = (
    "very", "really", "quite", "rather", "slightly", "somewhat", "extremely", "super", "way",
    "so", "too", "pretty", "fairly", "a bit", "a little", "a tad", "a lot", "much", "far",
)  # fmt: skip
_DEGREE = "(?:" + "|".join(w.replace(" ", r"\s+") for w in DEGREE_WORDS) + ")"
_JOIN = rf"\s+(?:{_DEGREE}\s+){{0,2}}"
_NUMBER_WORDS = (
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "fifteen", "twenty", "thirty", "forty", "fifty", "a few", "a couple of", "several",
)  # fmt: skip
_NUMBER = r"(?:\d+(?:[.,]\d+)?½?|" + "|".join(w.replace(" ", r"\s+") for w in _NUMBER_WORDS) + ")"

Span = tuple[int, int, str]
"""(start, end, topic id) of one match."""


@cache
def inflections(word: str) -> tuple[str, ...]:
    """`word` and its inflected forms, longest first; only `word` for a word lemminflect does
    not know as a lemma (an inflected form, a brand, a code)."""
    from lemminflect import getAllInflections  # its tables load on first use (~0.1 s)

    forms = {word}
    if word.isalpha():
        for variants in getAllInflections(word.lower()).values():
            forms.update(variants)
    return tuple(sorted(forms, key=lambda f: (-len(f), f)))


def _word(word: str) -> str:
    if word == "#":
        return _NUMBER
    if word.endswith("*"):
        return re.escape(word[:-1]) + r"[\w'-]*"
    if word.startswith("="):
        return re.escape(word[1:])
    return "(?:" + "|".join(map(re.escape, inflections(word))) + ")"


def _english_keyword(keyword: str) -> str:
    parts = keyword.split()
    body = ""
    for index, piece in enumerate(parts):
        if piece == "...":
            continue
        if index:
            body += _GAP if parts[index - 1] == "..." else _JOIN
        body += _word(piece)
    return body


def english_pattern(keywords: Iterable[str]) -> re.Pattern[str] | None:
    """One expression matching any of `keywords` as whole words, case-insensitive; the longer
    keyword first at a position."""
    words = sorted(set(keywords), key=lambda w: (-len(w), w))
    if not words:
        return None
    alternatives = "|".join(_english_keyword(w) for w in words)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def chinese_pattern(keywords: Iterable[str]) -> re.Pattern[str] | None:
    """One expression matching any of `keywords` as a substring, longest first."""
    words = sorted(set(keywords), key=lambda w: (-len(w), w))
    if not words:
        return None
    return re.compile("|".join(map(re.escape, words)), re.IGNORECASE)


def spans(text: str, patterns: Mapping[str, re.Pattern[str] | None]) -> list[Span]:
    """Every match of every topic's pattern in `text`."""
    found: list[Span] = []
    for topic, pattern in patterns.items():
        if pattern is not None:
            found.extend((m.start(), m.end(), topic) for m in pattern.finditer(text))
    return found


def settle(found: list[Span], context: list[Span] = ()) -> set[str]:  # type: ignore[assignment]
    """The topics of `found` with a match that is not inside a longer match of another topic
    (among `found` and `context`)."""
    every = [*found, *context]
    kept: set[str] = set()
    for start, end, topic in found:
        inside = any(
            other != topic and o_start <= start and end <= o_end and o_end - o_start > end - start
            for o_start, o_end, other in every
        )
        if not inside:
            kept.add(topic)
    return kept
