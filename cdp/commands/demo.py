"""`cdp demo`: the main job, end to end on whatever database is configured (SQLite by default).

1. migrate the database;
2. write the seeded synthetic world (every channel in its real format, `cdp.synthetic`);
3. ingest it through every built-in adapter and the point-of-sale mapping;
4. resolve identities and analyse the feedback (language, sentiment, topics);
5. serve GraphQL + GraphiQL on 127.0.0.1 in open mode.

Re-running it is safe: the world is kept, re-ingesting adds nothing (natural keys), and
resolution is incremental. A re-run whose database already holds every record of the world
skips ingest (it would only count duplicates), and refreshes traits and segments only when
resolution changed something. Each step that takes more than a second shows a progress line
on a terminal (`cdp.commands._progress`), and migrations are summed up in one line.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cdp import migrate, models
from cdp.commands._common import CliState, pass_state
from cdp.commands._progress import Progress
from cdp.commands.serve import run_server
from cdp.config import Settings, mask_url
from cdp.db import check_database, unit_of_work

if TYPE_CHECKING:
    from ingest import IngestSummary

STEPS = 5


def _step(number: int, text: str) -> None:
    click.echo(f"[{number}/{STEPS}] {text}", err=True)


@click.command("demo")
@click.option("--people", type=click.IntRange(10, 1_000_000), default=2000, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
@click.option(
    "--world",
    "world_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo-world"),
    show_default=True,
    help="Where the demo world's files are written (kept between runs).",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=None, help="Port (default: CDP_PORT or 8000).")
@click.option("--no-serve", is_flag=True, help="Build the demo world, then exit.")
@pass_state
def demo(
    state: CliState,
    people: int,
    seed: int,
    world_dir: Path,
    host: str,
    port: int | None,
    no_serve: bool,
) -> None:
    """Build the demo world from all four channels, resolve identities and serve it."""
    settings = state.settings
    _migrate(state)
    _write_world(world_dir, people=people, seed=seed)
    stored = _ingest_world(state, world_dir)
    resolved = _resolve(state)
    _survey(state, world_dir)
    _analyze_feedback(state)
    _recommendations(state, changed=stored or resolved)
    _erase_one(state)
    if no_serve:
        return
    _step(5, "serving in open mode (no API keys; for local demos only)")
    settings = _activation(settings, world_dir, host, port or settings.port)
    if settings.sources_file == world_dir / "activation.toml":  # the demo's flows
        _signups(state, world_dir, f"http://{host}:{port or settings.port}")
    state.close()
    run_server(settings.replace(host=host, port=port or settings.port, open_mode=True))


DEMO_SECRET_ENV = "CDP_DEMO_WEBHOOK_SECRET"
DEMO_ACTIVATION = """\
# Written by `cdp demo`: a webhook destination (the demo's receiver) and the two basic flows.
[destinations.demo_webhook]
kind = "webhook"
url = "{url}"
secret_env = "{secret_env}"
events = ["Order Completed"]

[activation]
max_messages_per_day = 3

[flows.welcome]
trigger = {{ event = "Signed Up" }}
goal = "Order Completed"
holdout = 0.1
steps = [
  {{ send = "demo_webhook", message = "welcome" }},
  {{ wait = "1 day" }},
  {{ send = "demo_webhook", message = "recommendations", include = ["recommendations"] }},
]

