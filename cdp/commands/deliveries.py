"""`cdp deliveries`: destination health, the delivery log, and replaying dead letters."""

from __future__ import annotations

import json

import click

from cdp import activation
from cdp.commands._common import CliState, pass_state
from cdp.db import unit_of_work


@click.group("deliveries", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def deliveries(ctx: click.Context, as_json: bool) -> None:
    """Health per destination (delivered, dead, pending, lag) when run alone."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(health_command, as_json=as_json)


@deliveries.command("health")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_state
def health_command(state: CliState, as_json: bool) -> None:
    """Delivered, dead, pending (retrying), skipped and lag per destination."""
    with unit_of_work(state.sessionmaker) as session:
        rows = activation.health(session)
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        **r.__dict__,
                        "last_delivered_at": r.last_delivered_at
                        and r.last_delivered_at.isoformat(),
                    }
                    for r in rows
                ],
                indent=2,
            )
        )
        return
    if not rows:
        click.echo("no destinations (declare them in cdp.toml, or create them in GraphQL)")
        return
    click.echo(
        f"{'destination':<20} {'kind':<10} {'delivered':>9} {'dead':>6} {'pending':>8} "
        f"{'retrying':>8} {'skipped':>8} {'lag':>8}  last error"
    )
    for r in rows:
        name = r.name if r.enabled else f"{r.name} (off)"
        click.echo(
            f"{name:<20} {r.kind:<10} {r.delivered:>9} {r.dead:>6} {r.pending:>8} "
            f"{r.retrying:>8} {r.skipped:>8} {r.lag_seconds:>7.1f}s  {(r.last_error or '')[:60]}"
        )


@deliveries.command("list")
@click.option("--destination", default=None, help="Only this destination.")
@click.option("--status", default=None, help="pending, sending, delivered, dead or skipped.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@pass_state
def list_command(state: CliState, destination: str | None, status: str | None, limit: int) -> None:
    """The latest deliveries, newest first (dead letters: --status dead)."""
    with unit_of_work(state.sessionmaker) as session:
        rows = activation.list_deliveries(
            session, destination=destination, status=status, limit=limit
        )
        lines = [
            f"{d.id:>6}  {name:<16} {d.status:<9} {d.attempts:>3}  {d.topic:<16} "
            f"{d.profile_id or '-':<14} {(d.last_error or '')[:70]}"
            for d, name in rows
        ]
    click.echo(
        f"{'id':>6}  {'destination':<16} {'status':<9} {'try':>3}  {'topic':<16} "
        f"{'profile':<14} last error"
    )
    for line in lines:
        click.echo(line)


@deliveries.command("replay")
@click.argument("ids", nargs=-1, type=int)
@click.option("--destination", default=None, help="Only this destination's deliveries.")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    default=("dead",),
    show_default=True,
    help="Which to replay: dead, skipped or delivered (repeat for several).",
)
@pass_state
def replay_command(
    state: CliState, ids: tuple[int, ...], destination: str | None, statuses: tuple[str, ...]
) -> None:
    """Send dead deliveries again (all, a destination's, or the IDS given)."""
    with unit_of_work(state.sessionmaker) as session:
        count = activation.replay(session, destination=destination, ids=ids, statuses=statuses)
    click.echo(f"replaying {count} deliveries (the worker sends them on its next look)")


@deliveries.command("prune")
@click.option(
    "--older-than-days",
    type=click.IntRange(min=1),
    default=30,
    show_default=True,
    help="Delete delivered and skipped deliveries (and dispatched changes) older than this.",
)
@pass_state
def prune_command(state: CliState, older_than_days: int) -> None:
    """Delete what was delivered long ago; dead and pending deliveries stay."""
    from datetime import timedelta

    from cdp.activation.health import prune
    from cdp.types import utcnow

    with unit_of_work(state.sessionmaker) as session:
        deliveries, entries = prune(session, utcnow() - timedelta(days=older_than_days))
    click.echo(f"deleted {deliveries} deliveries and {entries} outbox entries")
