"""How a mapping reads a target's value and a record's time: the `[fields]` transforms and the
`[timestamp]` table of a mapping file (`ingest/mapping.py`).

A field is a column, or an inline table that joins columns, strips, defaults or reads a date:

    [fields]
    "person.email" = "email"                                             # one column, stripped
    "person.address.line1" = { join = ["street_number", "address_1"], sep = " " }
    "person.birth_date" = { column = "date_of_birth", format = "%Y%m%d" }  # written ISO 8601
    "person.address.country" = { column = "country", strip = true, default = "AU" }

- `column` or `join` (a list of columns; blank cells are left out, `sep` defaults to a space);
- `strip` (default true): trim surrounding spaces (false keeps the cell exactly as written);
- `default`: the value when the cell (or every joined cell) is blank;
- `format`: a `strptime` date format; the value is stored as an ISO 8601 date (a date and
  time when the format has a time). A cell that does not match is quarantined with the format
  it was expected in, except for `person.*` targets: a person's birth date written wrongly does
  not lose the record, its text is kept as written (identity ignores what is not a date, as for
  any source).

The record's time (`[timestamp]`) is exactly one of:

    [timestamp]
    column = "updated"               # with formats = [...] and utc_offset / timezone
    constant = "2000-01-01T00:00:00Z"  # one time for every row (a snapshot with no dates)
    source = "ingest"                # when the run read the row (first ingest: a re-read is
                                     # a duplicate and keeps its time)

Times may go back to 1900 (`HISTORY_EARLIEST`): an export holds history.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ingest.errors import SkippableRecordError
from ingest.fields import HISTORY_EARLIEST, get_path, parse_timestamp

__all__ = ["FieldSpec", "TimestampSpec", "parse_field", "parse_timestamp_spec"]

Cell = Callable[[Mapping[str, Any], str], str | None]
_FIELD_KEYS = ("column", "join", "sep", "strip", "default", "format")
_TIME_DIRECTIVES = re.compile(r"%[HIMSfpzZXc]")
_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")


@dataclass(frozen=True)
class FieldSpec:
    """Where a target's value comes from (see the module docstring)."""

    columns: tuple[str, ...]
    sep: str = " "
    strip: bool = True
    default: str | None = None
    date_format: str | None = None

    def read(self, record: Mapping[str, Any], cell: Cell, target: str) -> str | None:
        """The value for `target` from `record` (`cell` reads one stripped cell)."""
        parts = [self._cell(record, column, cell) for column in self.columns]
        present = [part for part in parts if part is not None]
        if not present:
            return self.default
        value = self.sep.join(present)
        if self.date_format is not None:
            return _date(value, self.date_format, target, self.columns)
        return value

    def _cell(self, record: Mapping[str, Any], column: str, cell: Cell) -> str | None:
        if self.strip:
            return cell(record, column)
        value = record.get(column) if column in record else get_path(record, column)
        if value is None or isinstance(value, dict | list) or not str(value).strip():
            return None
        return str(value)


def _date(value: str, fmt: str, target: str, columns: tuple[str, ...]) -> str:
    try:
        moment = datetime.strptime(value, fmt)
    except ValueError:
        if target.startswith("person."):
            return value
        raise SkippableRecordError(
            f"not a date in the format {fmt!r}", field=", ".join(columns), value=value
        ) from None
    if _TIME_DIRECTIVES.search(fmt):
        return moment.isoformat()
    return moment.date().isoformat()


def parse_field(target: str, spec: Any, problems: list[str]) -> FieldSpec | None:
    """A `[fields]` entry: a column name, or an inline table of the module docstring's keys.
    Problems are added to `problems` (each naming the entry) and None returned."""
    if isinstance(spec, str):
        if not spec:
            problems.append(f"[fields] {target!r}: name a column")
            return None
        return FieldSpec((spec,))
    if not isinstance(spec, Mapping):
        problems.append(
            f"[fields] {target!r} = {spec!r}: expected a column name or a table such as "
            '{ column = "x", default = "..." } or { join = ["a", "b"], sep = " " }'
        )
        return None
    found = len(problems)
    unknown = sorted(str(key) for key in spec if key not in _FIELD_KEYS)
    if unknown:
        problems.append(
            f"[fields] {target!r}: unknown key {', '.join(map(repr, unknown))}; "
            f"expected {', '.join(_FIELD_KEYS)}"
        )
    columns = _columns(target, spec, problems)
    sep, fmt, default = spec.get("sep", " "), spec.get("format"), spec.get("default")
    if not isinstance(sep, str):
        problems.append(f"[fields] {target!r}: sep = {sep!r} must be a string")
    if "sep" in spec and "join" not in spec:
        problems.append(f"[fields] {target!r}: sep is for join = [...]")
    strip = spec.get("strip", True)
    if not isinstance(strip, bool):
        problems.append(f"[fields] {target!r}: strip = {strip!r} must be true or false")
    if fmt is not None and (not isinstance(fmt, str) or "%" not in fmt):
        problems.append(
            f"[fields] {target!r}: format = {fmt!r}: expected a date format like '%Y%m%d'"
        )
    if default is not None and not isinstance(default, str | int | float):
        problems.append(f"[fields] {target!r}: default = {default!r} must be a value")
    if len(problems) > found:
        return None
    return FieldSpec(
        columns=columns,
        sep=str(sep),
        strip=bool(strip),
        default=None if default is None else str(default),
        date_format=None if fmt is None else str(fmt),
    )


