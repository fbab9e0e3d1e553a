"""Normalisation of identifiers and person attributes: pure functions, shared by every package.

They live in the core (not in `identity`) because ingest stores identifiers already normalised,
so that look-ups by identifier (GraphQL, incremental resolution) are one index probe, and ingest
may not import identity. Identity builds its comparison features on top of these.

Each function returns `None` for a value that carries no evidence (empty, malformed, or junk
such as `test@test.com`); callers count what was ignored.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache

import phonenumbers
import pycountry

__all__ = [
    "DEFAULT_JUNK_VALUES",
    "IDENTIFIER_KINDS",
    "JunkReport",
    "country_code",
    "fold",
    "is_junk",
    "is_phone_region",
    "junk_values",
    "normalize_address_line",
    "normalize_birth_date",
    "normalize_email",
    "normalize_handle",
    "normalize_identifier",
    "normalize_identifiers",
    "normalize_name",
    "normalize_phone",
    "normalize_phone_in",
    "normalize_postcode",
    "phone_region",
    "split_display_name",
    "split_full_name",
    "split_han_name",
]

IDENTIFIER_KINDS = (
    "email",
    "phone",
    "customer_id",
    "loyalty_id",
    "user_id",
    "anonymous_id",
    "social_handle",
    "social_id",
    "lead_id",
)

DEFAULT_JUNK_VALUES = frozenset(
    {
        "",
        "null",
        "none",
        "nil",
        "n/a",
        "na",
        "unknown",
        "undefined",
        "anonymous",
        "test",
        "test@test.com",
        "test@example.com",
        "noemail@noemail.com",
        "no@email.com",
        "none@none.com",
        "email@email.com",
        "0",
        "0000000000",
        "+10000000000",
        "1234567890",
        "+11234567890",
        "9999999999",
        "1111111111",
        "+19999999999",
        "-",
        "?",
        ".",
        "x",
        "xxx",
        "asdf",
        "no",
        "not provided",
        "not available",
        "declined",
        "refused",
        "noemail",
        "none@none",
        "na@na.com",
        "abc@abc.com",
        "a@a.com",
        "x@x.com",
        "asdf@asdf.com",
        "noreply@example.com",
        "unknown@unknown.com",
        "customer@example.com",
        "email@example.com",
        "user@example.com",
    }
)
_TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "madam"})
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "phd", "md", "esq"})

_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SPACES = re.compile(r"\s+")
_NON_ALNUM = re.compile(r"[^0-9a-z ]+")
_HANDLE_RE = re.compile(r"^[a-z0-9_.]{1,50}$")

_ADDRESS_ABBREVIATIONS = {
    "street": "st",
    "str": "st",
    "avenue": "ave",
    "av": "ave",
    "road": "rd",
    "drive": "dr",
    "lane": "ln",
    "boulevard": "blvd",
    "court": "ct",
    "place": "pl",
    "square": "sq",
    "terrace": "ter",
    "highway": "hwy",
    "parkway": "pkwy",
    "circle": "cir",
    "apartment": "apt",
    "suite": "ste",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
    "floor": "fl",
    "number": "no",
}

_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%d.%m.%Y", "%m/%d/%Y", "%Y%m%d", "%d %b %Y", "%b %d %Y")


def fold(value: str) -> str:
    """Case-fold and strip accents: `José Núñez` -> `jose nunez`."""
    if value.isascii():  # NFKD changes no ASCII character and none is combining
        return _SPACES.sub(" ", value.lower()).strip()
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped.casefold()).strip()


def is_junk(value: str | None, junk: Iterable[str] = DEFAULT_JUNK_VALUES) -> bool:
    return value is None or fold(value) in junk


def junk_values(extra: Iterable[str] = (), *, replace: bool = False) -> frozenset[str]:
    """The junk list to use: the built-in one plus `extra` (or only `extra` with `replace`),
    folded the way values are compared."""
    extra_folded = {fold(value) for value in extra}
    return frozenset(extra_folded) if replace else DEFAULT_JUNK_VALUES | extra_folded


@dataclass
class JunkReport:
    """What normalisation ignored, by identifier kind, with a few raw examples of each."""

    ignored: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def add(self, kind: str, raw: object) -> None:
        self.ignored[kind] += 1
        shown = self.examples.setdefault(kind, [])
        if len(shown) < 5 and str(raw) not in shown:
            shown.append(str(raw))

    @property
    def total(self) -> int:
        return sum(self.ignored.values())


def normalize_email(value: str | None) -> str | None:
    if value is None:
        return None
    email = value.strip().strip("<>").strip().casefold()
    if not _EMAIL_RE.match(email) or is_junk(email):
        return None
    return email


def normalize_phone(value: str | None, default_region: str = "US") -> str | None:
    """E.164 (`+14155550123`), or None when not a possible number or junk."""
    if value is None or is_junk(value):
        return None
    try:
        parsed = phonenumbers.parse(value, default_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    e164: str = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if is_junk(e164) or len(set(e164[-7:])) == 1:
        return None
    return e164


def normalize_phone_in(value: str | None, region: str, default_region: str = "US") -> str | None:
    """`normalize_phone` for a record whose `phone_region` is `region`: read there when it is
    a valid number of that region (`13800138000` with `CN`: +8613800138000), else in
    `default_region`, as any other number."""
    if region != default_region and value is not None:
        try:
            parsed = phonenumbers.parse(value, region)
        except phonenumbers.NumberParseException:
            parsed = None
        if parsed is not None and phonenumbers.is_valid_number(parsed):
            return normalize_phone(value, region)
    return normalize_phone(value, default_region)


# How people write some countries that ISO 3166's names and codes (pycountry) do not cover.
_COUNTRY_ALIASES = {
    "uk": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "great britain": "GB",
    "america": "US",
    "u.s.": "US",
    "u.s.a.": "US",
    "prc": "CN",
    "p.r.c.": "CN",
    "mainland china": "CN",
    "中国": "CN",
    "中國": "CN",
    "中华人民共和国": "CN",
    "中国大陆": "CN",
    "台湾": "TW",
    "臺灣": "TW",
    "香港": "HK",
    "澳门": "MO",
    "澳門": "MO",
}
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@lru_cache(maxsize=4096)
def country_code(value: str | None) -> str | None:
    """The ISO 3166 alpha-2 code of a country as people write it (`CN`, `chn`, `China`,
    `People's Republic of China`, `中国`, `UK`), or None when it names no country."""
    if value is None:
        return None
    text = " ".join(value.split())
    if not text:
        return None
    alias = _COUNTRY_ALIASES.get(text.casefold())
    if alias is not None:
        return alias
    try:
        code: str = pycountry.countries.lookup(text).alpha_2
    except LookupError:
        return None
    return code


def is_phone_region(code: str) -> bool:
    """Whether `code` is a region phone numbers can be read in (`US`, `AU`, `CN`...)."""
    return code in phonenumbers.SUPPORTED_REGIONS


def phone_region(country: str | None, names: Iterable[str | None] = (), default: str = "US") -> str:
    """The region in which a phone number written without a country code is read, for one
    record: the country of the record's address; else China (`CN`) when the record's name is
    written in Chinese characters; else `default` (the source's or the platform's region).
    A number with its `+` code is read by that code whatever the region."""
    code = country_code(country)
    if code is not None and code in phonenumbers.SUPPORTED_REGIONS:
        return code
    if any(name and _HAN.search(name) for name in names):
        return "CN"
    return default


def normalize_name(value: str | None) -> str | None:
    if value is None:
        return None
    name = _NON_ALNUM.sub(" ", fold(value).replace("'", ""))
    name = _SPACES.sub(" ", name).strip()
    return None if is_junk(name) else name


def split_full_name(value: str | None) -> tuple[str | None, str | None]:
    """Split a full name into (given, family); `Smith, John` is understood as swapped."""
    if value is None:
        return None, None
    text = value.strip()
    if "," in text:
        family, _, given = text.partition(",")
        return normalize_name(given), normalize_name(family)
    parts = (normalize_name(text) or "").split(" ")
    parts = [part for part in parts if part]
    while len(parts) > 1 and parts[0] in _TITLES:
        parts = parts[1:]
    while len(parts) > 1 and parts[-1] in _SUFFIXES:
        parts = parts[:-1]
    if not parts:
        return None, None
    if len(parts) == 1:
        return parts[0], None
    return " ".join(parts[:-1]), parts[-1]


# Chinese family names of two characters (the common ones); every other family name is one.
# fmt: off
_COMPOUND_SURNAMES = frozenset(
    (
        "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容",
        "长孙", "宇文", "司徒", "夏侯", "轩辕", "令狐", "钟离", "端木", "独孤",
        "南宫", "西门", "百里", "呼延", "澹台", "太史", "申屠", "闻人", "公羊",
        "万俟", "赫连", "濮阳", "单于", "鲜于", "闾丘", "东郭", "拓跋",
    )
)
# fmt: on
_HAN_NAME = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u00b7\u30fb\s]+$")


def split_han_name(value: str | None) -> tuple[str | None, str | None]:
    """(given, family) of a name written in Chinese characters, family name first and no
    space (`张伟` -> 伟, 张; `欧阳娜娜` -> 娜娜, 欧阳); (None, None) for any other text.

    A transliterated foreign name (`约翰·史密斯`, given name first, joined by a middle dot)
    is split at the dot."""
    if value is None or not _HAN_NAME.match(value.strip() or "-"):
        return None, None
    text = "".join(value.split())
    for dot in ("\u00b7", "\u30fb"):
        if dot in text:
            given, _, family = text.partition(dot)
            return given or None, family.replace(dot, "") or None
    if len(text) < 2:
        return text or None, None
    cut = 2 if len(text) > 2 and text[:2] in _COMPOUND_SURNAMES else 1
    return text[cut:], text[:cut]


def split_display_name(value: str | None) -> tuple[str | None, str | None]:
    """Split a full name into (given, family) as it was written (case, accents and script
    kept), by the rules of `split_full_name`: `Smith, John` is swapped, titles and suffixes
    dropped; a name in Chinese characters by `split_han_name`."""
    if value is None:
        return None, None
    text = " ".join(value.split())
    if not text:
        return None, None
    given, family = split_han_name(text)
    if given is not None or family is not None:
        return given, family
    if "," in text:
        family_part, _, given_part = text.partition(",")
        return given_part.strip() or None, family_part.strip() or None
    words = text.split(" ")
    while len(words) > 1 and fold(words[0]).strip(".") in _TITLES:
        words = words[1:]
    while len(words) > 1 and fold(words[-1]).strip(".") in _SUFFIXES:
        words = words[:-1]
    if len(words) == 1:
        return words[0], None
    return " ".join(words[:-1]), words[-1]


def normalize_address_line(value: str | None) -> str | None:
    if value is None:
        return None
    words = _NON_ALNUM.sub(" ", fold(value)).split()
    line = " ".join(_ADDRESS_ABBREVIATIONS.get(word, word) for word in words)
    return None if is_junk(line) else line


def normalize_postcode(value: str | None) -> str | None:
    if value is None:
        return None
    code = re.sub(r"[^0-9A-Z]", "", value.upper())
    return code or None


def normalize_birth_date(value: str | date | None) -> str | None:
    """ISO `YYYY-MM-DD` from the formats sources use, or None when unparseable or absurd."""
    if value is None:
        return None
    if isinstance(value, datetime):
        parsed = value.date()
    elif isinstance(value, date):
        parsed = value
    else:
        parsed_or_none = _parse_date(value.strip())
        if parsed_or_none is None:
            return None
        parsed = parsed_or_none
    if not 1900 <= parsed.year <= date.today().year:
        return None
    return parsed.isoformat()


def _parse_date(text: str) -> date | None:
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def normalize_handle(value: str | None) -> str | None:
    """A social handle, optionally prefixed by its network: `X:@Jane_Doe` -> `x:jane_doe`."""
    if value is None:
        return None
    network, _, handle = value.strip().casefold().rpartition(":")
    handle = handle.strip().lstrip("@")
    if not _HANDLE_RE.match(handle) or is_junk(handle):
        return None
    return f"{network.strip()}:{handle}" if network.strip() else handle


def normalize_identifier(
    kind: str,
    value: object,
    default_region: str = "US",
    *,
    junk: Iterable[str] = DEFAULT_JUNK_VALUES,
) -> str | None:
    """The normalised form of an identifier of `kind`, or None when it is no evidence."""
    if value is None:
        return None
    text = str(value).strip()
    if kind not in IDENTIFIER_KINDS:
        raise ValueError(f"unknown identifier kind {kind!r}; expected one of {IDENTIFIER_KINDS}")
    if is_junk(text, junk):
        return None
    if kind == "email":
        return normalize_email(text)
    if kind == "phone":
        return normalize_phone(text, default_region)
    if kind == "social_handle":
        return normalize_handle(text)
    return None if len(text) > 320 else text


def normalize_identifiers(
    pairs: Iterable[tuple[str, object]],
    default_region: str = "US",
    *,
    junk: Iterable[str] = DEFAULT_JUNK_VALUES,
    report: JunkReport | None = None,
) -> list[tuple[str, str]]:
    """Normalise (kind, raw) pairs, dropping duplicates and what is no evidence; every
    dropped value is counted in `report` under its kind."""
    out: dict[tuple[str, str], None] = {}
    for kind, raw in pairs:
        value = normalize_identifier(kind, raw, default_region, junk=junk)
        if value is None:
            if report is not None:
                report.add(kind, raw)
            continue
        out[(kind, value)] = None
    return list(out)
