"""Person records as the matcher sees them: one frozen row per source record, and a columnar
table of them (numpy object arrays) that comparisons and blocking work on in bulk."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from itertools import count
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
from nicknames import name_triplets

from cdp.normalize import (
    normalize_address_line,
    normalize_birth_date,
    normalize_email,
    normalize_name,
    normalize_phone,
    normalize_postcode,
    split_full_name,
)
from identity.han import han_names, pinyin

__all__ = [
    "ATTRIBUTE_PATHS",
    "DERIVED_COLUMNS",
    "DISPLAY_PATHS",
    "FEATURES",
    "RAW_PATHS",
    "RAW_SEP",
    "PersonRecord",
    "RecordTable",
    "canonical_given_name",
    "formal_given_names",
    "from_attributes",
    "from_values",
    "is_nickname_pair",
    "name_tokens",
]

FEATURES = (
    "given_name",
    "family_name",
    "birth_date",
    "email",
    "phone",
    "address",
    "postcode",
    "city",
    "given_han",
    "family_han",
)

# Nicknames come from `nicknames` (carltonnorthern/nicknames, Apache-2.0: a hand-curated
# data set of English given names and their nicknames, about 1,400 nicknames). A nickname may
# stand for several formal names (`sam`: samuel, samantha; `pat`: patrick, patricia), so a
# name has a set of formal names and two given names agree when their sets meet. These common
# forms, most of them Spanish, are missing from that English data set and are added to it.
# fmt: off
_MORE_NICKNAMES = {
    "robbie": "robert", "liam": "william", "davy": "david", "katie": "katherine",
    "kat": "katherine", "kitty": "katherine", "topher": "christopher", "stan": "stanley",
    "mo": "maurice", "mandi": "amanda", "nancy": "ann", "barb": "barbara", "nell": "eleanor",
    "lori": "lorraine", "maddie": "madison", "terri": "theresa", "izzy": "isabel",
    "toni": "antonia", "pepe": "jose", "nacho": "ignacio", "paco": "francisco",
    "lupe": "guadalupe", "chuy": "jesus", "memo": "guillermo", "lalo": "eduardo",
    "beto": "alberto",
}
# fmt: on


@lru_cache(maxsize=1)
def _formal_names_of() -> dict[str, frozenset[str]]:
    """Nickname -> the formal names it stands for (`sam` -> {samuel, samantha, ...}).

    The data set also lists pairs the other way round, a name as the nickname of a shorter one
    (`robert` of `bob`, `william` of `bill` and of `wilma`); a name that is longer and has
    nicknames of its own is not read as a nickname, or else `william` and `wilma`, or `robert`
    and `william` (through `bill`), would agree. Longer diminutives stay (`johnny` of
    `john`)."""
    edges = {
        (formal, nick) for formal, relation, nick in name_triplets() if relation == "has_nickname"
    }
    formals = {formal for formal, _ in edges}
    lookup: dict[str, set[str]] = {}
    for formal, nickname in edges:
        if len(nickname) > len(formal) and nickname in formals:
            continue
        lookup.setdefault(nickname, set()).add(formal)
    for nickname, formal in _MORE_NICKNAMES.items():
        lookup.setdefault(nickname, set()).add(formal)
    return {nickname: frozenset(formals) for nickname, formals in lookup.items()}


@lru_cache(maxsize=65536)
def formal_given_names(name: str | None) -> frozenset[str]:
    """The first word of a (normalised) given name with every formal name it may stand for:
    `sam` -> {sam, samuel, samantha, ...}, `robert` -> {robert}. Two given names agree as
    nicknames when these sets meet."""
    if not name:
        return frozenset()
    first = name.split(" ", 1)[0]
    return frozenset({first}) | _formal_names_of().get(first, frozenset())


# Blocking needs one key per record (`formal_name`: `timmy marshall` meets `timothy marshall`),
# so it files each common nickname under one formal name. The data set above cannot give
# that: most of its nicknames stand for several names, some pairs are listed both ways, and
# the formal name with the most nicknames is often not the usual one (`bill` -> robert,
# `william` -> wilma). An ambiguous nickname here (`sam`, `pat`) meets only one of its names
# in this block; comparisons and vetoes use the full sets.
# fmt: off
_BLOCKING_NICKNAMES = {
    "bob": "robert", "rob": "robert", "bobby": "robert", "robbie": "robert",
    "bill": "william", "will": "william", "billy": "william", "liam": "william",
    "jim": "james", "jimmy": "james", "jamie": "james",
    "mike": "michael", "mick": "michael", "mikey": "michael",
    "dave": "david", "davy": "david", "tom": "thomas", "tommy": "thomas",
    "chris": "christopher", "kate": "katherine", "katie": "katherine", "kathy": "katherine",
    "cathy": "catherine", "liz": "elizabeth", "beth": "elizabeth", "betty": "elizabeth",
    "lizzie": "elizabeth", "eliza": "elizabeth", "jen": "jennifer", "jenny": "jennifer",
    "tony": "anthony", "dan": "daniel", "danny": "daniel", "joe": "joseph", "joey": "joseph",
    "sam": "samuel", "alex": "alexander", "andy": "andrew", "drew": "andrew",
    "steve": "steven", "stevie": "steven", "matt": "matthew", "nick": "nicholas",
    "rick": "richard", "dick": "richard", "rich": "richard", "richie": "richard",
    "ed": "edward", "eddie": "edward", "ted": "edward", "ben": "benjamin",
    "greg": "gregory", "pat": "patricia", "patty": "patricia", "trish": "patricia",
    "sue": "susan", "susie": "susan", "peggy": "margaret", "maggie": "margaret",
    "meg": "margaret", "abby": "abigail", "becky": "rebecca", "becca": "rebecca",
    "vicky": "victoria", "tori": "victoria", "jess": "jessica", "jessie": "jessica",
    "josh": "joshua", "jon": "jonathan", "nate": "nathan", "charlie": "charles",
    "chuck": "charles", "larry": "lawrence", "jerry": "gerald", "frank": "francis",
    "fran": "frances", "ron": "ronald", "don": "donald", "ken": "kenneth", "kenny": "kenneth",
    "tim": "timothy", "timmy": "timothy", "pete": "peter", "jack": "john", "johnny": "john",
    "hank": "henry", "harry": "henry", "wendy": "gwendolyn", "mandy": "amanda",
    "manny": "manuel", "pepe": "jose", "nacho": "ignacio", "paco": "francisco",
    "nikki": "nicole", "nicky": "nicole", "topher": "christopher", "kit": "christopher",
    "chrissy": "christine", "tina": "christina", "jonny": "jonathan",
    "nat": "nathaniel", "zach": "zachary", "zack": "zachary",
    "gabe": "gabriel", "gabby": "gabrielle", "abe": "abraham", "al": "albert",
    "bert": "albert", "fred": "frederick", "freddie": "frederick", "walt": "walter",
    "wally": "walter", "theo": "theodore", "teddy": "theodore", "ray": "raymond",
    "stan": "stanley", "vince": "vincent", "vin": "vincent", "phil": "phillip",
    "lou": "louis", "leo": "leonard", "len": "leonard", "lenny": "leonard", "max": "maxwell",
    "russ": "russell", "doug": "douglas", "jeff": "jeffrey", "geoff": "geoffrey",
    "mo": "maurice", "marty": "martin", "mort": "mortimer", "sandy": "alexandra",
    "lexi": "alexis", "ally": "allison", "allie": "allison", "mandi": "amanda",
    "angie": "angela", "annie": "ann", "nancy": "ann", "barb": "barbara", "babs": "barbara",
    "bernie": "bernard", "cindy": "cynthia", "debbie": "deborah", "deb": "deborah",
    "dottie": "dorothy", "dot": "dorothy", "ellie": "eleanor", "nell": "eleanor",
    "emmy": "emily", "em": "emily", "frankie": "frances", "ginny": "virginia",
    "gina": "regina", "jackie": "jacqueline", "jan": "janet", "jo": "josephine",
    "josie": "josephine", "judy": "judith", "julie": "julia",
    "kat": "katherine", "kay": "katherine", "kitty": "katherine", "lori": "lorraine",
    "lynn": "linda", "maddie": "madison", "mel": "melissa", "missy": "melissa",
    "molly": "mary", "polly": "mary", "mamie": "mary", "pam": "pamela", "penny": "penelope",
    "rosie": "rose", "sally": "sarah", "sadie": "sarah", "steph": "stephanie",
    "terri": "theresa", "tess": "theresa", "tessa": "theresa", "val": "valerie",
    "ronnie": "ronald", "reggie": "reginald", "randy": "randall", "benny": "benjamin",
    "bennie": "benjamin", "ike": "isaac", "izzy": "isabel", "bella": "isabella",
    "lupe": "guadalupe", "chuy": "jesus", "memo": "guillermo", "lalo": "eduardo",
    "beto": "alberto", "toni": "antonia", "sid": "sidney",
}
# fmt: on


def is_nickname_pair(a: str | None, b: str | None) -> bool:
    """Whether the first word of one given name is a nickname of the other's (`bob`, `robert`)
    in the data set, either way round."""
    if not a or not b:
        return False
    first_a, first_b = a.split(" ", 1)[0], b.split(" ", 1)[0]
    lookup = _formal_names_of()
    return first_b in lookup.get(first_a, ()) or first_a in lookup.get(first_b, ())


def canonical_given_name(name: str | None) -> str | None:
    """The blocking key of a (normalised) given name's first word: `bob` -> `robert`."""
    if not name:
        return None
    first = name.split(" ", 1)[0]
    return _BLOCKING_NICKNAMES.get(first, first)


