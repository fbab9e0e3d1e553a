"""The checks `parse_mapping` makes beyond each field's own (`ingest.transforms`): known
settings, targets and facts a kind needs, values of enumerated targets, `required` targets,
the phone region. Each appends a problem line; the mapping reports them all at once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cdp.feedback.kinds import FEEDBACK_KINDS
from cdp.normalize import is_phone_region
from ingest.transforms import FieldSpec, parse_field

__all__ = [
    "check_facts",
    "check_values",
    "hint",
    "parse_fields",
    "phone_region",
    "required_targets",
    "settings_table",
    "unknown_settings",
]


_SETTINGS = frozenset(
    ("name", "channel", "kind", "format", "key", "timestamp", "fields", "defaults",
     "constants", "phone_region", "required")
)  # fmt: skip
_SETTING_LIST = ", ".join(sorted(_SETTINGS))
#: targets whose value is one of a fixed set (checked when a mapping sets them outright)
_ENUMERATED: dict[str, tuple[str, ...]] = {
    "feedback.kind": FEEDBACK_KINDS,
    "consent.status": ("granted", "revoked"),
}


def check_values(tables: Mapping[str, Mapping[str, str]], problems: list[str]) -> None:
    for name, table in tables.items():
        for target, value in table.items():
            allowed = _ENUMERATED.get(target)
            if allowed is not None and value not in allowed:
                problems.append(
                    f"[{name}] {target!r} = {value!r}: expected one of {', '.join(allowed)}"
                )


def required_targets(
    data: Mapping[str, Any], named: Mapping[str, Mapping[str, Any]], problems: list[str]
) -> tuple[str, ...]:
    value = data.get("required", [])
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        problems.append(
            f"required = {value!r}: expected a list of targets, e.g. ['identifiers.email']"
        )
        return ()
    for target in value:
        if target not in named["fields"]:
            problems.append(f"required {target!r}: not a target of [fields]")
    return tuple(value)


def parse_fields(data: Mapping[str, Any], problems: list[str]) -> dict[str, FieldSpec]:
    table = data.get("fields") or {}
    if not isinstance(table, Mapping):
        problems.append("[fields] must be a table of target = column")
        return {}
    out = {}
    for target, spec in table.items():
        parsed = parse_field(str(target), spec, problems)
        if parsed is not None:
            out[str(target)] = parsed
    return out


def phone_region(data: Mapping[str, Any], problems: list[str]) -> str | None:
    region = data.get("phone_region")
    if region is None:
        return None
    if not isinstance(region, str) or not is_phone_region(region.upper()):
        problems.append(
            f"phone_region = {region!r}: expected a region code such as 'US', 'AU' or 'CN'"
        )
        return None
    return region.upper()


def hint(target: str, targets: frozenset[str]) -> str:
    prefix = target.split(".")[0]
    close = sorted(t for t in targets if t.startswith(prefix + "."))
    return ", ".join(close or sorted({t.split(".")[0] + ".*" for t in targets}))


def settings_table(data: Mapping[str, Any], name: str, problems: list[str]) -> dict[str, str]:
    table = data.get(name) or {}
    if not isinstance(table, Mapping):
        problems.append(f"[{name}] must be a table of target = value")
        return {}
    return {str(k): str(v) for k, v in table.items()}


def check_facts(kind: str, tables: Mapping[str, Mapping[str, Any]], problems: list[str]) -> None:
    given = {t for table in tables.values() for t in table}
    needed = {
        "order": ("order.total", "order.currency"),
        "event": ("event.type",),
        "consent": ("consent.purpose", "consent.status"),
        "feedback": ("feedback.kind",),
        "interaction": ("interaction.type",),
    }.get(kind, ())
    for target in needed:
        if target not in given:
            problems.append(
                f"kind = {kind!r} needs {target!r} in [fields], [defaults] or [constants]"
            )


def unknown_settings(data: Mapping[str, Any], problems: list[str]) -> None:
    unknown = sorted(set(data) - _SETTINGS)
    if unknown:
        problems.append(
            f"unknown setting {', '.join(map(repr, unknown))}; expected {_SETTING_LIST}"
        )
