"""Destinations declared as data: in `cdp.toml` beside the sources, or through GraphQL.

    [destinations.crm_hook]
    kind = "webhook"
    url = "https://hooks.example.com/cdp"
    secret_env = "CRM_HOOK_SECRET"          # the shared secret, read from this variable
    purpose = "email_marketing"             # consent a profile must have granted (omit: internal)
    events = ["Order Completed"]            # event names to forward ("*": every event)
    segments = ["vip"]                      # segments whose entries and exits to send ("*": all)
    traits = ["value_tier"]                 # trait changes to send
    rate_limit = 20                         # deliveries per second at most (default 50)
    max_attempts = 8                        # then the delivery is dead (default 8)

    [destinations.batch_drop]
    kind = "file"
    path = "exports/activation"             # a directory; one file per day
    format = "jsonl"                        # or "csv"

    [destinations.newsletter]
    kind = "mailchimp"
    list_id = "a1b2c3d4e5"
    api_key_env = "MAILCHIMP_API_KEY"       # "<key>-us6": the data centre follows the dash

Every problem is reported at once, each naming the destination, the setting and the value.
Secrets never reach the database: only the names of their variables do.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from cdp import models
from cdp.errors import ConfigError

__all__ = [
    "KINDS",
    "DestinationSpec",
    "load_destinations",
    "parse_destination",
    "sync_declared",
]

KINDS = ("webhook", "file", "mailchimp")
TOML = "cdp.toml"
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,99}$")
_COMMON = ("kind", "purpose", "events", "segments", "traits", "rate_limit", "max_attempts")
_REQUIRED = {
    "webhook": ("url", "secret_env"),
    "file": ("path",),
    "mailchimp": ("list_id", "api_key_env"),
}
_OPTIONAL = {"webhook": (), "file": ("format",), "mailchimp": ("base_url",)}


@dataclass(frozen=True)
class DestinationSpec:
    """A destination as declared (validated); `config` holds the kind's own settings."""

    name: str
    kind: str
    config: Mapping[str, Any]
    purpose: str | None = None
    events: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    traits: tuple[str, ...] = ()
    rate_limit: float = 50.0
    max_attempts: int = 8
    enabled: bool = True
    extra: Mapping[str, Any] = field(default_factory=dict)