def name_tokens(record: PersonRecord) -> str | None:
    """Given and family name words in sorted order, so swapped or reordered names agree."""
    if not record.given_name or not record.family_name:
        return None
    return " ".join(sorted(f"{record.given_name} {record.family_name}".split()))


DERIVED_COLUMNS: dict[str, Callable[[PersonRecord], str | None]] = {
    "given_canonical": lambda r: canonical_given_name(r.given_name),
    "name_tokens": name_tokens,
}
"""Columns computed from a record's features (`RecordTable.column`, blocking keys)."""


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """What the matcher knows about one source record (features already normalised)."""

    record_id: int
    key: str
    source: str = ""
    kind: str = "profile"
    occurred_at: datetime | None = None
    given_name: str | None = None
    family_name: str | None = None
    birth_date: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    postcode: str | None = None
    city: str | None = None
    identifiers: tuple[tuple[str, str], ...] = ()
    profile_id: str | None = None
    channel: str = ""
    raw: str = ""
    """The attribute values as the source wrote them, at `RAW_PATHS`, joined by `RAW_SEP`
    (empty when the record states none; `raw_values` splits them): survivorship shows these,
    the features above are for matching only. One string rather than a tuple of strings: a
    third of the memory, with a million records held at once."""
    given_han: str | None = None
    family_han: str | None = None
    """The names in Chinese characters where written so (`given_name` and `family_name` then
    hold their pinyin, `identity/han.py`)."""

    def raw_values(self) -> list[str]:
        """The values at `RAW_PATHS` as written (an empty string where absent)."""
        if not self.raw:
            return [""] * len(RAW_PATHS)
        return self.raw.split(RAW_SEP)

    def feature(self, name: str) -> str | None:
        value: str | None = getattr(self, name)
        return value

    def to_dict(self) -> dict[str, Any]:
        return {name: self.feature(name) for name in FEATURES}


