from __future__ import annotations

from pathlib import Path

import pytest

from cdp.config import Settings, load_settings
from cdp.errors import ConfigError


def test_defaults_when_environment_is_empty() -> None:
    settings = load_settings({})

    assert settings == Settings()
    assert settings.database_url == "sqlite:///cdp.db"
    assert settings.backend == "sqlite"
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("sqlite:///x.db", "sqlite:///x.db"),
        ("sqlite+aiosqlite:///x.db", "sqlite:///x.db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgres://u:pw@h:5433/db", "postgresql+psycopg://u:pw@h:5433/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ],
    ids=["sqlite", "aiosqlite", "postgresql", "postgres-alias", "psycopg"],
)
def test_database_url_is_normalised_when_valid(raw: str, expected: str) -> None:
    assert load_settings({"CDP_DATABASE_URL": raw}).database_url == expected


def test_async_url_uses_async_drivers_when_derived() -> None:
    sqlite = Settings(database_url="sqlite:///x.db")
    postgres = Settings(database_url="postgresql+psycopg://u@h/db")

    assert sqlite.async_url.drivername == "sqlite+aiosqlite"
    assert postgres.async_url.drivername == "postgresql+psycopg"


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("CDP_DATABASE_URL", "not a url", "not a database URL"),
        ("CDP_DATABASE_URL", "mysql://u@h/db", "unsupported driver 'mysql'"),
        ("CDP_DATABASE_URL", "postgresql://u@h", "names no database"),
        ("CDP_PORT", "eighty", "not an integer"),
        ("CDP_PORT", "70000", "between 1 and 65535"),
        ("CDP_LOG_LEVEL", "chatty", "expected one of DEBUG"),
        ("CDP_ENV", "staging", "expected one of dev, test, prod"),
        ("CDP_OPEN_MODE", "maybe", "not a boolean"),
        ("CDP_DEFAULT_REGION", "XX", "two-letter ISO 3166"),
        ("CDP_HOST", "local host", "not a host name"),
    ],
    ids=[
        "url-garbage",
        "url-driver",
        "url-no-db",
        "port-text",
        "port-range",
        "log-level",
        "env",
        "open-mode",
        "region",
        "host",
    ],
)
def test_bad_value_is_named_with_variable_and_value(name: str, value: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({name: value})

    (problem,) = caught.value.problems
    assert problem.startswith(f"{name}={value!r}: ")
    assert fragment in problem


def test_every_problem_is_reported_when_several_values_are_bad() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"CDP_PORT": "0", "CDP_LOG_LEVEL": "loud", "CDP_DATABASE_URL": "x://"})

    assert [p.split("=")[0] for p in caught.value.problems] == [
        "CDP_DATABASE_URL",
        "CDP_PORT",
        "CDP_LOG_LEVEL",
    ]


def test_open_mode_is_refused_when_environment_is_prod() -> None:
    with pytest.raises(ConfigError, match="open mode"):
        load_settings({"CDP_OPEN_MODE": "true", "CDP_ENV": "prod"})


def test_password_is_masked_when_settings_are_printed() -> None:
    settings = load_settings({"CDP_DATABASE_URL": "postgresql://u:hunter2@h/db"})

    assert "hunter2" not in repr(settings)


def test_sources_file_is_read_when_set() -> None:
    assert load_settings({"CDP_SOURCES_FILE": "conf/s.toml"}).sources_file == Path("conf/s.toml")
