"""Noise: what people and cashiers do to names, emails, phones and addresses when they type them.

A `Noise` is shared by a whole world (it counts every opportunity and application, for the
summary and the tests); its `rng` is switched to each household's generator so that every
household stays reproducible on its own.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Sequence

from cdp.synthetic._model import NoiseCount, NoiseRates
from cdp.synthetic._reference import DOMAIN_TYPOS, JUNK_EMAILS, JUNK_PHONES

__all__ = ["CARE", "Noise", "strip_accents"]

# How carelessly each context types, as a multiplier of the typo, junk and email-typo rates:
# a customer fills in their own account once and checks it; a cashier types fast while
# talking; a social network prefills forms from the profile.
CARE = {"account": 0.5, "till": 3.0, "lead": 0.5, "social": 1.0, "list": 1.0}

_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEIGHBOURS: dict[str, str] = {}
for _row_index, _row in enumerate(_KEYBOARD_ROWS):
    for _i, _ch in enumerate(_row):
        near = _row[max(_i - 1, 0) : _i] + _row[_i + 1 : _i + 2]
        for other in (_row_index - 1, _row_index + 1):
            if 0 <= other < len(_KEYBOARD_ROWS):
                near += _KEYBOARD_ROWS[other][max(_i - 1, 0) : _i + 1]
        _NEIGHBOURS[_ch] = near

_PHONE_FORMATS = (
    "({a}) {e}-{n}",
    "{a}-{e}-{n}",
    "{a}.{e}.{n}",
    "+1 {a} {e} {n}",
    "{a}{e}{n}",
    "+1{a}{e}{n}",
    "1-{a}-{e}-{n}",
)
# A mainland Chinese mobile (11 digits, `13800138000`) as people write it.
_CN_PHONE_FORMATS = (
    "{a} {e} {n}",
    "{a}{e}{n}",
    "+86 {a}-{e}-{n}",  # the three with +86 (see `phone`)
    "+86 {a} {e} {n}",
    "+86{a}{e}{n}",
    "{a}-{e}-{n}",
    "(+86) {a} {e} {n}",
)


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


class Noise:
    """Applies each kind of noise at its rate and counts it."""

    __slots__ = ("_counts", "rates", "rng")

    def __init__(self, rates: NoiseRates) -> None:
        self.rates = rates
        self.rng = random.Random(0)
        self._counts: dict[str, list[float]] = {}

    def chance(self, kind: str, probability: float) -> bool:
        """Draw once for `kind` with `probability`, counting the opportunity and the outcome."""
        probability = min(probability, 1.0)
        count = self._counts.get(kind)
        if count is None:
            count = self._counts[kind] = [0, 0.0, 0]
        count[0] += 1
        count[1] += probability
        if self.rng.random() < probability:
            count[2] += 1
            return True
        return False

    def report(self) -> dict[str, NoiseCount]:
        return {
            kind: NoiseCount(opportunities=int(c[0]), expected=c[1], applied=int(c[2]))
            for kind, c in sorted(self._counts.items())
        }

    # names and streets ------------------------------------------------------------------

    def typed(self, text: str, care: str) -> str:
        """`text` as someone typed it: maybe one typo, maybe two letters transposed."""
        factor = CARE[care]
        if len(text) >= 3 and self.chance("typo", self.rates.typo * factor):
            text = self._typo(text)
        if len(text) >= 3 and self.chance("transposition", self.rates.transposition * factor):
            text = self._transpose(text)
        return text

    def _typo(self, text: str) -> str:
        rng = self.rng
        i = rng.randrange(1, len(text))
        ch = text[i]
        op = rng.randrange(3)
        if op == 0 and ch.lower() in _NEIGHBOURS:
            sub = rng.choice(_NEIGHBOURS[ch.lower()])
            return text[:i] + (sub.upper() if ch.isupper() else sub) + text[i + 1 :]
        if op == 1:
            return text[:i] + text[i + 1 :]
        return text[:i] + ch + text[i:]

    def _transpose(self, text: str) -> str:
        positions = [i for i in range(1, len(text) - 1) if text[i] != text[i + 1]]
        if not positions:
            return text
        i = self.rng.choice(positions)
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]

    def given(self, given_name: str, nicknames: Sequence[str], factor: float = 1.0) -> str:
        """The given name a person gives: their nickname at `nickname * factor`."""
        if nicknames and self.chance("nickname", self.rates.nickname * factor):
            return self.rng.choice(nicknames)
        return given_name

    def missing(self) -> bool:
        return self.chance("missing", self.rates.missing)

    # emails and phones ------------------------------------------------------------------

    def email(self, email: str, care: str, *, allow_junk: bool = True) -> str:
        """`email` as typed: maybe junk (where a form accepts anything), maybe misspelt."""
        factor = CARE[care]
        if allow_junk and self.chance("junk_email", self.rates.junk * factor):
            return self.rng.choice(JUNK_EMAILS)
        if self.chance("email_typo", self.rates.email_typo * factor):
            return self._email_typo(email)
        return email

    def _email_typo(self, email: str) -> str:
        local, _, domain = email.partition("@")
        typos = DOMAIN_TYPOS.get(domain)
        if typos and self.rng.random() < 0.6:
            return f"{local}@{self.rng.choice(typos)}"
        if len(local) >= 3:
            i = self.rng.randrange(1, len(local))
            local = local[:i] + local[i + 1 :]
        return f"{local}@{domain}"

    def phone(self, digits: str, care: str, *, international: bool = False) -> str:
        """A number written in one of the formats people use, or junk: a US number of 10
        digits (`(415) 555-0123`), a Chinese mobile of 11 (`138 0013 8000`; with `+86` when
        `international`: typed into a form in English, where nothing else says China)."""
        if self.chance("junk_phone", self.rates.junk * CARE[care]):
            return self.rng.choice(JUNK_PHONES)
        if len(digits) == 11:
            formats = _CN_PHONE_FORMATS[2:5] if international else _CN_PHONE_FORMATS
            fmt = self.rng.choice(formats)
            return fmt.format(a=digits[:3], e=digits[3:7], n=digits[7:])
        return self.rng.choice(_PHONE_FORMATS).format(a=digits[:3], e=digits[3:6], n=digits[6:])
