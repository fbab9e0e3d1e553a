"""Typed reads from raw records that fail with a reason naming the field and the value.

Adapters use these in `to_observation` so that every malformed record is quarantined with a
message such as `timestamp: not an ISO 8601 timestamp (got 'yesterday')`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from ingest.errors import SkippableRecordError

__all__ = [
    "EARLIEST",
    "HISTORY_EARLIEST",
    "currency_code",
    "get_path",
    "optional_str",
    "parse_iso",
    "parse_timestamp",
    "parse_unix_timestamp",
    "require_mapping",
    "require_str",
    "require_text",
    "to_minor_units",
]

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
# A mapped export may hold history (a CRM's customers since the 1980s): its times may go back
# as far as the birth dates identity accepts.
HISTORY_EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
# A clock may run a little fast; anything further in the future is absurd.
_FUTURE_SLACK = timedelta(days=2)
# The latest acceptable time the clock gave last (reading the clock for every timestamp cost
# about 0.4 us): a moment before it is before the current bound too, since clocks move on.
_latest_seen = [EARLIEST]
_ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "HUF", "TWD", "UGX"})


def get_path(record: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path (`context.page.url`), or None when any step is missing."""
    # `type(...) is dict` first: the ABC check behind isinstance(Mapping) is slow on a hot path.
    if "." not in path:
        return record.get(path) if type(record) is dict or isinstance(record, Mapping) else None
    value: Any = record
    for part in path.split("."):
        if not (type(value) is dict or isinstance(value, Mapping)):
            return None
        value = value.get(part)
    return value


def require_str(record: Mapping[str, Any], path: str) -> str:
    """A non-empty string (numbers are accepted and written in decimal, as ids often are)."""
    value = get_path(record, path)
    if value is None or value == "":
        raise SkippableRecordError("required field is missing", field=path)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise SkippableRecordError("expected a string", field=path, value=value)
    text = str(value).strip()
    if not text:
        raise SkippableRecordError("required field is blank", field=path, value=value)
    if len(text) > 255:
        raise SkippableRecordError("longer than 255 characters", field=path, value=text)
    return text


def require_text(record: Mapping[str, Any], path: str) -> str:
    """A non-empty string, and only a string (an email address is never a number)."""
    value = get_path(record, path)
    if value is not None and not isinstance(value, str):
        raise SkippableRecordError("expected a string", field=path, value=value)
    return require_str(record, path)


def optional_str(record: Mapping[str, Any], path: str) -> str | None:
    value = get_path(record, path)
    if value is None:
        return None
    if type(value) is str:
        return value.strip() or None
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        text = str(value).strip()
        return text or None
    raise SkippableRecordError("expected a string", field=path, value=value)


def require_mapping(record: Mapping[str, Any], path: str) -> Mapping[str, Any]:
    value = get_path(record, path)
    if value is None:
        return {}
    if type(value) is not dict and not isinstance(value, Mapping):
        raise SkippableRecordError("expected an object", field=path, value=value)
    return value


def parse_timestamp(
    value: Any,
    field: str,
    *,
    formats: tuple[str, ...] = (),
    default_tz: tzinfo | None = None,
    now: datetime | None = None,
    earliest: datetime = EARLIEST,
) -> datetime:
    """An aware UTC datetime from ISO 8601 (or one of `formats`), refusing absurd values.

    A time without a zone is refused unless `default_tz` says which zone the source means.
    Times before `earliest` (2000 unless the source holds history: `HISTORY_EARLIEST`) or
    more than two days in the future are refused as absurd.
    """
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise SkippableRecordError("expected a timestamp string", field=field, value=value)
    moment = _parse_formats(text, formats) if formats else _parse_iso(text)
    if moment is None:
        expected = " or ".join(repr(fmt) for fmt in formats) if formats else "ISO 8601"
        raise SkippableRecordError(f"not a timestamp in {expected}", field=field, value=value)
    if moment.tzinfo is None:
        if default_tz is None:
            raise SkippableRecordError(
                "timestamp has no UTC offset; add one (e.g. '+00:00')", field=field, value=value
            )
        moment = moment.replace(tzinfo=default_tz)
    return _check_range(moment.astimezone(UTC), field, value, now, earliest)


def parse_unix_timestamp(value: Any, field: str, *, now: datetime | None = None) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise SkippableRecordError("expected unix seconds", field=field, value=value)
    try:
        seconds = float(value)
        moment = datetime.fromtimestamp(seconds, tz=UTC)
    except (ValueError, OverflowError, OSError):
        raise SkippableRecordError("expected unix seconds", field=field, value=value) from None
    return _check_range(moment, field, value, now)


def currency_code(value: str | None, field: str) -> str:
    """An ISO 4217 currency code: three ASCII letters, upper-cased (`usd` -> `USD`)."""
    code = (value or "").strip().upper()
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise SkippableRecordError("expected an ISO 4217 code", field=field, value=value)
    return code


def to_minor_units(value: Any, field: str, currency: str | None, *, signed: bool = False) -> int:
    """Integer minor units (cents) from a decimal string or number in major units; a
    negative amount is refused unless `signed` (an order's total or a price is never below
    zero: a refund is recorded as the order's refunded amount)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise SkippableRecordError("expected a decimal amount", field=field, value=value)
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise SkippableRecordError("expected a decimal amount", field=field, value=value) from None
    if not amount.is_finite() or abs(amount) > Decimal("1e12"):
        raise SkippableRecordError("amount out of range", field=field, value=value)
    if amount < 0 and not signed:
        raise SkippableRecordError(
            "negative amount; a refund is recorded as refunded, not as a negative order",
            field=field,
            value=value,
        )
    exponent = 0 if (currency or "").upper() in _ZERO_DECIMAL_CURRENCIES else 2
    return int((amount * (10**exponent)).quantize(Decimal(1)))


def parse_iso(value: Any) -> datetime | None:
    """An aware datetime from ISO 8601 text, with no range check; None when not one."""
    if not isinstance(value, str):
        return None
    moment = _parse_iso(value.strip())
    return moment if moment is not None and moment.tzinfo is not None else None


def _parse_iso(text: str) -> datetime | None:
    candidate = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    # Meta writes offsets without a colon (`+0000`), which fromisoformat accepts on 3.11.
    try:
        return datetime.fromisoformat(candidate)
    except ValueError:
        return None


def _parse_formats(text: str, formats: tuple[str, ...]) -> datetime | None:
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def _check_range(
    moment: datetime,
    field: str,
    value: Any,
    now: datetime | None,
    earliest: datetime = EARLIEST,
) -> datetime:
    if now is None and earliest <= moment <= _latest_seen[0]:
        return moment  # within a bound taken from the clock a moment ago, so within today's
    latest = (now or datetime.now(UTC)) + _FUTURE_SLACK
    if now is None:
        _latest_seen[0] = latest
    if moment < earliest or moment > latest:
        raise SkippableRecordError(
            f"absurd timestamp {moment.isoformat()}; expected between {earliest.year} and now",
            field=field,
            value=value,
        )
    return moment