[flows.browse_abandonment]
trigger = {{ event = "Product Viewed" }}
goal = "Order Completed"
goal_days = 3
holdout = 0.1
reenter = true
steps = [
  {{ wait = "1 hour" }},
  {{ unless_event = "Order Completed" }},
  {{ send = "demo_webhook", message = "browse_abandonment", include = ["trigger"] }},
]
"""


def _activation(settings: Settings, world_dir: Path, host: str, port: int) -> Settings:
    """Start the demo's webhook receiver (beside the server) and, unless a cdp.toml is
    there, declare its destination and the two flows (docs/activation.md)."""
    import os
    import secrets

    from cdp.web.demo_receiver import DemoReceiver

    if settings.sources_file.is_file():
        click.echo(f"      activation: destinations and flows of {settings.sources_file}", err=True)
        return settings
    secret = os.environ.setdefault(DEMO_SECRET_ENV, secrets.token_hex(24))
    try:
        url = DemoReceiver(secret).start(host, port + 1)
    except OSError as exc:
        click.echo(f"      activation: no webhook receiver ({exc}); flows not declared", err=True)
        return settings
    path = world_dir / "activation.toml"
    path.write_text(DEMO_ACTIVATION.format(url=url, secret_env=DEMO_SECRET_ENV), encoding="utf-8")
    click.echo(
        f"      activation: welcome and browse-abandonment flows ({path}); deliveries on "
        f"http://{host}:{port + 1}/ (the worker runs inside the server)",
        err=True,
    )
    return settings.replace(sources_file=path)


def _signups(state: CliState, world_dir: Path, base_url: str) -> None:
    """Once the server answers, today's sign-ups arrive through the tracking API and enter
    the welcome flow (`cdp.commands._demo_signups`)."""
    from cdp.commands._demo_signups import KEY_FILE, start_signups, web_write_key

    key = web_write_key(state.sessionmaker, world_dir)
    click.echo(
        f"      web source write key in {world_dir / KEY_FILE} (push with it: docs/ingest.md)",
        err=True,
    )
    start_signups(base_url, key)


def _migrate(state: CliState) -> None:
    _step(1, f"database {mask_url(state.settings.database_url)}")
    check_database(state.engine)
    # Alembic logs lines (and docstrings) per migration: one summary line instead.
    alembic = logging.getLogger("alembic")
    level = alembic.level
    alembic.setLevel(logging.WARNING)
    try:
        before = migrate.current_revision(state.engine)
        with Progress("applying migrations"):
            migrate.upgrade(state.engine)
        after = migrate.current_revision(state.engine)
    finally:
        alembic.setLevel(level)
    said = "up to date" if before == after else f"migrated from {before or 'empty'} to {after}"
    click.echo(f"      {said}", err=True)


def _write_world(world_dir: Path, *, people: int, seed: int) -> None:
    from cdp.synthetic import write_world

    if (world_dir / "truth.csv").exists():
        _step(2, f"demo world: reusing {world_dir}/ (delete it to generate a new one)")
        return
    # The world's period ends today, so that recency, lifecycle and "the last 30 days" read
    # as they would on a live shop (the same world of the seed, moved by whole days).
    today = datetime.now(UTC).date()
    _step(2, f"demo world: {people:,} people, seed {seed}, up to {today}, into {world_dir}/")
    with Progress("writing every channel's files"):
        summary = write_world(world_dir, people=people, seed=seed, ends=today)
    by_adapter = ", ".join(f"{n:,} {a}" for a, n in sorted(summary.records_by_adapter.items()))
    click.echo(f"      {summary.records:,} records ({by_adapter})", err=True)


def _world_records(world_dir: Path) -> int:
    with (world_dir / "truth.csv").open(encoding="utf-8") as handle:
        return sum(1 for _ in handle) - 1  # one line per record, after the header


def _stored_records(state: CliState) -> int:
    from ingest.world import WORLD_SOURCES

    names = [spec.source for spec in WORLD_SOURCES]
    with state.sessionmaker() as session:
        statement = (
            select(func.count())
            .select_from(models.SourceRecord)
            .join(models.Source, models.Source.id == models.SourceRecord.source_id)
            .where(models.Source.name.in_(names))
        )
        return int(session.scalar(statement) or 0)


def _ingest_world(state: CliState, world_dir: Path) -> bool:
    """Ingests the world unless every record is stored already; True when it stored any."""
    from cdp.commands._demo_story import erased_records
    from ingest import ingest_world

    with state.sessionmaker() as session:
        erased = erased_records(session)  # the person who asked to be erased stays erased
    expected = _world_records(world_dir) - erased
    if expected > 0 and _stored_records(state) == expected:
        _step(3, f"ingest: all {expected:,} records of {world_dir}/ are stored already")
        return False
    _step(3, "ingesting every channel")
    started = time.perf_counter()
    with Progress("ingesting") as progress:
        summaries = ingest_world(
            state.sessionmaker,
            world_dir,
            default_region=state.settings.default_region,
            on_progress=lambda s: progress.update(_ingest_detail(s)),
        )
    for summary in summaries:
        click.echo(
            f"      {summary.source:<6} read {summary.read:>6,}  stored {summary.stored:>6,}  "
            f"duplicates {summary.duplicates:>6,}  quarantined {summary.quarantined:>4,}",
            err=True,
        )
    click.echo(f"      in {time.perf_counter() - started:.1f}s", err=True)
    return any(summary.stored for summary in summaries)


def _survey(state: CliState, world_dir: Path) -> None:
    """The customers' NPS / CSAT survey answers (written once from who ordered what)."""
    from cdp.commands._demo_story import ingest_survey, write_survey

    with Progress("survey answers"):
        path = write_survey(state.sessionmaker, world_dir)
        if path is None:
            return
        stored, _duplicates = ingest_survey(
            state.sessionmaker, path, default_region=state.settings.default_region
        )
    if stored:
        click.echo(f"      survey: {stored:,} NPS / CSAT answers from {path}", err=True)


