"""`cdp demo`: the main job, end to end on whatever database is configured (SQLite by default).

Steps run in order; each later feature adds its step here (generate the demo world, ingest it
through every built-in adapter, resolve identities) before the server starts.
"""

from __future__ import annotations

import click

from cdp import migrate
from cdp.commands._common import CliState, pass_state
from cdp.commands.serve import run_server
from cdp.config import mask_url
from cdp.db import check_database


@click.command("demo")
@click.option("--host", default=None, help="Interface to bind (default: 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default: CDP_PORT or 8000).")
@click.option("--no-serve", is_flag=True, help="Build the demo world, then exit.")
@pass_state
def demo(state: CliState, host: str | None, port: int | None, no_serve: bool) -> None:
    """Build the demo world and serve it (GraphQL + GraphiQL, open mode, local only)."""
    settings = state.settings
    click.echo(f"[1/2] database {mask_url(settings.database_url)}: applying migrations", err=True)
    check_database(state.engine)
    migrate.upgrade(state.engine)
    click.echo(f"      at revision {migrate.current_revision(state.engine)}", err=True)
    if no_serve:
        return
    click.echo("[2/2] serving in open mode (no API keys; for local demos only)", err=True)
    state.close()
    run_server(
        settings.replace(host=host or "127.0.0.1", port=port or settings.port, open_mode=True)
    )
