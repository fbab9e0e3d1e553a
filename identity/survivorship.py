"""Golden record: one value per *unit* chosen from a profile's records.

A unit is what must not be mixed from several records: a name (given and family name, taken
together from one record), an address (street lines, city, region, postcode and country,
together from one record), a birth date, an email, a phone, a gender. Mixing them made
"ritter ritter" (the given name of one record, the family name of another) and addresses
whose street and postcode were never written together.

How a unit's value is chosen (`golden_record`):

1. Each record that states the unit is a candidate: its value as written (`PersonRecord.raw`:
   names and addresses keep the case, accents and characters a person typed; the normalised
   features are for matching only), its *key* (the normalised form, so `John Ritter` and `JOHN
   RITTER` agree), and its completeness (parts present: both names, the address's parts).
   Emails, phones and birth dates are shown in their normal form (case-folded email, E.164,
   ISO date), which is the form an app uses.
2. Candidates with one key are one *group* (one value, several spellings); a candidate with
   part of a key (a given name alone, a postcode and city without a street) joins the group of
   the fuller key it agrees with, so it supports that value rather than competing. The unit's
   strategy (`most_frequent`, `most_recent`, `most_complete`, `source_priority`; configurable
   per unit in the model's `survivorship`) picks a group, ties broken in a fixed order: most
   records agreeing, then most complete, then most recent, then the lowest record id. For a
   name, a group written in a non-Latin script (张伟) comes before a romanised one (Zhang Wei)
   of the same profile whatever the strategy: the romanisation is the copy.
3. Within the group, the spelling shown is the best written: the most complete, then one in
   mixed case (a name typed in capitals at a till or all in lower case loses to `John`), then
   one with more accents or other non-ASCII letters (`José` over `Jose`), then the most
   recent, then the lowest record id.

`sources` names, per unit, the record the shown value came from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from cdp.normalize import fold, split_display_name
from identity.records import RAW_PATHS, PersonRecord

__all__ = ["LEGACY_KEYS", "STRATEGIES", "UNITS", "GoldenRecord", "golden_record", "unit_rules"]

STRATEGIES = ("most_recent", "most_frequent", "source_priority", "most_complete")
UNITS = ("name", "address", "birth_date", "email", "phone", "gender")
_DEFAULT = "most_frequent"
# Older models named attributes, not units; their rule applies to the unit they belong to.
_LEGACY = {
    "given_name": "name",
    "family_name": "name",
    "postcode": "address",
    "city": "address",
}
LEGACY_KEYS = frozenset(_LEGACY)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_AT = {path: i for i, path in enumerate(RAW_PATHS)}
_GIVEN, _FAMILY, _FULL = _AT["given_name",], _AT["family_name",], _AT["full_name",]
_GENDER = _AT["gender",]
_ADDRESS_AT = tuple(
    (part, _AT["address", part])
    for part in ("line1", "line2", "city", "region", "postcode", "country")
)
_NORMALISED = ("birth_date", "email", "phone")  # shown in their normal form


@dataclass(frozen=True)
class GoldenRecord:
    attributes: dict[str, Any]
    sources: dict[str, str]
    record_count: int
    channel_count: int
    first_seen_at: datetime | None
    last_seen_at: datetime | None


@dataclass(slots=True)
class _Candidate:
    value: Any  # a string, or a dict of parts (name, address)
    key: Any  # equal keys: one value written several ways
    completeness: int
    written: tuple[int, int]  # how well it is written: (mixed case, non-ASCII letters)
    native: bool  # a name in a non-Latin script
    record: PersonRecord

    @property
    def moment(self) -> datetime:
        return self.record.occurred_at or _EPOCH


def unit_rules(rules: Mapping[str, str]) -> dict[str, str]:
    """Each unit's strategy from a model's `survivorship` (unit names, or the attribute names
    older models used: `given_name` -> name, `postcode` -> address)."""
    out: dict[str, str] = {}
    for name, strategy in rules.items():
        if name in _LEGACY:
            out.setdefault(_LEGACY[name], strategy)
    out.update({name: strategy for name, strategy in rules.items() if name in UNITS})
    return out


def golden_record(
    records: Sequence[PersonRecord],
    rules: Mapping[str, str],
    source_priority: Sequence[str] = (),
) -> GoldenRecord:
    """Choose every unit's surviving value; `sources` names the record key it came from."""
    priority = {name: i for i, name in enumerate(source_priority)}
    strategies = unit_rules(rules)
    attributes: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for unit, candidates in _candidates(records).items():
        if not candidates:
            continue
        chosen = _choose(candidates, strategies.get(unit, _DEFAULT), priority, unit == "name")
        sources[unit] = chosen.record.key
        if unit == "name":
            attributes.update(chosen.value)
        else:
            attributes[unit] = chosen.value
    attributes["identifiers"] = _identifiers(records)
    seen = [r.occurred_at for r in records if r.occurred_at is not None]
    return GoldenRecord(
        attributes=attributes,
        sources=sources,
        record_count=len(records),
        channel_count=len({r.channel for r in records if r.channel}),
        first_seen_at=min(seen) if seen else None,
        last_seen_at=max(seen) if seen else None,
    )


