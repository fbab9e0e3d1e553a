"""Settings, read from the environment once at start-up and validated as a whole.

Every problem is collected and reported together, each naming the variable, the value it had
and what would be valid, so one start-up attempt shows everything that needs fixing.

    >>> settings = load_settings({"CDP_PORT": "8080"})
    >>> settings.port
    8080
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from cdp.errors import ConfigError
from cdp.privacy._config import (
    DEFAULT_PURPOSES,
    DEV_PRIVACY_KEY,
    parse_privacy_key,
    parse_purposes,
    parse_retention,
)

__all__ = [
    "DEFAULT_SQLITE_FILE",
    "ENVIRONMENTS",
    "LOG_LEVELS",
    "Settings",
    "configure_logging",
    "load_settings",
    "mask_url",
]

DEFAULT_SQLITE_FILE = "cdp.db"
ENVIRONMENTS = ("dev", "test", "prod")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_SUPPORTED_DRIVERS = {
    "sqlite": "sqlite",
    "sqlite+pysqlite": "sqlite",
    "sqlite+aiosqlite": "sqlite",
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "postgresql+psycopg": "postgresql+psycopg",
    "postgresql+psycopg_async": "postgresql+psycopg",
}

T = TypeVar("T")


@dataclass(frozen=True)
class Settings:
    """Validated settings; build with `load_settings`, or directly in tests."""

    database_url: str = f"sqlite:///{DEFAULT_SQLITE_FILE}"
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    environment: str = "dev"
    open_mode: bool = False
    default_region: str = "US"
    sources_file: Path = field(default_factory=lambda: Path("cdp.toml"))
    # GraphQL limits (see schema/_limits.py); introspection and field suggestions are off in prod.
    graphql_max_page_size: int = 100
    graphql_default_page_size: int = 20
    graphql_max_depth: int = 12
    graphql_max_aliases: int = 30
    graphql_max_tokens: int = 5000
    graphql_max_cost: int = 50_000
    graphql_timeout_seconds: float = 10.0
    graphql_introspection: bool = True
    graphql_field_suggestions: bool = True
    # Bodies larger than this are refused with 413 before they are parsed (cdp/web/limits.py).
    graphql_max_body_bytes: int = 1_048_576
    # GraphiQL in a browser: on by default, off in prod unless CDP_GRAPHIQL=true.
    graphiql: bool = True
    # --- feedback: the topic taxonomy file (None: the built-in one; docs/feedback.md) ---
    feedback_topics_file: Path | None = None
    # --- privacy: consent purposes, the suppression key, retention (docs/privacy.md) ---
    consent_purposes: tuple[str, ...] = DEFAULT_PURPOSES
    privacy_key: str = DEV_PRIVACY_KEY
    retention: tuple[tuple[str, int], ...] = ()
    # --- value: rates, tiers, lifecycle, loyalty rules (None: built-in; docs/value.md) ---
    value_config_file: Path | None = None
    # --- activation: run the delivery worker inside `cdp serve` (None: on SQLite only) ---
    embedded_worker: bool | None = None

    @property
    def backend(self) -> str:
        """`sqlite` or `postgresql`."""
        return make_url(self.database_url).get_backend_name()

    @property
    def runs_embedded_worker(self) -> bool:
        """Whether `cdp serve` runs the activation worker in its processes (docs/activation.md)."""
        if self.embedded_worker is None:
            return self.backend == "sqlite"
        return self.embedded_worker

    @property
    def sync_url(self) -> URL:
        return make_url(self.database_url)

    @property
    def async_url(self) -> URL:
        url = make_url(self.database_url)
        if url.get_backend_name() == "sqlite":
            return url.set(drivername="sqlite+aiosqlite")
        return url

    def replace(self, **changes: object) -> Settings:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return (
            f"Settings(database_url={mask_url(self.database_url)!r}, host={self.host!r}, "
            f"port={self.port}, log_level={self.log_level!r}, environment={self.environment!r}, "
            f"open_mode={self.open_mode})"
        )


def mask_url(url: str) -> str:
    """The URL with any password hidden, safe for logs and error messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate `CDP_*` variables; raise one `ConfigError` listing every problem."""
    env = os.environ if environ is None else environ
    problems: list[str] = []

    def read(name: str, parse: Callable[[str], T], default: T) -> T:
        raw = env.get(name)
        if raw is None or raw == "":
            return default
        try:
            return parse(raw)
        except ValueError as exc:
            problems.append(f"{name}={raw!r}: {exc}")
            return default

    settings = Settings(
        database_url=read("CDP_DATABASE_URL", _parse_database_url, Settings.database_url),
        host=read("CDP_HOST", _parse_host, Settings.host),
        port=read("CDP_PORT", _parse_port, Settings.port),
        log_level=read("CDP_LOG_LEVEL", _parse_log_level, Settings.log_level),
        environment=read("CDP_ENV", _parse_environment, Settings.environment),
        open_mode=read("CDP_OPEN_MODE", _parse_bool, False),
        default_region=read("CDP_DEFAULT_REGION", _parse_region, Settings.default_region),
        sources_file=read("CDP_SOURCES_FILE", Path, Path("cdp.toml")),
        **_read_graphql_limits(env, read),
        feedback_topics_file=read("CDP_FEEDBACK_TOPICS", _parse_taxonomy_file, None),
        consent_purposes=read("CDP_CONSENT_PURPOSES", parse_purposes, DEFAULT_PURPOSES),
        privacy_key=read("CDP_PRIVACY_KEY", parse_privacy_key, DEV_PRIVACY_KEY),
        retention=read("CDP_RETENTION", parse_retention, ()),
        value_config_file=read("CDP_VALUE_CONFIG", _parse_value_config, None),
        embedded_worker=read("CDP_EMBEDDED_WORKER", _parse_bool, None),
    )
    if settings.environment == "prod" and settings.privacy_key == DEV_PRIVACY_KEY:
        problems.append(
            "CDP_PRIVACY_KEY is unset: the key of the erasure suppression list is required when "
            "CDP_ENV='prod'; set it to at least 32 random characters and keep it secret"
        )
    if settings.open_mode and settings.environment == "prod":
        problems.append(
            f"CDP_OPEN_MODE={env.get('CDP_OPEN_MODE')!r}: open mode (no API keys) is refused when "
            "CDP_ENV='prod'; unset CDP_OPEN_MODE or use CDP_ENV=dev"
        )
    if problems:
        raise ConfigError(problems)
    return settings


def _read_graphql_limits(
    env: Mapping[str, str], read: Callable[[str, Callable[[str], Any], Any], Any]
) -> dict[str, Any]:
    is_dev = env.get("CDP_ENV", "dev") != "prod"
    return {
        "graphql_max_page_size": read("CDP_GRAPHQL_MAX_PAGE_SIZE", _positive_int, 100),
        "graphql_default_page_size": read("CDP_GRAPHQL_DEFAULT_PAGE_SIZE", _positive_int, 20),
        "graphql_max_depth": read("CDP_GRAPHQL_MAX_DEPTH", _positive_int, 12),
        "graphql_max_aliases": read("CDP_GRAPHQL_MAX_ALIASES", _positive_int, 30),
        "graphql_max_tokens": read("CDP_GRAPHQL_MAX_TOKENS", _positive_int, 5000),
        "graphql_max_cost": read("CDP_GRAPHQL_MAX_COST", _positive_int, 50_000),
        "graphql_timeout_seconds": read("CDP_GRAPHQL_TIMEOUT", _positive_float, 10.0),
        "graphql_introspection": read("CDP_GRAPHQL_INTROSPECTION", _parse_bool, is_dev),
        "graphql_field_suggestions": read("CDP_GRAPHQL_FIELD_SUGGESTIONS", _parse_bool, is_dev),
        "graphql_max_body_bytes": read("CDP_GRAPHQL_MAX_BODY_BYTES", _positive_int, 1_048_576),
        "graphiql": read("CDP_GRAPHIQL", _parse_bool, is_dev),
    }


def _parse_taxonomy_file(raw: str) -> Path:
    from cdp.feedback.taxonomy import TaxonomyError, taxonomy_for

    path = Path(raw)
    try:
        taxonomy_for(path)
    except TaxonomyError as exc:
        raise ValueError(f"not a usable topic taxonomy: {exc}") from None
    return path


def _parse_value_config(raw: str) -> Path:
    from cdp.value.settings import load_value_settings

    path = Path(raw)
    try:
        load_value_settings(path)
    except ConfigError as exc:
        raise ValueError("; ".join(p.split(": ", 1)[-1] for p in exc.problems)) from None
    return path


def _positive_int(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ValueError("not an integer; expected a whole number above 0") from None
    if value < 1:
        raise ValueError("out of range; expected a whole number above 0")
    return value


def _positive_float(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError("not a number; expected seconds above 0, e.g. '10' or '2.5'") from None
    if not value > 0:
        raise ValueError("out of range; expected seconds above 0, e.g. '10' or '2.5'")
    return value


def _parse_database_url(raw: str) -> str:
    try:
        url = make_url(raw)
    except ArgumentError:
        raise ValueError(
            "not a database URL; expected e.g. 'sqlite:///cdp.db' or "
            "'postgresql+psycopg://user@host:5432/dbname'"
        ) from None
    driver = _SUPPORTED_DRIVERS.get(url.drivername)
    if driver is None:
        raise ValueError(
            f"unsupported driver {url.drivername!r}; use 'sqlite:///PATH' or "
            "'postgresql+psycopg://user@host:5432/dbname'"
        )
    if driver == "postgresql+psycopg" and not url.database:
        raise ValueError("the PostgreSQL URL names no database; add '/dbname' at the end")
    if driver == "sqlite":
        return url.set(drivername="sqlite").render_as_string(hide_password=False)
    return url.set(drivername=driver).render_as_string(hide_password=False)


def _parse_host(raw: str) -> str:
    if any(ch.isspace() for ch in raw) or "/" in raw:
        raise ValueError("not a host name or IP address; expected e.g. '127.0.0.1' or '0.0.0.0'")
    return raw


def _parse_port(raw: str) -> int:
    try:
        port = int(raw)
    except ValueError:
        raise ValueError("not an integer; expected a TCP port between 1 and 65535") from None
    if not 1 <= port <= 65535:
        raise ValueError("out of range; expected a TCP port between 1 and 65535")
    return port


def _parse_log_level(raw: str) -> str:
    level = raw.upper()
    if level not in LOG_LEVELS:
        raise ValueError(f"unknown log level; expected one of {', '.join(LOG_LEVELS)}")
    return level


def _parse_environment(raw: str) -> str:
    if raw not in ENVIRONMENTS:
        raise ValueError(f"unknown environment; expected one of {', '.join(ENVIRONMENTS)}")
    return raw


def _parse_bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError("not a boolean; expected one of true/false, 1/0, yes/no, on/off")


def _parse_region(raw: str) -> str:
    import phonenumbers

    region = raw.upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError("not a phone region; expected a two-letter ISO 3166 code such as 'US'")
    return region


#: loggers kept at WARNING whatever the level: SQLAlchemy's engine logs result rows and aiosqlite
#: statements with their parameters at DEBUG: personal data (docs/privacy.md, "Logs")
QUIET_LOGGERS = ("sqlalchemy", "aiosqlite")
# A line per HTTP request the platform makes (webhook deliveries, the demo's pushes): shown
# at DEBUG only.
CHATTY_LOGGERS = ("httpx",)


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger().setLevel(settings.log_level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in CHATTY_LOGGERS:
        level = logging.NOTSET if settings.log_level.upper() == "DEBUG" else logging.WARNING
        logging.getLogger(name).setLevel(level)
