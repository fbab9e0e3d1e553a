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
from cdp.types import utcnow
from cdp.value import compute_traits, load_value_settings, stale_profiles

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
    help="Recompute every profile and refit every model (RFM cuts, BG/NBD, Gamma-Gamma).",
)
@click.option(
    "--as-of",
    "as_of",
    metavar="DATE",
    help="Compute as of this date (UTC), from what happened before it only (implies --full).",
)
@pass_state
def compute(state: CliState, full: bool, as_of: str | None) -> None:
    """Recompute the traits that are stale, with the stored models; --full: every profile's,
    refitting the models.

    Stale: a profile with no traits yet, traits describing an earlier day (recency and the
    windows move with the calendar), or traits of a profile no longer active. The refresh after
    every batch keeps the rest current, so a second run on the same day recomputes nothing.
    """
    moment = _parse_as_of(as_of)
    settings = load_value_settings(state.settings.value_config_file)
    refit = full or moment is not None
    with unit_of_work(state.sessionmaker) as session:
        ids: list[str] | None = None
        if refit:
            total = int(
                session.scalar(
                    select(func.count())
                    .select_from(models.Profile)
                    .where(models.Profile.status == models.ProfileStatus.ACTIVE.value)
                )
                or 0
            )
        else:
            stale, total = stale_profiles(session, utcnow())
            if not stale:
                click.echo(f"traits of {total:,} profiles are current: nothing to recompute")
                return
            # every profile stale (a new day): one run over id ranges, not a list of them all
            ids = None if len(stale) >= total else stale
            total = total if ids is None else len(ids)
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
                session, ids, settings=settings, as_of=moment, progress=progress, refit=refit
            )
    what = "every profile, models refitted" if refit else "stale profiles, stored models"
    click.echo(f"recomputed {what}")
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
