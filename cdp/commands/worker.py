"""`cdp worker`: run the activation worker (deliveries and flows) in the foreground."""

from __future__ import annotations

import os
import signal
import threading
from types import FrameType

import click

from cdp.activation.runner import build_worker, sync_from_settings
from cdp.activation.worker import default_poll
from cdp.commands._common import CliState, pass_state


@click.command("worker")
@click.option("--once", is_flag=True, help="Do what is due now, then exit.")
@click.option(
    "--poll",
    type=click.FloatRange(min=0.01),
    default=None,
    help="Seconds between looks when idle (default: 1 on PostgreSQL, woken by NOTIFY; 0.1 SQLite).",
)
@pass_state
def worker(state: CliState, once: bool, poll: float | None) -> None:
    """Send the outbox's changes to destinations: retries, rate limits, dead letters, consent."""
    environ = dict(os.environ)
    changed = sync_from_settings(state.engine, state.settings, environ)
    if changed:
        click.echo(
            f"destinations from {state.settings.sources_file}: {', '.join(changed)}", err=True
        )
    running = build_worker(state.engine, environ, state.settings)
    if once:
        report = running.tick()
        running.close()
        sent = ", ".join(f"{n} {status}" for status, n in sorted(report.sent.items())) or "nothing"
        click.echo(
            f"flow runs advanced {report.flow_runs}; dispatched {report.dispatched} changes; "
            f"sent: {sent}"
        )
        return
    stop = threading.Event()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        click.echo(f"worker: {signal.Signals(signum).name}, stopping", err=True)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    interval = poll if poll is not None else default_poll(state.engine)
    click.echo(f"worker: running on {state.engine.dialect.name} (Ctrl-C stops)", err=True)
    running.run(stop, interval)
