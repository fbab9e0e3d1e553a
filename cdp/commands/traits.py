"""`cdp traits compute [--full] [--as-of DATE]`: recompute computed traits (docs/value.md)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click
from click._termui_impl import ProgressBar
from sqlalchemy import func, select

from cdp import models
from cdp.commands._common import CliState, pass_state
from cdp.db import unit_of_work
from cdp.value import compute_traits, load_value_settings

__all__ = ["traits_group"]


def _parse_as_of(raw: str | None) -> datetime | None:
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise click.BadParameter(
            f"{raw!r} is not a date; write YYYY-MM-DD or an ISO 8601 time", param_hint="--as-of"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@click.group("traits")
def traits_group() -> None:
    """Computed traits: purchases, RFM, lifetime value, lifecycle, engagement, loyalty."""


@traits_group.command("compute")
@click.option(
    "--full",
    is_flag=True,
    help="Recompute every profile and refit the models (the default; kept for scripts).",
)
@click.option(
    "--as-of",
    "as_of",
    metavar="DATE",
    help="Compute as of this date (UTC), from what happened before it only.",
)
@pass_state
def compute(state: CliState, full: bool, as_of: str | None) -> None:
    """Recompute every profile's traits and refit RFM boundaries and lifetime-value models."""
    del full  # every run of this command is a full one; refreshes happen after each change
    moment = _parse_as_of(as_of)
    settings = load_value_settings(state.settings.value_config_file)
    with unit_of_work(state.sessionmaker) as session:
        total = int(
            session.scalar(
                select(func.count())
                .select_from(models.Profile)
                .where(models.Profile.status == models.ProfileStatus.ACTIVE.value)
            )
            or 0
        )
        # two passes over the profiles: the base figures, then scores and models
        bar: ProgressBar[int] = click.progressbar(
            length=total * 2,
            label="computing traits",
            show_pos=True,
            file=sys.stderr,
        )
        seen: dict[str, int] = {}

        def progress(phase: str, done: int) -> None:
            bar.update(done - seen.get(phase, 0))
            seen[phase] = done

        with bar:
            report = compute_traits(
                session, None, settings=settings, as_of=moment, progress=progress
            )
    click.echo(
        f"traits of {report.profiles:,} profiles as of {report.as_of.isoformat(timespec='seconds')}"
        f" ({report.customers:,} customers)"
    )
    if report.unconverted_orders:
        click.echo(
            f"{report.unconverted_orders:,} orders in a currency with no configured rate were "
            "counted apart (unconvertedOrders) and added to no total"
        )
    for name, text in report.models.items():
        click.echo(f"{name}: {text}")