def _names(where: str, key: str, value: Any, problems: list[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        problems.append(f"{where}: {key} = {value!r} is not a list of names")
        return ()
    return tuple(dict.fromkeys(value))


def parse_destination(
    name: str, table: Mapping[str, Any], environ: Mapping[str, str], *, base: Path | None = None
) -> DestinationSpec:
    """Validate one destination's settings; raise `ConfigError` listing every problem."""
    where = f"[destinations.{name}]"
    problems: list[str] = []
    if not _NAME.match(name):
        problems.append(f"{where}: the name must be letters, digits, '_' or '-', at most 100")
    kind = table.get("kind")
    if kind not in KINDS:
        raise ConfigError([f"{where}: kind = {kind!r}; expected one of {', '.join(KINDS)}"])
    known = set(_COMMON) | set(_REQUIRED[kind]) | set(_OPTIONAL[kind])
    problems += [f"{where}: unknown setting {key!r}" for key in table if key not in known]
    config: dict[str, Any] = {}
    for key in _REQUIRED[kind] + _OPTIONAL[kind]:
        value = table.get(key)
        if value is None:
            if key in _REQUIRED[kind]:
                problems.append(f"{where}: {key} is missing")
            continue
        if not isinstance(value, str) or not value:
            problems.append(f"{where}: {key} = {value!r} is not a non-empty string")
            continue
        config[key] = value
    _check_kind(where, kind, config, environ, problems, base)
    purpose = table.get("purpose")
    if purpose is not None and (not isinstance(purpose, str) or not purpose):
        problems.append(f"{where}: purpose = {purpose!r} is not a consent purpose name")
    rate = table.get("rate_limit", 50.0)
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not rate > 0:
        problems.append(f"{where}: rate_limit = {rate!r}; expected deliveries per second above 0")
        rate = 50.0
    attempts = table.get("max_attempts", 8)
    if isinstance(attempts, bool) or not isinstance(attempts, int) or not 1 <= attempts <= 50:
        problems.append(f"{where}: max_attempts = {attempts!r}; expected a whole number 1-50")
        attempts = 8
    spec = DestinationSpec(
        name=name,
        kind=kind,
        config=config,
        purpose=purpose,
        events=_names(where, "events", table.get("events"), problems),
        segments=_names(where, "segments", table.get("segments"), problems),
        traits=_names(where, "traits", table.get("traits"), problems),
        rate_limit=float(rate),
        max_attempts=attempts,
    )
    if problems:
        raise ConfigError(problems)
    return spec


def _check_kind(
    where: str,
    kind: str,
    config: dict[str, Any],
    environ: Mapping[str, str],
    problems: list[str],
    base: Path | None,
) -> None:
    for key in ("secret_env", "api_key_env"):
        variable = config.get(key)
        if variable is not None and not environ.get(variable):
            problems.append(f"{where}: {key} = {variable!r}, but that variable is not set")
    url = config.get("url") or config.get("base_url")
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            problems.append(f"{where}: {url!r} is not an http(s) URL")
    if kind == "file":
        if config.get("format", "jsonl") not in ("jsonl", "csv"):
            problems.append(f"{where}: format = {config['format']!r}; expected jsonl or csv")
        if base is not None and "path" in config and not Path(config["path"]).is_absolute():
            config["path"] = str(base / config["path"])
    if kind == "mailchimp" and "api_key_env" in config:
        key = environ.get(config["api_key_env"], "")
        if key and "base_url" not in config and not re.search(r"-[a-z]+\d+$", key):
            problems.append(
                f"{where}: the key in {config['api_key_env']} does not end in its data centre "
                "(e.g. '-us6'); copy the whole key from Mailchimp, or set base_url"
            )


def load_destinations(path: Path, environ: Mapping[str, str]) -> dict[str, DestinationSpec]:
    """The destinations `path` declares (an absent file declares none)."""
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{str(path)!r} does not parse as TOML: {exc}"]) from exc
    tables = data.get("destinations", {})
    if not isinstance(tables, dict):
        raise ConfigError([f"{str(path)!r}: [destinations] must be a table of destinations"])
    problems: list[str] = []
    found: dict[str, DestinationSpec] = {}
    for name, table in tables.items():
        if not isinstance(table, dict):
            problems.append(f"[destinations.{name}] must be a table")
            continue
        try:
            found[name] = parse_destination(name, table, environ, base=path.parent)
        except ConfigError as exc:
            problems += exc.problems
    if problems:
        raise ConfigError([f"{path}: {p}" for p in problems])
    return found


def apply_spec(row: models.Destination, spec: DestinationSpec) -> None:
    row.kind = spec.kind
    row.config = dict(spec.config)
    row.purpose = spec.purpose
    row.events = list(spec.events)
    row.segments = list(spec.segments)
    row.traits = list(spec.traits)
    row.rate_limit = spec.rate_limit
    row.max_attempts = spec.max_attempts


def sync_declared(session: Session, specs: Mapping[str, DestinationSpec]) -> list[str]:
    """Make the `cdp.toml` destinations in the database match `specs`: create, update, and
    disable those no longer declared (their history stays). Returns the names it changed."""
    rows = {row.name: row for row in session.scalars(select(models.Destination).with_for_update())}
    changed: list[str] = []
    for name, spec in specs.items():
        row = rows.get(name)
        if row is not None and row.declared_in != TOML:
            raise ConfigError(
                [
                    f"[destinations.{name}]: a destination of that name was created through "
                    "GraphQL; rename one of them"
                ]
            )
        if row is None:
            row = models.Destination(name=name, declared_in=TOML, enabled=True)
            session.add(row)
        before = _state(row)
        apply_spec(row, spec)
        row.enabled = True
        if _state(row) != before:
            changed.append(name)
    for name, row in rows.items():
        if row.declared_in == TOML and name not in specs and row.enabled:
            row.enabled = False
            changed.append(name)
    session.flush()
    return changed


def _state(row: models.Destination) -> tuple[Any, ...]:
    return (
        row.kind,
        row.config,
        row.purpose,
        row.events,
        row.segments,
        row.traits,
        row.rate_limit,
        row.max_attempts,
        row.enabled,
    )
