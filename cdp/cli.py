"""The `cdp` command: a thin shell over the library. Each command parses its arguments, opens
one unit of work, calls a library function and prints a summary."""

from __future__ import annotations

import sys

import click
from sqlalchemy.exc import SQLAlchemyError

from cdp.commands._common import CliState
from cdp.commands.campaigns import campaigns
from cdp.commands.db import db
from cdp.commands.deliveries import deliveries
from cdp.commands.demo import demo
from cdp.commands.feedback import feedback_group
from cdp.commands.identity import identity_group
from cdp.commands.ingest import ingest, sources
from cdp.commands.keys import keys
from cdp.commands.privacy import audit_command, privacy_group
from cdp.commands.quarantine import quarantine
from cdp.commands.recommend import recommend_group
from cdp.commands.retention import retention_group
from cdp.commands.schema import schema
from cdp.commands.segments import segments_group
from cdp.commands.serve import serve
from cdp.commands.traits import traits_group
from cdp.commands.worker import worker
from cdp.config import configure_logging, load_settings
from cdp.errors import CdpError, ConfigError
from ingest import IngestError

__all__ = ["cli", "main"]


@click.group()
@click.version_option(package_name="cdp")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Customer data platform: ingest channels, resolve identities, serve GraphQL."""
    settings = load_settings()
    configure_logging(settings)
    state = CliState(settings)
    ctx.obj = state
    ctx.call_on_close(state.close)


cli.add_command(campaigns)
cli.add_command(db)
cli.add_command(demo)
cli.add_command(feedback_group)
cli.add_command(ingest)
cli.add_command(keys)
cli.add_command(quarantine)
cli.add_command(recommend_group)
cli.add_command(identity_group)
cli.add_command(keys)
cli.add_command(schema)
cli.add_command(segments_group)
cli.add_command(serve)
cli.add_command(sources)
cli.add_command(privacy_group)
cli.add_command(audit_command)
cli.add_command(retention_group)
cli.add_command(traits_group)
cli.add_command(deliveries)
cli.add_command(worker)


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
    if "no such table" in first or ("relation" in first and "does not exist" in first):
        return f"{first}; the database is not migrated: run `cdp db upgrade`"
    return first