# The `source_records.attributes` keys the matcher reads, as JSON paths (ingest's `Person`).
ATTRIBUTE_PATHS: tuple[tuple[str, ...], ...] = (
    ("given_name",),
    ("family_name",),
    ("full_name",),
    ("birth_date",),
    ("email",),
    ("phone",),
    ("address", "line1"),
    ("address", "postcode"),
    ("address", "city"),
)
# Read besides them for the golden record only (survivorship keeps an address whole, and the
# gender as given), never compared.
DISPLAY_PATHS: tuple[tuple[str, ...], ...] = (
    ("address", "line2"),
    ("address", "region"),
    ("address", "country"),
    ("gender",),
)
RAW_PATHS = ATTRIBUTE_PATHS + DISPLAY_PATHS

# A population repeats its names, cities, postcodes and dates many times over: normalising
# each distinct value once is most of the cost of loading a million records. Bounded, so a
# long-running process does not grow without end.
_CACHE = 1 << 17
_name = lru_cache(maxsize=_CACHE)(normalize_name)
_full_name = lru_cache(maxsize=_CACHE)(split_full_name)


@lru_cache(maxsize=_CACHE)
def _birth_date(value: str) -> str | None:
    """The ISO date, or for a mistyped date written as eight digits (`19551192`, a typo of
    1955-11-02) those digits in the ISO shape (`1955-11-92`): not a date, but one digit away
    from the person's other records, which the birth-date comparison can see. Matching only:
    what a person wrote is kept in `raw`."""
    parsed = normalize_birth_date(value)
    if parsed is not None:
        return parsed
    digits = "".join(ch for ch in value if ch.isdigit())
    if len(digits) == 8 and len(value.strip()) <= 10 and digits[:2] in ("19", "20"):
        return f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"
    return None


