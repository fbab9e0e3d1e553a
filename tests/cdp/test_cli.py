from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import inspect

from cdp import migrate
from cdp.cli import cli
from cdp.config import Settings
from cdp.db import create_db_engine


def run_cdp(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cdp", *args],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_db_upgrade_builds_schema_when_run(empty_db_url: str, tmp_path: Path) -> None:
    result = run_cdp("db", "upgrade", env={"CDP_DATABASE_URL": empty_db_url}, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert f"is at revision {migrate.head_revision()}" in result.stdout
    engine = create_db_engine(Settings(database_url=empty_db_url))
    assert "profiles" in inspect(engine).get_table_names()
    engine.dispose()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mysql://u@h/db", "CDP_DATABASE_URL='mysql://u@h/db': unsupported driver 'mysql'"),
        ("nonsense", "CDP_DATABASE_URL='nonsense': not a database URL"),
    ],
    ids=["driver", "garbage"],
)
def test_bad_database_url_is_one_clear_line_when_starting(
    url: str, expected: str, tmp_path: Path
) -> None:
    result = run_cdp("db", "upgrade", env={"CDP_DATABASE_URL": url}, cwd=tmp_path)

    assert result.returncode == 2
    assert result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"cdp: configuration error: {expected}; ")


def test_unreachable_database_is_one_line_when_upgrading(tmp_path: Path) -> None:
    url = "postgresql+psycopg://nobody:secret@127.0.0.1:1/none"
    result = run_cdp("db", "upgrade", env={"CDP_DATABASE_URL": url}, cwd=tmp_path)

    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("cdp: error: cannot reach the database at ")
    assert "secret" not in line
    assert "Traceback" not in result.stderr


def test_db_upgrade_defaults_to_cdp_db_when_url_unset(tmp_path: Path) -> None:
    result = run_cdp("db", "upgrade", env={}, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "cdp.db").exists()


def test_db_current_shows_revisions_when_asked(db_url: str) -> None:
    result = CliRunner().invoke(cli, ["db", "current"], env={"CDP_DATABASE_URL": db_url})

    assert result.exit_code == 0, result.output
    head = migrate.head_revision()
    assert f"current: {head}" in result.output
    assert f"head:    {head}" in result.output


def test_every_command_is_listed_and_resolves_to_itself() -> None:
    from cdp.cli import COMMANDS

    context = cli.make_context("cdp", ["--help"], resilient_parsing=True)
    names = cli.list_commands(context)

    assert names == sorted(COMMANDS)
    for name in names:
        command = cli.get_command(context, name)
        assert command is not None
        assert command.name == name


def test_a_command_imports_only_its_own_module(tmp_path: Path) -> None:
    probe = (
        "import sys\n"
        "from cdp.cli import main\n"
        "try:\n"
        "    main(['keys', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('scipy', 'jieba', 'uvicorn', 'strawberry', 'cdp.commands.demo')\n"
        "print(sorted(name for name in heavy if name in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stderr
    assert "revoke" in result.stdout  # the keys group's help
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_a_database_behind_the_code_says_to_upgrade_when_a_command_fails(
    db_url: str, tmp_path: Path
) -> None:
    engine = create_db_engine(Settings(database_url=db_url))
    migrate.downgrade(engine, "-1")  # the newest migration not applied, as after `git pull`
    current = migrate.current_revision(engine)
    engine.dispose()

    result = run_cdp("traits", "compute", "--full", env={"CDP_DATABASE_URL": db_url}, cwd=tmp_path)

    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()[-1:]
    assert line.startswith("cdp: database error: ")
    assert f"the database is at revision {current}, this version of cdp needs " in line
    assert line.endswith("run `cdp db upgrade`")
