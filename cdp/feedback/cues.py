"""Complaint and praise cues: what customer-service text says without opinion words.

Shops hear complaints stated as plain facts: "Still waiting for my refund", "Order says
delivered, nothing here", "Ordered a size 10, received a size 8", 怎么还没发货, 说好周二送到，
今天都周五了, 客服直接把我电话挂了. A sentiment lexicon scores these 0 (no word in them is an
opinion), so they came out neutral. `data/cues_en.tsv` and `data/cues_zh.tsv` hold patterns
(regular expressions, case-insensitive) of the situations that make such texts complaints
(waiting, broken promises, nobody answering, wrong or missing items, charged twice, things
that stopped working or cannot be done, time stated with 了 or "ago") and a few of praise
(bought a second one, 还会再买), each with a valence on VADER's scale. Each pattern counts once
per text; `cue_valence` returns their sum, which the scorer adds to the lexicon's raw sum.

The patterns were written from how complaints are commonly phrased, then checked on the
tuning texts only (tests/feedback/data: the first sample's tuning part and the sentiment
tuning sample); the held-out part and the fresh sample are the check (docs/feedback.md).
"""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files

__all__ = ["cue_valence", "load_cues", "matched_cues", "parse_cues"]


def load_cues(name: str) -> tuple[tuple[re.Pattern[str], float], ...]:
    """The cues of a `pattern<TAB>valence` file of `cdp/feedback/data/`."""
    return parse_cues(files("cdp.feedback").joinpath(f"data/{name}").read_text("utf-8"), name)


def parse_cues(text: str, name: str) -> tuple[tuple[re.Pattern[str], float], ...]:
    """`pattern<TAB>valence` lines (# starts a comment line); a bad line is an error naming
    the file, the line and why."""
    cues = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        pattern, tab, value = line.rpartition("\t")
        try:
            if not tab or not pattern.strip():
                raise ValueError("no pattern before a tab")
            cues.append((re.compile(pattern.strip(), re.IGNORECASE), float(value)))
        except (re.error, ValueError) as error:
            raise ValueError(
                f"{name} line {number}: {line!r} is not 'pattern<TAB>valence' ({error})"
            ) from None
    return tuple(cues)


@cache
def _cues(language: str) -> tuple[tuple[re.Pattern[str], float], ...]:
    return load_cues(f"cues_{language}.tsv")


def matched_cues(text: str, language: str) -> list[tuple[str, float]]:
    """(pattern, valence) of every cue of `language` (`en` or `zh`) found in `text`."""
    return [(p.pattern, v) for p, v in _cues(language) if p.search(text)]


def cue_valence(text: str, language: str) -> float:
    """The sum of the valences of the cues found in `text` (0.0 when none)."""
    return sum(value for _, value in matched_cues(text, language))