_address = lru_cache(maxsize=_CACHE)(normalize_address_line)
_postcode = lru_cache(maxsize=_CACHE)(normalize_postcode)
_email = lru_cache(maxsize=_CACHE)(normalize_email)
_phone = lru_cache(maxsize=_CACHE)(normalize_phone)


def from_attributes(
    record_id: int,
    key: str,
    attributes: Mapping[str, Any],
    identifiers: Iterable[tuple[str, str]] = (),
    *,
    default_region: str = "US",
    **extra: Any,
) -> PersonRecord:
    """Build a `PersonRecord` from `source_records.attributes` (the contract's keys) and the
    record's normalised identifiers; an email or phone only in identifiers still counts."""
    address = attributes.get("address")
    address = address if isinstance(address, Mapping) else {}
    values = [
        _text(address.get(path[1]) if len(path) > 1 else attributes.get(path[0]))
        for path in RAW_PATHS
    ]
    return from_values(record_id, key, values, identifiers, default_region=default_region, **extra)


def from_values(
    record_id: int,
    key: str,
    values: Sequence[str | None],
    identifiers: Iterable[tuple[str, str]] = (),
    *,
    default_region: str = "US",
    **extra: Any,
) -> PersonRecord:
    """Build a `PersonRecord` from the attribute values at `ATTRIBUTE_PATHS`, in that order
    (what a loader reads straight from the JSON column; the values at `DISPLAY_PATHS` may
    follow), and the normalised identifiers. The values are kept as `raw`."""
    given_raw, family_raw, full_raw, birth, email_raw, phone_raw, line1, postcode, city = values[
        :_MATCHED
    ]
    ids = tuple(sorted(set(identifiers)))
    given = _name(given_raw) if given_raw is not None else None
    family = _name(family_raw) if family_raw is not None else None
    if given is None and family is None:
        given, family = _full_name(full_raw) if full_raw is not None else (None, None)
    given_han, family_han = han_names(given_raw, family_raw, full_raw)
    if given_han is not None or family_han is not None:
        # Read in pinyin, as the person writes the name on a Latin-alphabet channel.
        given = pinyin(given_han) if given_han else given
        family = pinyin(family_han) if family_han else family
    # Ingest already normalised identifiers; parsing a phone again costs more than the rest
    # of the record, so the attribute is only read when no identifier carries one.
    email = _first(ids, "email") or (_email(email_raw) if email_raw is not None else None)
    phone = _first(ids, "phone") or (
        _phone(phone_raw, default_region) if phone_raw is not None else None
    )
    return PersonRecord(
        record_id=record_id,
        key=key,
        given_name=given,
        family_name=family,
        birth_date=_birth_date(birth) if birth is not None else None,
        email=email,
        phone=phone,
        address=_address(line1) if line1 is not None else None,
        postcode=_postcode(postcode) if postcode is not None else None,
        city=_name(city) if city is not None else None,
        identifiers=ids,
        raw=_raw(values),
        given_han=given_han,
        family_han=family_han,
        **extra,
    )


_MATCHED = len(ATTRIBUTE_PATHS)
RAW_SEP = "\x1f"  # the ASCII unit separator; taken out of the values themselves


