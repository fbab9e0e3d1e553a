"""What the value traits are computed with: base currency and rates, the value-tier rule,
lifecycle thresholds, the lifetime-value horizon and the loyalty rules.

Built-in defaults suit the demo; a TOML file (`CDP_VALUE_CONFIG`, docs/value.md) overrides any
of them. Loading validates everything and reports every problem at once.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from cdp.errors import ConfigError

__all__ = [
    "LifecycleRule",
    "LoyaltyRules",
    "TierRule",
    "ValueSettings",
    "cached_value_settings",
    "currency_exponent",
    "load_value_settings",
]

#: currencies whose minor unit is the major one (as ingest stores them: ingest/fields.py)
ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "HUF", "TWD", "UGX"})


def currency_exponent(code: str) -> int:
    return 0 if code.upper() in ZERO_DECIMAL_CURRENCIES else 2


@dataclass(frozen=True)
class TierRule:
    """Value tier from the RFM scores: `high` when R+F+M reaches `high_min_score`, `medium`
    from `medium_min_score`, else `low` (profiles without orders have no tier)."""

    high_min_score: int = 12
    medium_min_score: int = 8


@dataclass(frozen=True)
class LifecycleRule:
    """Lifecycle stage of a customer who has ordered (no order: `prospect`).

    `new`: first order within `new_days` and only one order; otherwise by days since the last
    order: `active` up to `active_days`, `at_risk` up to `lapsed_days`, then `lapsed`. A model
    P(alive) below `lapsed_probability` makes a customer `lapsed` and below
    `at_risk_probability` `at_risk`, whatever the days say.
    """

    new_days: int = 30
    active_days: int = 90
    lapsed_days: int = 365
    at_risk_probability: float = 0.5
    lapsed_probability: float = 0.2


@dataclass(frozen=True)
class LoyaltyRules:
    """Points per unit of base currency spent (net of refunds), bonuses, expiry and tiers
    (`tiers`: name -> points balance that reaches it)."""

    points_per_unit: float = 1.0
    signup_bonus: int = 100
    review_bonus: int = 50
    expiry_days: int = 730
    tiers: dict[str, int] = field(
        default_factory=lambda: {"bronze": 0, "silver": 500, "gold": 2000, "platinum": 5000}
    )


@dataclass(frozen=True)
class ValueSettings:
    base_currency: str = "USD"
    #: units of base currency per unit of each currency (the base itself is 1)
    rates: dict[str, float] = field(
        default_factory=lambda: {"USD": 1.0, "EUR": 1.08, "GBP": 1.27, "CAD": 0.73, "JPY": 0.0067}
    )
    horizon_days: int = 365
    #: fewer repeat customers than this and BG/NBD is not fitted (the fallback is used)
    min_repeat_customers: int = 20
    tier: TierRule = field(default_factory=TierRule)
    lifecycle: LifecycleRule = field(default_factory=LifecycleRule)
    loyalty: LoyaltyRules = field(default_factory=LoyaltyRules)

    def rate(self, currency: str) -> float | None:
        if currency.upper() == self.base_currency:
            return 1.0
        return self.rates.get(currency.upper())


def _merge(default: Any, data: dict[str, Any], where: str, problems: list[str]) -> Any:
    known = {f.name: f for f in fields(default)}
    changes: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            problems.append(f"{where}{key}: unknown setting; expected one of {', '.join(known)}")
            continue
        current = getattr(default, key)
        if hasattr(current, "__dataclass_fields__"):
            if not isinstance(value, dict):
                problems.append(f"{where}{key}: expected a table, got {value!r}")
                continue
            changes[key] = _merge(current, value, f"{where}{key}.", problems)
        elif isinstance(current, dict):
            if not isinstance(value, dict) or not all(
                isinstance(v, int | float) and not isinstance(v, bool) and v >= 0
                for v in value.values()
            ):
                problems.append(f"{where}{key}: expected a table of numbers >= 0, got {value!r}")
                continue
            changes[key] = {
                str(k).upper() if key == "rates" else str(k): v for k, v in value.items()
            }
        elif isinstance(current, str):
            if not isinstance(value, str) or len(value) != 3 or not value.isalpha():
                problems.append(f"{where}{key}: expected an ISO 4217 code, got {value!r}")
                continue
            changes[key] = value.upper()
        elif isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            problems.append(f"{where}{key}: expected a number >= 0, got {value!r}")
        else:
            changes[key] = type(current)(value)
    return replace(default, **changes)


def load_value_settings(path: Path | None) -> ValueSettings:
    """The built-in settings, overridden by the TOML file at `path` when given."""
    if path is None:
        return ValueSettings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError([f"CDP_VALUE_CONFIG={path}: {exc}"]) from exc
    problems: list[str] = []
    settings: ValueSettings = _merge(ValueSettings(), data, "", problems)
    lc = settings.lifecycle
    if not lc.new_days <= lc.active_days <= lc.lapsed_days:
        problems.append(
            f"lifecycle: expected new_days <= active_days <= lapsed_days, got "
            f"{lc.new_days}, {lc.active_days}, {lc.lapsed_days}"
        )
    if settings.tier.medium_min_score > settings.tier.high_min_score:
        problems.append("tier: medium_min_score is above high_min_score")
    if problems:
        raise ConfigError([f"CDP_VALUE_CONFIG={path}: {p}" for p in problems])
    return settings


@functools.cache
def cached_value_settings(path: Path | None) -> ValueSettings:
    """`load_value_settings`, read once per process and path (validated at start-up)."""
    return load_value_settings(path)
