"""`cdp quarantine`: list and count rejected records; `replay` re-runs them after a fix."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path

import click
from sqlalchemy import select

from cdp import models
from cdp.commands._common import CliState, pass_state
from cdp.commands._identity_hook import identity_resolver
from cdp.db import unit_of_work
from cdp.errors import NotFoundError
from ingest import (
    Adapter,
    MappingAdapter,
    build_adapter,
    count_quarantine,
    dismiss_quarantine,
    get_adapter,
    list_quarantine,
    load_channels,
    load_mapping,
    load_sources,
    replay_quarantine,
)


@click.group("quarantine", invoke_without_command=True)
@click.pass_context
def quarantine(ctx: click.Context) -> None:
    """Records that failed validation, with where they came from and why (counts when alone)."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(counts)


@quarantine.command("list")
@click.option("--source", "source_name", help="Only this source.")
@click.option("--limit", type=int, default=50, show_default=True)
@click.option(
    "--resolved", is_flag=True, help="The resolved entries (arrived, replayed, dismissed)."
)
@click.option("--json", "as_json", is_flag=True)
@pass_state
def list_command(
    state: CliState, source_name: str | None, limit: int, resolved: bool, as_json: bool
) -> None:
    """List open quarantined records: id, source, position, reason."""
    with unit_of_work(state.sessionmaker) as session:
        items = list_quarantine(session, source=source_name, limit=limit, resolved=resolved)
    if as_json:
        click.echo(json.dumps([asdict(i) for i in items], indent=2, default=str))
        return
    for item in items:
        done = f" [{item.resolution}: {item.resolution_note}]" if item.resolution else ""
        click.echo(f"#{item.id} {item.source} {item.position}: {item.reason}{done}")
        click.echo(f"    raw: {item.raw[:160]}")


@quarantine.command("counts")
@click.option("--json", "as_json", is_flag=True)
@pass_state
def counts(state: CliState, as_json: bool) -> None:
    """Count quarantined records per source and field."""
    with unit_of_work(state.sessionmaker) as session:
        rows = count_quarantine(session)
    if as_json:
        click.echo(json.dumps([asdict(r) for r in rows], indent=2))
        return
    if not rows:
        click.echo("quarantine is empty")
    for row in rows:
        click.echo(f"{row.source:<16} {row.field or '(record)':<32} {row.count:>8}")


@quarantine.command("replay")
@click.argument("source_name")
@click.option(
    "--mapping", "mapping_path", type=click.Path(path_type=Path), help="Use this mapping file."
)
@click.option("--json", "as_json", is_flag=True)
@click.option("--no-resolve", is_flag=True, help="Do not resolve identities afterwards.")
@pass_state
def replay(
    state: CliState, source_name: str, mapping_path: Path | None, as_json: bool, no_resolve: bool
) -> None:
    """Re-run SOURCE's quarantined records (after a fix); those that pass leave quarantine."""
    adapter = _adapter_for(state, source_name, mapping_path)
    summary = replay_quarantine(
        state.sessionmaker,
        source=source_name,
        adapter=adapter,
        default_region=state.settings.default_region,
        on_batch=None
        if no_resolve
        else identity_resolver(state.sessionmaker, default_region=state.settings.default_region),
    )
    if as_json:
        click.echo(json.dumps(asdict(summary), indent=2))
        return
    click.echo(
        f"replayed {summary.replayed} from {summary.source}: stored {summary.stored}, "
        f"duplicates {summary.duplicates}, still failing {summary.still_failing}"
    )


@quarantine.command("dismiss")
@click.argument("ids", nargs=-1, type=int)
@click.option("--source", "source_name", help="Every open entry of this source.")
@click.option("--reason", required=True, help="Why nothing is to be done (kept with them).")
@pass_state
def dismiss(state: CliState, ids: tuple[int, ...], source_name: str | None, reason: str) -> None:
    """Resolve entries by hand: IDS..., or all of --source, with a --reason."""
    with unit_of_work(state.sessionmaker) as session:
        count = dismiss_quarantine(session, reason=reason, ids=ids, source=source_name)
    click.echo(f"dismissed {count} quarantined records")


def _adapter_for(state: CliState, source_name: str, mapping_path: Path | None) -> Adapter:
    if mapping_path is not None:
        return MappingAdapter(
            load_mapping(mapping_path, load_channels(state.settings.sources_file))
        )
    declared = load_sources(state.settings.sources_file)
    if source_name in declared:
        return build_adapter(declared[source_name], os.environ, files=[])
    with unit_of_work(state.sessionmaker) as session:
        name = session.scalar(
            select(models.Source.adapter).where(models.Source.name == source_name)
        )
    if name is None:
        raise NotFoundError("source", source_name)
    if name.startswith("mapping") or "." not in name:
        raise click.UsageError(
            f"source {source_name!r} was read with a mapping; pass --mapping FILE"
        )
    return get_adapter(name)({})