def _identifiers(records: Sequence[PersonRecord]) -> dict[str, list[str]]:
    ids: dict[str, set[str]] = {}
    for record in records:
        for kind, value in record.identifiers:
            ids.setdefault(kind, set()).add(value)
    return {kind: sorted(values) for kind, values in sorted(ids.items())}


# --- choosing ----------------------------------------------------------------------------------


def _choose(
    candidates: list[_Candidate], strategy: str, priority: Mapping[str, int], is_name: bool
) -> _Candidate:
    if len(candidates) == 1:
        return candidates[0]
    groups = _groups(candidates)
    rank = len(priority)

    def group_order(group: list[_Candidate]) -> tuple[Any, ...]:
        agreeing = len(group)
        complete = max(c.completeness for c in group)
        latest = max(c.moment for c in group)
        lowest = -min(c.record.record_id for c in group)
        source = -min(priority.get(c.record.source, rank) for c in group) if priority else 0
        native = any(c.native for c in group) if is_name else False
        if strategy == "most_recent":
            return (native, latest, agreeing, complete, lowest)
        if strategy == "most_complete":
            return (native, complete, agreeing, latest, lowest)
        if strategy == "source_priority":
            return (native, source, agreeing, complete, latest, lowest)
        return (native, agreeing, complete, latest, lowest)

    best = max(groups, key=group_order)
    return max(
        best,
        key=lambda c: (c.completeness, c.written, c.moment, -c.record.record_id),
    )


def _groups(candidates: list[_Candidate]) -> list[list[_Candidate]]:
    """Candidates with equal keys, and a less complete key (a part missing: None) folded into
    the group of a fuller key that agrees on every part it has (`Ann` supports `Ann Lee`, a
    postcode and city the address with that street, postcode and city). Among several such
    groups, the one with the most records, then the latest, then the lowest record id."""
    by_key: dict[Any, list[_Candidate]] = {}
    for candidate in candidates:
        by_key.setdefault(candidate.key, []).append(candidate)
    if len(by_key) == 1 or not isinstance(candidate.key, tuple):
        return list(by_key.values())

    def parts(key: tuple[Any, ...]) -> int:
        return sum(part is not None for part in key)

    def weight(key: Any) -> tuple[Any, ...]:
        group = by_key[key]
        latest = max(c.moment for c in group)
        return (len(group), latest, -min(c.record.record_id for c in group))

    for key in sorted(by_key, key=lambda k: (parts(k), repr(k))):
        fuller = [
            other
            for other in by_key
            if parts(other) > parts(key)
            and all(p is None or p == q for p, q in zip(key, other, strict=True))
        ]
        if fuller:
            target = max(fuller, key=weight)
            by_key[target].extend(by_key.pop(key))
    return list(by_key.values())


