from __future__ import annotations

import click

from cdp.commands._common import CliState, pass_state
from cdp.config import Settings


@click.command("serve")
@click.option("--host", default=None, help="Interface to bind (default: CDP_HOST or 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default: CDP_PORT or 8000).")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Server processes sharing the port; one per CPU core serves the most requests.",
)
@pass_state
def serve(state: CliState, host: str | None, port: int | None, workers: int) -> None:
    """Serve GraphQL at /graphql (GraphiQL in a browser) and /healthz."""
    run_server(
        state.settings.replace(host=host or state.settings.host, port=port or state.settings.port),
        workers=workers,
    )


def run_server(settings: Settings, *, workers: int = 1) -> None:
    import uvicorn

    from cdp.app import create_app
    from cdp.web.protocol import HttpToolsProtocol

    if settings.open_mode:
        click.echo("OPEN MODE: no API key is required; do not expose this server", err=True)
    click.echo(f"GraphQL and GraphiQL on http://{settings.host}:{settings.port}/graphql", err=True)
    click.echo(f"overview page on http://{settings.host}:{settings.port}/overview", err=True)
    if workers > 1:  # each worker builds its app from the same CDP_* environment
        from cdp.web.workers import run_workers

        run_workers(
            "cdp.app:create_app_from_environment",
            factory=True,
            workers=workers,
            host=settings.host,
            port=settings.port,
            http=HttpToolsProtocol,
            log_level=settings.log_level.lower(),
        )
        return
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        http=HttpToolsProtocol,
        log_level=settings.log_level.lower(),
    )