def _columns(target: str, spec: Mapping[str, Any], problems: list[str]) -> tuple[str, ...]:
    column, join = spec.get("column"), spec.get("join")
    if (column is None) == (join is None):
        problems.append(f"[fields] {target!r}: give exactly one of column = or join = [...]")
        return ()
    if column is not None:
        if not isinstance(column, str) or not column:
            problems.append(f"[fields] {target!r}: column = {column!r} must name a column")
            return ()
        return (column,)
    if not isinstance(join, list) or not join or not all(isinstance(c, str) and c for c in join):
        problems.append(f"[fields] {target!r}: join = {join!r} must be a list of column names")
        return ()
    return tuple(join)


@dataclass(frozen=True)
class TimestampSpec:
    """Where a record's time comes from: a column, a constant, or the time of ingest."""

    column: str | None = None
    formats: tuple[str, ...] = ()
    zone: tzinfo | None = None
    constant: datetime | None = None
    at_ingest: bool = False

    def read(self, record: Mapping[str, Any], cell: Cell, started: datetime) -> datetime:
        if self.constant is not None:
            return self.constant
        if self.at_ingest or self.column is None:
            return started
        return parse_timestamp(
            cell(record, self.column) or "",
            self.column,
            formats=self.formats,
            default_tz=self.zone,
            earliest=HISTORY_EARLIEST,
        )


_TIMESTAMP_KEYS = frozenset(
    ("column", "constant", "source", "format", "formats", "timezone", "utc_offset")
)


def parse_timestamp_spec(stamp: Any, problems: list[str]) -> TimestampSpec:
    """The `[timestamp]` table; problems are added to `problems`."""
    if not isinstance(stamp, Mapping):
        problems.append(
            '[timestamp] must be a table: column = "...", constant = "..." or source = "ingest"'
        )
        return TimestampSpec()
    unknown = sorted(set(stamp) - _TIMESTAMP_KEYS)
    if unknown:
        problems.append(
            f"[timestamp] unknown key {', '.join(map(repr, unknown))}; expected "
            + ", ".join(sorted(_TIMESTAMP_KEYS))
        )
    given = [key for key in ("column", "constant", "source") if key in stamp]
    if len(given) != 1:
        problems.append(
            "[timestamp] needs exactly one of column = (the column saying when each row "
            'happened), constant = "2000-01-01T00:00:00Z" or source = "ingest"'
            + (f"; got {', '.join(given)}" if given else "")
        )
        return TimestampSpec()
    zone = _zone(stamp, problems)
    if "source" in stamp:
        if stamp["source"] != "ingest":
            problems.append(f"[timestamp] source = {stamp['source']!r}: expected 'ingest'")
        return TimestampSpec(at_ingest=True)
    if "constant" in stamp:
        return TimestampSpec(constant=_constant(stamp["constant"], zone, problems))
    column = stamp["column"]
    if not isinstance(column, str) or not column:
        problems.append(
            f"[timestamp] column = {column!r}: name the column saying when each row happened"
        )
    formats = stamp.get("formats", [stamp["format"]] if "format" in stamp else [])
    if not isinstance(formats, list) or not all(isinstance(f, str) for f in formats):
        problems.append(f"[timestamp] formats = {formats!r}: expected a list of strptime formats")
        formats = []
    return TimestampSpec(column=str(column), formats=tuple(formats), zone=zone)


def _constant(value: Any, zone: tzinfo | None, problems: list[str]) -> datetime | None:
    if isinstance(value, datetime):  # TOML has date-time literals
        value = value.isoformat()
    try:
        return parse_timestamp(
            str(value), "[timestamp] constant", default_tz=zone, earliest=HISTORY_EARLIEST
        )
    except SkippableRecordError as exc:
        problems.append(f"[timestamp] constant = {value!r}: {exc}")
        return None


def _zone(stamp: Mapping[str, Any], problems: list[str]) -> tzinfo | None:
    if "utc_offset" in stamp:
        match = _OFFSET.match(str(stamp["utc_offset"]))
        if match is None:
            problems.append(f"[timestamp] utc_offset = {stamp['utc_offset']!r}: expected '+01:00'")
            return None
        sign = -1 if match.group(1) == "-" else 1
        delta = timedelta(hours=int(match.group(2)), minutes=int(match.group(3)))
        return timezone(sign * delta)
    if "timezone" in stamp:
        try:
            return ZoneInfo(str(stamp["timezone"]))
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(f"[timestamp] timezone = {stamp['timezone']!r}: not an IANA zone name")
    return None


def ingest_time() -> datetime:
    """The time a run reads its rows (`source = "ingest"`), to the second."""
    return datetime.now(UTC).replace(microsecond=0)