def _erase_one(state: CliState) -> None:
    """One person asked to be erased: a receipt, and their identifiers suppressed."""
    from cdp.commands._demo_story import erase_one

    receipt = erase_one(state.sessionmaker)
    if receipt is not None:
        click.echo(f"      privacy: one person erased on request (receipt {receipt})", err=True)


def _ingest_detail(summary: IngestSummary) -> str:
    # The summary lags the batches read by the ones still being written.
    return f"{summary.source}: {summary.read:,} records" if summary.read else summary.source


def _analyze_feedback(state: CliState) -> None:
    from cdp.commands._feedback_hook import analyze_all_pending

    with Progress("analysing feedback"):
        result = analyze_all_pending(state.sessionmaker, state.settings.feedback_topics_file)
    if result.analysed:
        labels = ", ".join(f"{n:,} {label}" for label, n in sorted(result.by_label.items()))
        click.echo(f"      feedback: {result.analysed:,} analysed ({labels})", err=True)


def _has_traits(session: Session) -> bool:
    return session.scalar(select(models.ProfileTraits.profile_id).limit(1)) is not None


def _recommendations(state: CliState, *, changed: bool) -> None:
    from cdp.recommend import compute

    with unit_of_work(state.sessionmaker) as session:
        if not changed:
            products = session.scalar(select(func.count()).select_from(models.ProductStat))
            if products:
                click.echo(f"      recommendations: current ({products:,} products)", err=True)
                return
        with Progress("recommendations"):
            report = compute(session)
    click.echo(
        f"      recommendations: {report.products:,} products, {report.pairs:,} similar pairs",
        err=True,
    )


def _resolve(state: CliState) -> bool:
    """Resolves what is new, then refreshes every profile's traits and segments; True when
    anything was resolved (or the traits were missing)."""
    import identity
    from cdp.pending import hold_resolution
    from cdp.refresh import refresh_profiles

    _step(4, "resolving identities")
    with unit_of_work(state.sessionmaker) as session:
        hold_resolution(session)  # a running server's background resolver waits
        with Progress("resolving") as progress:
            summary = identity.resolve(
                session,
                default_region=state.settings.default_region,
                progress=lambda done, total: progress.update(f"{done:,} of {total:,} records"),
            )
        click.echo(
            f"      {summary.records:,} records -> {summary.active_profiles:,} profiles "
            f"({summary.merges:,} merges, model {summary.model_version}) "
            f"in {summary.seconds:.1f}s",
            err=True,
        )
        if summary.records == 0 and _has_traits(session):
            click.echo("      nothing new resolved: traits and segments are current", err=True)
            return False
        started = time.perf_counter()
        with Progress("traits, segments and activation for every profile"):
            refresh_profiles(session, None)
        click.echo(
            f"      traits, segments and activation refreshed in "
            f"{time.perf_counter() - started:.1f}s",
            err=True,
        )
    return True


def main(argv: list[str] | None = None) -> None:
    """`python -m cdp.commands.demo ARGS` is `cdp demo ARGS` without importing every other
    command of `cdp` (what `scripts/demo` runs: a second less of start-up CPU, and no scipy
    when nothing needs refreshing)."""
    import sys

    from cdp.config import configure_logging, load_settings
    from cdp.errors import CdpError, ConfigError

    try:
        settings = load_settings()
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(f"cdp: configuration error: {problem}", err=True)
        sys.exit(2)
    configure_logging(settings)
    state = CliState(settings)
    try:
        demo.main(args=argv, prog_name="cdp demo", obj=state, standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except CdpError as exc:
        click.echo(f"cdp: error: {exc}", err=True)
        sys.exit(1)
    finally:
        state.close()


if __name__ == "__main__":
    main()
