from __future__ import annotations

import click

from cdp import migrate
from cdp.commands._common import CliState, pass_state
from cdp.config import mask_url
from cdp.db import check_database


@click.group("db")
def db() -> None:
    """Create and migrate the database schema."""


@db.command("upgrade")
@click.argument("revision", default="head")
@pass_state
def upgrade(state: CliState, revision: str) -> None:
    """Apply migrations up to REVISION (default: the latest)."""
    check_database(state.engine)
    migrate.upgrade(state.engine, revision)
    current = migrate.current_revision(state.engine)
    click.echo(f"database {mask_url(state.settings.database_url)} is at revision {current}")


@db.command("current")
@pass_state
def current(state: CliState) -> None:
    """Show the database's revision and the latest one available."""
    check_database(state.engine)
    click.echo(f"current: {migrate.current_revision(state.engine)}")
    click.echo(f"head:    {migrate.head_revision()}")
