"""What a condition may test: profile attributes and computed traits, their kinds and operators.

One table, read by validation (`_definition`), by compilation (`_compile`) and by the docs'
generator, so the three never disagree. Attribute names are the golden record's: the typed
columns of `profiles` and the units of `profiles.attributes` (JSON, strings only). Trait names
are the camelCase names of `profile_traits`' columns, derived from the model so that a new
trait is usable in segments as soon as it is a column.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, DateTime, Float, Integer, Numeric, String, Text

from cdp import models

__all__ = [
    "ATTRIBUTES",
    "COUNT_OPS",
    "PROPERTY_OPS",
    "TRAITS",
    "Field",
    "check_value",
    "minor_units",
]

TEXT_OPS = ("eq", "neq", "in", "notIn", "contains", "startsWith", "isSet", "isNotSet")
NUMBER_OPS = ("eq", "neq", "gt", "gte", "lt", "lte", "isSet", "isNotSet")
TIME_OPS = ("gt", "gte", "lt", "lte", "isSet", "isNotSet")
DATE_OPS = ("eq", "neq", "gt", "gte", "lt", "lte", "isSet", "isNotSet")
COUNT_OPS = ("eq", "neq", "gt", "gte", "lt", "lte")
PROPERTY_OPS = ("eq", "neq", "in", "contains")
NO_VALUE_OPS = ("isSet", "isNotSet")
_OPS = {"text": TEXT_OPS, "number": NUMBER_OPS, "time": TIME_OPS, "date": DATE_OPS}
_ZERO_DECIMAL = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "HUF", "TWD", "UGX"})


@dataclass(frozen=True)
class Field:
    """A testable value: `column` on `profiles` or `profile_traits`, or a `json_path` into
    `profiles.attributes`. `kind` is text, number, time or date (an ISO date held as text)."""

    name: str
    kind: str
    column: str | None = None
    json_path: tuple[str, ...] = ()
    is_trait: bool = False

    @property
    def ops(self) -> tuple[str, ...]:
        return _OPS[self.kind]


def _attributes() -> dict[str, Field]:
    fields = [
        Field("givenName", "text", "given_name"),
        Field("familyName", "text", "family_name"),
        Field("email", "text", "email"),
        Field("phone", "text", "phone"),
        Field("recordCount", "number", "record_count"),
        Field("channelCount", "number", "channel_count"),
        Field("firstSeenAt", "time", "first_seen_at"),
        Field("lastSeenAt", "time", "last_seen_at"),
        Field("createdAt", "time", "created_at"),
        Field("gender", "text", json_path=("gender",)),
        Field("birthDate", "date", json_path=("birth_date",)),
    ]
    for part, name in (
        ("city", "city"),
        ("region", "region"),
        ("postcode", "postcode"),
        ("country", "country"),
    ):
        fields.append(Field(f"address.{name}", "text", json_path=("address", part)))
    return {f.name: f for f in fields}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _traits() -> dict[str, Field]:
    skip = {"profile_id", "computed_at", "as_of"}
    found: dict[str, Field] = {}
    for column in models.ProfileTraits.__table__.columns:
        if column.name in skip:
            continue
        kind = _kind(column.type)
        if kind is not None:
            found[_camel(column.name)] = Field(
                _camel(column.name), kind, column.name, is_trait=True
            )
    return found


def _kind(type_: Any) -> str | None:
    if isinstance(type_, Boolean):
        return None
    if isinstance(type_, Integer | Float | Numeric):
        return "number"
    if isinstance(type_, String | Text):
        return "text"
    if isinstance(type_, DateTime) or getattr(type_, "impl", None).__class__ is DateTime:
        return "time"
    return None  # JSON lists (favourite categories) are not comparable


ATTRIBUTES: Mapping[str, Field] = _attributes()
TRAITS: Mapping[str, Field] = _traits()


def check_value(field: Field, op: str, value: Any) -> tuple[Any, str | None]:
    """The value converted for comparison with `field` by `op`, or a problem to report."""
    if op in NO_VALUE_OPS:
        if value is not None:
            return None, f"{op} takes no value, got {value!r}"
        return None, None
    if op in ("in", "notIn"):
        if not isinstance(value, list) or not 0 < len(value) <= 1000:
            return None, f"expected a non-empty list of at most 1000 values, got {value!r}"
        converted = [_one(field, item) for item in value]
        bad = [item for item, ok in zip(value, converted, strict=True) if ok is None]
        if bad:
            return None, f"{bad[0]!r} is not a {_wanted(field)}"
        return tuple(converted), None
    if op in ("contains", "startsWith") and (not isinstance(value, str) or not value):
        return None, f"expected a non-empty text, got {value!r}"
    converted_one = _one(field, value)
    if converted_one is None:
        return None, f"expected a {_wanted(field)}, got {value!r}"
    return converted_one, None


def _one(field: Field, value: Any) -> Any:
    if field.kind == "text":
        return value if isinstance(value, str) and len(value) <= 1000 else None
    if field.kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return value if abs(value) < 2**53 else None
    if field.kind == "date":
        try:
            return date.fromisoformat(value).isoformat() if isinstance(value, str) else None
        except ValueError:
            return None
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else None
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return moment if moment is not None and moment.tzinfo is not None else None


def _wanted(field: Field) -> str:
    return {
        "text": "text",
        "number": "number",
        "date": "date (YYYY-MM-DD)",
        "time": "time in ISO 8601 with a time zone",
    }[field.kind]


def minor_units(amount: Decimal, currency: str) -> int:
    """An amount in major units as integer minor units of `currency` (cents; yen as is)."""
    exponent = 0 if currency.upper() in _ZERO_DECIMAL else 2
    return int((amount * (10**exponent)).to_integral_value())
