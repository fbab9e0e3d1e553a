"""The `cdp` command: a thin shell over the library. Each command parses its arguments, opens
one unit of work, calls a library function and prints a summary."""

from __future__ import annotations

import importlib
import sys

import click
from sqlalchemy.exc import SQLAlchemyError

from cdp.commands._common import CliState
from cdp.config import configure_logging, load_settings
from cdp.errors import CdpError, ConfigError
from ingest import IngestError

__all__ = ["cli", "main"]


# Each command's module is imported when that command runs (or when `--help` lists it): the
# modules of the others are not, so `cdp keys list` does not pay for scipy, jieba or uvicorn.
COMMANDS: dict[str, str] = {
    "audit": "cdp.commands.privacy:audit_command",
    "campaigns": "cdp.commands.campaigns:campaigns",
    "db": "cdp.commands.db:db",
    "deliveries": "cdp.commands.deliveries:deliveries",
    "demo": "cdp.commands.demo:demo",
    "feedback": "cdp.commands.feedback:feedback_group",
    "identity": "cdp.commands.identity:identity_group",
    "ingest": "cdp.commands.ingest:ingest",
    "keys": "cdp.commands.keys:keys",
    "privacy": "cdp.commands.privacy:privacy_group",
    "quarantine": "cdp.commands.quarantine:quarantine",
    "recommend": "cdp.commands.recommend:recommend_group",
    "retention": "cdp.commands.retention:retention_group",
    "schema": "cdp.commands.schema:schema",
    "segments": "cdp.commands.segments:segments_group",
    "serve": "cdp.commands.serve:serve",
    "sources": "cdp.commands.ingest:sources",
    "traits": "cdp.commands.traits:traits_group",
    "worker": "cdp.commands.worker:worker",
}


class LazyGroup(click.Group):
    """A group whose subcommands (`COMMANDS`) are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return super().get_command(ctx, cmd_name)
        module_name, attribute = COMMANDS[cmd_name].split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command) or command.name != cmd_name:
            raise RuntimeError(f"{COMMANDS[cmd_name]} is not the {cmd_name!r} command")
        return command


@click.group(cls=LazyGroup)
@click.version_option(package_name="cdp")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Customer data platform: ingest channels, resolve identities, serve GraphQL."""
    settings = load_settings()
    configure_logging(settings)
    state = CliState(settings)
    ctx.obj = state
    ctx.call_on_close(state.close)


def main(argv: list[str] | None = None) -> None:
    try:
        cli.main(args=argv, prog_name="cdp", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted!", err=True)
        sys.exit(1)
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(f"cdp: configuration error: {problem}", err=True)
        sys.exit(2)
    except CdpError as exc:
        click.echo(f"cdp: error: {exc}", err=True)
        sys.exit(1)
    except IngestError as exc:  # a bad mapping, adapter or source: not a CdpError
        click.echo(f"cdp: error: {exc}", err=True)
        sys.exit(1)
    except SQLAlchemyError as exc:
        click.echo(f"cdp: database error: {_database_problem(exc)}", err=True)
        sys.exit(1)


def _database_problem(exc: SQLAlchemyError) -> str:
    """The database's own first line, without SQL or parameters, and what to do about it."""
    cause = str(getattr(exc, "orig", None) or exc).strip()
    first = cause.splitlines()[0] if cause else type(exc).__name__
    missing = ("no such table", "no such column", "has no column", "does not exist")
    if not any(words in first for words in missing):
        return first
    behind = _revisions_behind()
    if behind:
        return f"{first}; {behind}: run `cdp db upgrade`"
    if "no such table" in first or "relation" in first:
        return f"{first}; the database is not migrated: run `cdp db upgrade`"
    return first


def _revisions_behind() -> str:
    """'the database is at revision X, this version of cdp needs Y' when it is behind, else ''
    (the error is then the code's or the data's, not a missing migration)."""
    try:
        from cdp import migrate
        from cdp.db import create_db_engine

        engine = create_db_engine(load_settings())
        try:
            current = migrate.current_revision(engine)
        finally:
            engine.dispose()
        head = migrate.head_revision()
    except Exception:  # noqa: BLE001 - the original error is what matters; this only adds
        return ""
    if current == head:
        return ""
    return f"the database is at revision {current}, this version of cdp needs {head}"
