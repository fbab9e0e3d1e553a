"""`cdp ingest` and `cdp sources`: run a configured source, or files through an adapter or a
mapping file, with a progress line (records/s) and a summary (`--json` for machines)."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import click
from sqlalchemy import func, select

import identity
from cdp import models
from cdp.commands._common import CliState, pass_state
from cdp.commands._feedback_hook import analyze_all_pending, chain, feedback_analyzer
from cdp.commands._identity_hook import identity_resolver
from cdp.commands._mapping_report import unmatched_note
from cdp.db import unit_of_work
from cdp.pending import hold_resolution
from cdp.resume import resolve_left_over
from ingest import (
    Adapter,
    AdapterConfigError,
    IngestSummary,
    MappingAdapter,
    SourceConfig,
    build_adapter,
    ensure_source,
    get_adapter,
    load_channels,
    load_mapping,
    load_sources,
    phone_region_of,
    run_ingest,
    world_adapters,
)


@click.command("ingest")
@click.argument("source_or_files", nargs=-1)
@click.option("--adapter", "adapter_name", help="Read FILE... with this adapter.")
@click.option(
    "--mapping",
    "mapping_path",
    type=click.Path(path_type=Path),
    help="Read FILE... with this mapping file.",
)
@click.option("--source", "source_name", help="The source name the records belong to.")
@click.option(
    "--world",
    "world",
    type=click.Path(path_type=Path, file_okay=False),
    help="Ingest every file family of a demo world directory (docs/formats.md), one source each.",
)
@click.option("--batch-size", type=click.IntRange(1, 100_000), default=2000, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--no-resolve", is_flag=True, help="Do not resolve identities after each batch.")
@click.option(
    "--progress/--no-progress", default=None, help="Progress line (default: on a terminal)."
)
@click.option(
    "--workers",
    type=click.IntRange(1, 16),
    default=1,
    show_default=True,
    help="Split file sources over this many processes; identities are then resolved once at "
    "the end instead of after each batch, and no progress line is shown.",
)
@pass_state
def ingest(
    state: CliState,
    source_or_files: tuple[str, ...],
    adapter_name: str | None,
    mapping_path: Path | None,
    source_name: str | None,
    world: Path | None,
    batch_size: int,
    as_json: bool,
    no_resolve: bool,
    progress: bool | None,
    workers: int,
) -> None:
    """Ingest a configured SOURCE, or FILE... through --adapter or --mapping into --source.

    \b
      cdp ingest web                                   a source declared in cdp.toml
      cdp ingest web more.jsonl                        the same, reading these files
      cdp ingest --adapter web.segment --source web events.jsonl
      cdp ingest --mapping pos.toml --source pos receipts.csv
    """
    show = progress if progress is not None else sys.stderr.isatty()
    resumed = 0 if no_resolve else _resume(state)
    if world is not None:
        _ingest_world(state, world, batch_size, as_json, no_resolve, show)
        return
    try:
        name, adapter, declared = _choose(
            state, source_or_files, adapter_name, mapping_path, source_name
        )
        _check_mapping(state, adapter)
    except AdapterConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    region = phone_region_of(adapter, declared, state.settings.default_region)
    summary = _run(state, name, adapter, batch_size, no_resolve, show, workers, region)
    if as_json:
        click.echo(json.dumps({**summary.to_json(), "resumed": resumed}, indent=2))
    else:
        click.echo(format_summary(summary))
    if summary.error:
        raise click.ClickException(f"ingest of {name!r} stopped: {summary.error}")


def _resume(state: CliState) -> int:
    """Resolve what an earlier, killed run stored but never resolved, and say so."""
    region = state.settings.default_region
    count = resolve_left_over(state.sessionmaker, default_region=region)
    if count:
        click.echo(
            f"resumed: resolved {count:,} records an earlier run stored but did not resolve",
            err=True,
        )
    return count


def _run(
    state: CliState,
    name: str,
    adapter: Adapter,
    batch_size: int,
    no_resolve: bool,
    show: bool,
    workers: int = 1,
    phone_region: str | None = None,
) -> IngestSummary:
    """One source through the runner. Identities are resolved, and feedback analysed, after
    each committed batch, or once at the end when the source is split over several worker
    processes (feedback is analysed with `--no-resolve` too). Phones without a country code
    are read in `phone_region` (the settings' default region when None)."""
    parallel = workers > 1
    reporter = _Progress(_total_lines(adapter)) if show and not parallel else None
    region = phone_region or state.settings.default_region
    topics = state.settings.feedback_topics_file
    per_batch = not (no_resolve or parallel)
    summary = run_ingest(
        state.sessionmaker,
        adapter,
        source=name,
        batch_size=batch_size,
        default_region=region,
        on_batch=chain(
            identity_resolver(state.sessionmaker, default_region=region) if per_batch else None,
            None if parallel else feedback_analyzer(state.sessionmaker, topics),
        ),
        on_progress=reporter,
        workers=workers,
    )
    if reporter is not None:
        click.echo("", err=True)
    if parallel and not no_resolve:
        _resolve_all(state)
    if parallel:
        analyze_all_pending(state.sessionmaker, topics)
    return summary


def _resolve_all(state: CliState) -> None:
    with unit_of_work(state.sessionmaker) as session:
        hold_resolution(session)  # a running server's background resolver waits
        resolved = identity.resolve(session, default_region=state.settings.default_region)
    click.echo(
        f"resolved {resolved.records:,} records into {resolved.active_profiles:,} profiles",
        err=True,
    )


def _ingest_world(
    state: CliState, world: Path, batch_size: int, as_json: bool, no_resolve: bool, show: bool
) -> None:
    summaries = []
    for name, adapter in world_adapters(world):
        summary = _run(state, name, adapter, batch_size, no_resolve, show)
        summaries.append(summary)
        if not as_json:
            click.echo(format_summary(summary))
    if as_json:
        click.echo(json.dumps([s.to_json() for s in summaries], indent=2))
    failed = [s for s in summaries if s.error]
    if failed:
        raise click.ClickException(f"ingest of {failed[0].source!r} stopped: {failed[0].error}")


def _check_mapping(state: CliState, adapter: Adapter) -> None:
    """A mapped source's files must have every column it names (checked before anything is
    read or written); the mapped fields identity does not use are said on stderr."""
    if not isinstance(adapter, MappingAdapter):
        return
    adapter.check_files()
    note = unmatched_note(adapter.mapping, state.sessionmaker)
    if note is not None:
        click.echo(f"note: {note}", err=True)


def _choose(
    state: CliState,
    args: tuple[str, ...],
    adapter_name: str | None,
    mapping_path: Path | None,
    source_name: str | None,
) -> tuple[str, Adapter, SourceConfig | None]:
    """The source's name, its adapter, and its declaration in `cdp.toml` (None: ad hoc)."""
    if adapter_name and mapping_path:
        raise click.UsageError("give --adapter or --mapping, not both")
    if adapter_name or mapping_path:
        if not source_name:
            raise click.UsageError("name the source the records belong to with --source NAME")
        if not args:
            raise click.UsageError("give at least one FILE to read")
        files = [Path(a) for a in args]
        if mapping_path:
            channels = load_channels(state.settings.sources_file)
            mapping = load_mapping(mapping_path, channels)
            return source_name, MappingAdapter(mapping, files=files), None
        assert adapter_name is not None
        return source_name, get_adapter(adapter_name)({}, files=files), None
    if not args:
        raise click.UsageError("name a configured SOURCE, or use --adapter/--mapping with files")
    sources = load_sources(state.settings.sources_file)
    name, *rest = args
    if name not in sources:
        known = ", ".join(sorted(sources)) or "none"
        raise AdapterConfigError(
            f"no source {name!r} in {str(state.settings.sources_file)!r} (declared: {known}); "
            "declare it there, or use --adapter/--mapping with --source"
        )
    chosen = [Path(f) for f in rest] or None
    return name, build_adapter(sources[name], os.environ, files=chosen), sources[name]


def _total_lines(adapter: Adapter) -> int | None:
    if not adapter.files or adapter.file_format not in ("jsonl", "csv"):
        return None
    total = 0
    for path in adapter.files:
        with path.open("rb") as handle:
            total += sum(1 for line in handle if line.strip())
    return total - (len(adapter.files) if adapter.file_format == "csv" else 0)


class _Progress:
    """A one-line progress bar on stderr: done/total, records/s."""

    def __init__(self, total: int | None) -> None:
        self.total = total
        self.started = time.monotonic()

    def __call__(self, summary: IngestSummary) -> None:
        rate = summary.read / max(time.monotonic() - self.started, 1e-9)
        if self.total:
            done = min(summary.read / self.total, 1.0)
            bar = "#" * int(done * 30)
            line = f"[{bar:<30}] {summary.read}/{self.total} {done:4.0%}"
        else:
            line = f"{summary.read} records"
        click.echo(
            f"\r{line}  {rate:,.0f} records/s  quarantined {summary.quarantined}",
            err=True,
            nl=False,
        )


def format_summary(summary: IngestSummary) -> str:
    lines = [
        f"source {summary.source} ({summary.adapter}): read {summary.read} = stored "
        f"{summary.stored} + duplicates skipped {summary.duplicates} + quarantined "
        f"{summary.quarantined}",
        f"  replaced earlier versions {summary.replaced}, junk identifiers ignored "
        f"{summary.junk_identifiers}, {summary.batches} batches in {summary.seconds:.2f}s "
        f"({summary.records_per_second:,.0f} records/s)",
    ]
    if summary.suppressed:
        lines[0] += f" + suppressed {summary.suppressed}"
        lines.append("  suppressed: held back, they carry erased identifiers (cdp privacy)")
    if summary.cursor:
        lines.append(f"  cursor {summary.cursor}")
    if summary.quarantined:
        lines.append(f"  see them with: cdp quarantine list --source {summary.source}")
    return "\n".join(lines)


def _declared_kind(declaration: SourceConfig) -> tuple[str, str]:
    """(channel, adapter name) of a declared source, without reading its secrets."""
    if declaration.mapping is not None:
        mapping = load_mapping(declaration.mapping, declaration.channels)
        return mapping.channel, mapping.name
    assert declaration.adapter is not None
    adapter_class = get_adapter(declaration.adapter)
    return adapter_class.channel, adapter_class.name


@click.command("sources")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_state
def sources(state: CliState, as_json: bool) -> None:
    """List the sources declared in cdp.toml (and any ingested ad hoc), with their counts.

    Declared sources are registered in the database as they are listed, so a push source can
    get its write key (`cdp keys create --role write --source NAME`) before any ingest.
    """
    declared = load_sources(state.settings.sources_file)
    with unit_of_work(state.sessionmaker) as session:
        for declaration in declared.values():
            channel, adapter_name = _declared_kind(declaration)
            ensure_source(
                session,
                name=declaration.name,
                channel=channel,
                adapter=adapter_name,
                config=declaration.settings,
            )
        stored = {
            name: (adapter, int(n or 0))
            for name, adapter, n in session.execute(
                select(
                    models.Source.name, models.Source.adapter, func.count(models.SourceRecord.id)
                )
                .outerjoin(models.SourceRecord, models.SourceRecord.source_id == models.Source.id)
                .group_by(models.Source.name, models.Source.adapter)
            )
        }
        held = dict(
            session.execute(
                select(models.Quarantine.source_name, func.count())
                .where(models.Quarantine.resolved_at.is_(None))
                .group_by(models.Quarantine.source_name)
            ).all()
        )
    rows = []
    for name in sorted(set(declared) | set(stored)):
        config = declared.get(name)
        adapter = config.label if config else stored[name][0]
        rows.append(
            {
                "name": name,
                "adapter": adapter,
                "declared": config is not None,
                "files": [str(p) for p in config.files] if config else [],
                "records": stored.get(name, ("", 0))[1],
                "quarantined": int(held.get(name, 0)),
            }
        )
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(f"{'source':<16} {'adapter':<32} {'records':>8} {'quarantined':>11}  declared")
    for row in rows:
        click.echo(
            f"{row['name']:<16} {row['adapter']:<32} {row['records']:>8} "
            f"{row['quarantined']:>11}  {'yes' if row['declared'] else 'no (ad hoc)'}"
        )