# --- candidates per unit -----------------------------------------------------------------------


def _candidates(records: Sequence[PersonRecord]) -> dict[str, list[_Candidate]]:
    """Each unit's candidates, in `UNITS` order (one pass; each record's raw values split
    once)."""
    out: dict[str, list[_Candidate]] = {unit: [] for unit in UNITS}
    names, addresses, genders = out["name"], out["address"], out["gender"]
    for record in records:
        # Most records (events) state nothing about the person.
        if record.raw or record.given_name or record.family_name or record.address:
            raw = record.raw_values()
            if (name := _name(record, raw)) is not None:
                names.append(name)
            if (address := _address(record, raw)) is not None:
                addresses.append(address)
            if raw[_GENDER]:
                genders.append(_gender(record, _clean(raw[_GENDER])))
        for feature in _NORMALISED:
            value = getattr(record, feature)
            if feature == "birth_date" and value is not None and not _is_date(value):
                continue  # a mistyped date kept for matching (1955-11-92) is no birth date
            if value is not None:
                out[feature].append(_Candidate(value, value, 1, (1, 0), False, record))
    return out


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _clean(value: str) -> str:
    return " ".join(value.split()) if "  " in value or "\n" in value or "\t" in value else value


def _part(feature: str | None, written: str | None) -> str | None:
    """A key part: the matcher's normal form, or the folded text where the matcher has none
    (a name or city in characters)."""
    if feature is not None:
        return feature
    return fold(written) if written else None


def _written(*values: str | None) -> tuple[int, int]:
    """(1 when no value is all capitals or all lower case, count of non-ASCII letters)."""
    mixed, special = 1, 0
    for value in values:
        if not value:
            continue
        if value.isupper() or value.islower():
            mixed = 0
        if not value.isascii():
            special += sum(1 for ch in value if not ch.isascii() and ch.isalpha())
    return mixed, special


def _is_native(*values: str | None) -> bool:
    """Whether a name is written in a script other than Latin (Han, Cyrillic, Arabic...)."""
    for value in values:
        for ch in value or "":
            if ch.isalpha() and not ch.isascii() and not fold(ch).isascii():
                return True
    return False


def _name(record: PersonRecord, raw: Sequence[str]) -> _Candidate | None:
    given, family = raw[_GIVEN] or None, raw[_FAMILY] or None
    if given is None and family is None and raw[_FULL]:
        given, family = split_display_name(raw[_FULL])
    if given is None and family is None:  # a record built without its raw values
        given, family = record.given_name, record.family_name
        if given is None and family is None:
            return None
    given = _clean(given) if given else None
    family = _clean(family) if family else None
    value = {k: v for k, v in (("given_name", given), ("family_name", family)) if v}
    key = (_part(record.given_name, given), _part(record.family_name, family))
    native = not ((given or "").isascii() and (family or "").isascii()) and _is_native(
        given, family
    )
    return _Candidate(value, key, len(value), _written(given, family), native, record)


def _address(record: PersonRecord, raw: Sequence[str]) -> _Candidate | None:
    parts = {name: _clean(raw[i]) for name, i in _ADDRESS_AT if raw[i]}
    if not parts and not record.raw:  # a record built without its raw values
        found = (("line1", record.address), ("city", record.city), ("postcode", record.postcode))
        parts = {name: value for name, value in found if value is not None}
    if not parts:
        return None
    key = (
        _part(record.address, parts.get("line1")),
        _part(record.postcode, parts.get("postcode")),
        _part(record.city, parts.get("city")),
    )
    written = _written(parts.get("line1"), parts.get("line2"), parts.get("city"))
    return _Candidate(parts, key, len(parts), written, False, record)


def _gender(record: PersonRecord, value: str) -> _Candidate:
    key = fold(value)[:1]  # `female`, `F` and `f` agree
    return _Candidate(value, key, len(value), _written(value), False, record)
