"""Automated marketing flows declared as data, in cdp.toml (or a file it names) or GraphQL:

    [flows.welcome]
    trigger = { event = "Signed Up" }          # or { segment = "vip" }: entering it, or
                                               # { trait = "loyalty_points", above = 500 }
    goal = "Order Completed"                   # conversion, measured against the holdout
    goal_days = 14                             # within this many days of entering (default 7)
    holdout = 0.1                              # this share of entrants receives nothing
    reenter = false                            # a profile enters once (default)
    exit = "Unsubscribed"                      # leave as soon as this event happens
    steps = [
      { send = "mail_hook", message = "welcome" },
      { wait = "1 day" },
      { send = "mail_hook", message = "recommendations", include = ["recommendations"] },
    ]

    [flows.browse_abandonment]
    trigger = { event = "Product Viewed" }
    reenter = true
    steps = [
      { wait = "4 hours" },
      { unless_event = "Order Completed" },    # did it since the trigger: exit (converted)
      { send = "mail_hook", message = "browse_abandonment", include = ["trigger", "traits"] },
    ]

    [flows.first_order_bonus]
    trigger = { event = "Order Completed" }
    steps = [
      { add_points = 100, reason = "first order bonus" },   # once per profile and step
      { set_trait = "first_order_bonus", value = true },
    ]

    [activation]
    max_messages_per_day = 2                   # across flows, per profile (frequency cap)
    flows_file = "flows.toml"                  # more [flows.*] tables in another file

Steps: `send` (to a destination, with a `message` name, and `include` of `trigger`,
`traits` and `recommendations` (4 products, `cdp.recommend`, personalised only with the
profile's consent); the profile itself is in every delivery), `wait` ("30 minutes", "4 hours",
"2 days"), `unless_event` (exit when the profile did this event since entering),
`in_segment` (exit unless the profile is in the segment), `add_points` (whole loyalty points
above 0, with an optional `reason`: a fact of the loyalty ledger, awarded once per profile and
step, `cdp.activation.actions`), `set_trait` (a name of lower-case letters, digits and `_`,
and a `value`: text, a number or true/false).
Every problem is reported at once with the flow and step it is in.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from cdp.errors import ConfigError

__all__ = ["ActivationSettings", "FlowSpec", "load_flows", "parse_duration", "parse_flow"]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(second|minute|hour|day|week)s?\s*$")
_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800}
_INCLUDES = ("trigger", "traits", "recommendations")
_KEYS = ("trigger", "steps", "goal", "goal_days", "holdout", "reenter", "exit")
_TRAIT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_STEP_KEYS = {
    "send": {"send", "message", "include"},
    "wait": {"wait"},
    "unless_event": {"unless_event"},
    "in_segment": {"in_segment"},
    "add_points": {"add_points", "reason"},
    "set_trait": {"set_trait", "value"},
}


def parse_duration(raw: str) -> timedelta:
    match = _DURATION.match(raw.lower()) if isinstance(raw, str) else None
    if match is None:
        raise ValueError(f"{raw!r} is not a duration; write e.g. '30 minutes', '4 hours', '2 days'")
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])


@dataclass(frozen=True)
class FlowSpec:
    name: str
    definition: Mapping[str, Any]

    @property
    def trigger_event(self) -> str | None:
        return self.definition["trigger"].get("event")  # type: ignore[no-any-return]

    @property
    def trigger_segment(self) -> str | None:
        return self.definition["trigger"].get("segment")  # type: ignore[no-any-return]


@dataclass(frozen=True)
class ActivationSettings:
    max_messages_per_day: int | None = None


def _step(where: str, step: Any, problems: list[str]) -> None:
    if not isinstance(step, dict) or not step:
        problems.append(f'{where}: a step is a table, e.g. {{ wait = "1 hour" }}')
        return
    kind = next(iter(step))
    extra = sorted(set(step) - _STEP_KEYS.get(kind, set(step)))
    if extra:
        problems.append(f"{where}: unknown setting {', '.join(map(repr, extra))} of a {kind} step")
    if kind == "send":
        if not isinstance(step.get("send"), str) or not isinstance(step.get("message"), str):
            problems.append(f"{where}: send needs a destination name and a message name")
        bad = [i for i in step.get("include", []) if i not in _INCLUDES]
        if bad or not isinstance(step.get("include", []), list):
            problems.append(f"{where}: include {bad!r}; expected some of {', '.join(_INCLUDES)}")
    elif kind == "wait":
        try:
            parse_duration(step["wait"])
        except ValueError as exc:
            problems.append(f"{where}: wait {exc}")
    elif kind in ("unless_event", "in_segment"):
        if not isinstance(step[kind], str) or not step[kind]:
            problems.append(f"{where}: {kind} needs a name")
    elif kind in ("add_points", "set_trait"):
        _action(where, kind, step, problems)
    else:
        problems.append(f"{where}: unknown step {kind!r}; expected one of {', '.join(_STEP_KEYS)}")


def _action(where: str, kind: str, step: dict[str, Any], problems: list[str]) -> None:
    if kind == "add_points":
        points = step["add_points"]
        if isinstance(points, bool) or not isinstance(points, int) or points < 1:
            problems.append(f"{where}: add_points = {points!r}; expected whole points above 0")
        reason = step.get("reason", "points")
        if not isinstance(reason, str) or not reason or len(reason) > 200:
            problems.append(f"{where}: reason = {reason!r}; expected text of 1 to 200 characters")
        return
    name = step["set_trait"]
    if not isinstance(name, str) or not _TRAIT_NAME.match(name):
        problems.append(
            f"{where}: set_trait = {name!r}; expected a name of lower-case letters, digits "
            "and _ (e.g. welcome_sent)"
        )
    if "value" not in step:
        problems.append(f"{where}: set_trait needs a value")
    elif not isinstance(step["value"], str | int | float | bool):
        problems.append(
            f"{where}: value = {step['value']!r}; expected text, a number or true/false"
        )


def _valid_trigger(trigger: Any) -> bool:
    if not isinstance(trigger, dict):
        return False
    if set(trigger) == {"trait", "above"}:
        above = trigger["above"]
        return (
            isinstance(trigger["trait"], str)
            and isinstance(above, int | float)
            and not isinstance(above, bool)
        )
    return len(trigger) == 1 and next(iter(trigger)) in ("event", "segment")


def parse_flow(name: str, table: Mapping[str, Any]) -> FlowSpec:
    """Validate a flow; raise `ConfigError` listing every problem."""
    where = f"[flows.{name}]"
    problems = [f"{where}: unknown setting {key!r}" for key in table if key not in _KEYS]
    trigger = table.get("trigger")
    if not _valid_trigger(trigger):
        problems.append(
            f'{where}: trigger must be {{ event = "NAME" }}, {{ segment = "NAME" }} or '
            '{ trait = "NAME", above = NUMBER }'
        )
    steps = table.get("steps")
    if not isinstance(steps, list) or not steps:
        problems.append(f"{where}: steps must be a non-empty list")
        steps = []
    for index, step in enumerate(steps):
        _step(f"{where} steps[{index}]", step, problems)
    holdout = table.get("holdout", 0.0)
    if isinstance(holdout, bool) or not isinstance(holdout, int | float) or not 0 <= holdout < 1:
        problems.append(f"{where}: holdout = {holdout!r}; expected a share from 0 to below 1")
    goal_days = table.get("goal_days", 7)
    if isinstance(goal_days, bool) or not isinstance(goal_days, int) or goal_days < 1:
        problems.append(f"{where}: goal_days = {goal_days!r}; expected whole days above 0")
    for key in ("goal", "exit"):
        if key in table and not (isinstance(table[key], str) and table[key]):
            problems.append(f"{where}: {key} = {table[key]!r} is not an event name")
    if not isinstance(table.get("reenter", False), bool):
        problems.append(f"{where}: reenter must be true or false")
    if problems:
        raise ConfigError(problems)
    definition = {
        "trigger": dict(trigger),  # type: ignore[arg-type]
        "steps": [dict(s) for s in steps],
        "goal": table.get("goal"),
        "goal_days": goal_days,
        "holdout": float(holdout),
        "reenter": bool(table.get("reenter", False)),
        "exit": table.get("exit"),
    }
    return FlowSpec(name, definition)


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{str(path)!r} does not parse as TOML: {exc}"]) from exc


def load_flows(path: Path) -> tuple[dict[str, FlowSpec], ActivationSettings]:
    """The flows `path` declares (and the file its `[activation] flows_file` names)."""
    if not path.is_file():
        return {}, ActivationSettings()
    data = _read(path)
    section = data.get("activation", {})
    problems: list[str] = []
    cap = section.get("max_messages_per_day")
    if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int) or cap < 1):
        problems.append(f"[activation] max_messages_per_day = {cap!r}; expected a whole number")
        cap = None
    tables = dict(data.get("flows", {}))
    if "flows_file" in section:
        other = path.parent / str(section["flows_file"])
        if not other.is_file():
            problems.append(f"[activation] flows_file = {str(other)!r} does not exist")
        else:
            tables.update(_read(other).get("flows", {}))
    flows: dict[str, FlowSpec] = {}
    for name, table in tables.items():
        try:
            flows[name] = parse_flow(name, table if isinstance(table, dict) else {})
        except ConfigError as exc:
            problems += exc.problems
    if problems:
        raise ConfigError([f"{path}: {p}" for p in problems])
    return flows, ActivationSettings(max_messages_per_day=cap)
