"""The backend matrix: every database test runs on SQLite and on PostgreSQL.

Each test gets its own database. SQLite tests copy a migrated template file; PostgreSQL tests
`CREATE DATABASE ... TEMPLATE` from a database migrated once per run, on the server named by
`CDP_TEST_POSTGRES_URL`. Without that variable the PostgreSQL leg is skipped with a reason,
except under CI (`CI` set), where a skipped PostgreSQL test is a failure.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, sessionmaker

from cdp import migrate
from cdp.config import Settings
from cdp.db import (
    create_async_db_engine,
    create_db_engine,
    make_async_sessionmaker,
    make_sessionmaker,
)

POSTGRES_ENV = "CDP_TEST_POSTGRES_URL"
BACKENDS = [
    pytest.param("sqlite", marks=pytest.mark.sqlite, id="sqlite"),
    pytest.param("postgresql", marks=pytest.mark.postgresql, id="postgresql"),
]
_RUN_ID = uuid.uuid4().hex[:8]
_backend_outcomes: Counter[tuple[str, str]] = Counter()


def postgres_admin_url() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


def require_postgres() -> str:
    url = postgres_admin_url()
    if url is None:
        message = f"PostgreSQL leg skipped: set {POSTGRES_ENV} to a server URL to run it"
        if os.environ.get("CI"):
            pytest.fail(f"{message} (CI is set, so a skipped PostgreSQL test is a failure)")
        pytest.skip(message)
    return url


class PostgresDatabases:
    """Creates one database per test from a template migrated once per run."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = make_url(admin_url).set(drivername="postgresql+psycopg")
        self.admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        self.template = f"cdp_tpl_{_RUN_ID}"
        self.created: list[str] = []
        self._execute(f'CREATE DATABASE "{self.template}"')
        self.created.append(self.template)
        engine = create_engine(self.url_for(self.template))
        try:
            migrate.upgrade(engine)
        finally:
            engine.dispose()

    def url_for(self, name: str) -> str:
        return self.admin_url.set(database=name).render_as_string(hide_password=False)

    def create(self) -> str:
        name = f"cdp_t_{_RUN_ID}_{uuid.uuid4().hex[:10]}"
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        self.created.append(name)
        return name

    def drop(self, name: str) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.created.remove(name)

    def close(self) -> None:
        for name in reversed(list(self.created)):
            self.drop(name)
        self.admin.dispose()

    def _execute(self, sql: str) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(sql))


@pytest.fixture(scope="session")
def _postgres_databases() -> Iterator[PostgresDatabases]:
    databases = PostgresDatabases(require_postgres())
    yield databases
    databases.close()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = create_db_engine(Settings(database_url=f"sqlite:///{path}"))
    try:
        migrate.upgrade(engine)
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()
    return path


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The backend name of the current leg: `sqlite` or `postgresql`."""
    return str(request.param)


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated, empty database of this test's own, on the current backend."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("_sqlite_template")
        path = tmp_path / "cdp.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    databases: PostgresDatabases = request.getfixturevalue("_postgres_databases")
    name = databases.create()
    yield databases.url_for(name)
    databases.drop(name)


@pytest.fixture
def empty_db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database with no schema at all, for migration tests."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    databases: PostgresDatabases = request.getfixturevalue("_postgres_databases")
    name = f"cdp_e_{_RUN_ID}_{uuid.uuid4().hex[:10]}"
    databases._execute(f'CREATE DATABASE "{name}"')
    databases.created.append(name)
    yield databases.url_for(name)
    databases.drop(name)


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=db_url, environment="test", sources_file=tmp_path / "cdp.toml")


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = create_db_engine(settings)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(engine)


@pytest.fixture
async def async_engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_async_db_engine(settings)
    yield engine
    await engine.dispose()


@pytest.fixture
def async_session_factory(async_engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_async_sessionmaker(async_engine)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call" and not (report.when == "setup" and report.outcome != "passed"):
        return
    for name in ("sqlite", "postgresql"):
        if name in report.keywords:
            _backend_outcomes[(name, report.outcome)] += 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _backend_outcomes:
        return
    terminalreporter.section("database backends")
    for name in ("sqlite", "postgresql"):
        counts = ", ".join(
            f"{_backend_outcomes[(name, outcome)]} {outcome}"
            for outcome in ("passed", "failed", "skipped")
        )
        terminalreporter.write_line(f"{name}: {counts}")