def _raw(values: Sequence[str | None]) -> str:
    """The values as written, joined (the many records that state nothing about the person,
    such as events, keep an empty string)."""
    if not any(values):
        return ""
    padded = [(value or "").replace(RAW_SEP, " ") for value in values]
    padded += [""] * (len(RAW_PATHS) - len(padded))
    return RAW_SEP.join(padded)


def _text(value: object) -> str | None:
    if value is None or isinstance(value, Mapping | list):
        return None
    return str(value)


def _first(identifiers: Sequence[tuple[str, str]], kind: str) -> str | None:
    for k, value in identifiers:
        if k == kind:
            return value
    return None


ObjectArray = npt.NDArray[np.object_]


def _factorize(values: ObjectArray) -> tuple[npt.NDArray[np.int64], list[Any]]:
    """Codes of `values` (-1 for None; the others numbered in order of first appearance) and
    the distinct values in code order. The dictionary is filled by `map` (no Python frame per
    value): each value gets the position where it first appears, renumbered after."""
    index: dict[Any, int] = {}
    first = np.fromiter(map(index.setdefault, values.tolist(), count()), np.int64, len(values))
    first[np.asarray(values == None, dtype=bool)] = -1  # noqa: E711 (elementwise)
    positions, codes = np.unique(first, return_inverse=True)
    codes = codes.reshape(-1)
    if positions.size and positions[0] == -1:
        positions = positions[1:]
        codes -= 1
    return codes.astype(np.int64), values[positions].tolist()


_T = TypeVar("_T")


@dataclass
class RecordTable:
    """Columnar view of records: `column(name)` is a numpy object array (None = missing)."""

    records: Sequence[PersonRecord]
    _columns: dict[str, ObjectArray] = field(default_factory=dict)
    _codes: dict[str, npt.NDArray[np.int64]] = field(default_factory=dict)
    _distinct: dict[str, list[Any]] = field(default_factory=dict)
    _memo: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.records)

    def column(self, name: str) -> ObjectArray:
        cached = self._columns.get(name)
        if cached is None:
            derive = DERIVED_COLUMNS.get(name)
            if derive is not None:
                values = [derive(r) for r in self.records]
            else:
                values = [getattr(r, name) for r in self.records]
            cached = np.empty(len(values), dtype=object)
            cached[:] = values
            self._columns[name] = cached
        return cached

    def codes(self, name: str) -> npt.NDArray[np.int64]:
        """Each record's value of `name` as an integer (-1 where missing): equal values, equal
        codes (numbered in order of first appearance), so comparisons and keys work per
        distinct value, and pairs compare integers."""
        cached = self._codes.get(name)
        if cached is None:
            cached, self._distinct[name] = _factorize(self.column(name))
            self._codes[name] = cached
        return cached

    def distinct(self, name: str) -> list[Any]:
        """The distinct values of `name`, in the order of their codes (`codes`)."""
        self.codes(name)
        return self._distinct[name]

    def mapped(self, name: str, how: str, fn: Callable[[Any], Any]) -> ObjectArray:
        """`fn` of each record's value of `name` (None where missing or empty), computed once
        per distinct value and kept as the column `name:how` (`how` names `fn`), with its
        `codes`, which follow from those of `name` per distinct value too."""
        key = f"{name}:{how}"
        cached = self._columns.get(key)
        if cached is None:
            values = self.distinct(name)
            per_value = np.fromiter(
                (*(fn(v) if v else None for v in values), None), object, len(values) + 1
            )
            codes = self.codes(name)
            cached = per_value[codes]  # code -1 takes the last entry, None
            self._columns[key] = cached
            # The parent's distinct values are in order of first appearance, so these codes
            # are numbered as `_factorize` of the column would number them.
            value_codes, self._distinct[key] = _factorize(per_value)
            self._codes[key] = value_codes[codes]
        return cached

    def memo(self, key: str, build: Callable[[], _T]) -> _T:
        """`build()`, computed once per table and kept under `key` (a derived array)."""
        if key not in self._memo:
            self._memo[key] = build()
        return self._memo[key]  # type: ignore[no-any-return]

    @property
    def record_ids(self) -> npt.NDArray[np.int64]:
        return np.fromiter((r.record_id for r in self.records), np.int64, len(self.records))
