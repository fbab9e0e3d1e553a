"""`cdp segments`: define, preview, refresh, list members, break down and export segments.

Definitions are JSON files (docs/segments.md); each command is one unit of work.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from sqlalchemy import func, select

from cdp import models, segments
from cdp.activation.capture import segment_refresh
from cdp.commands._common import CliState, pass_state
from cdp.db import unit_of_work
from cdp.errors import InvalidInputError

__all__ = ["segments_group"]

ACTOR = "cli"


def _read_definition(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise click.BadParameter(f"cannot read {path}: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise InvalidInputError("definition", f"{path} is not JSON: {exc}") from exc


_definition_option = click.option(
    "--definition",
    "definition_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help='A JSON file with the definition ({"conditions": [...]}).',
)


@click.group("segments")
def segments_group() -> None:
    """Segments: condition trees over profiles, kept current (docs/segments.md)."""


@segments_group.command("list")
@pass_state
def list_command(state: CliState) -> None:
    """Every segment: id, name, current size, last full refresh."""
    m = models.SegmentMembership
    with unit_of_work(state.sessionmaker) as session:
        sizes: dict[int, int] = {
            row[0]: row[1]
            for row in session.execute(select(m.segment_id, func.count()).group_by(m.segment_id))
        }
        rows = session.scalars(select(models.Segment).order_by(models.Segment.id)).all()
        for s in rows:
            refreshed = s.refreshed_at.isoformat() if s.refreshed_at else "never"
            flag = " (built in)" if s.built_in else ""
            click.echo(
                f"#{s.id} {s.name}{flag}: {sizes.get(s.id, 0):,} members, refreshed {refreshed}"
            )


@segments_group.command("show")
@click.argument("segment")
@pass_state
def show(state: CliState, segment: str) -> None:
    """A segment's definition and size history (SEGMENT: id or name)."""
    with unit_of_work(state.sessionmaker) as session:
        found = segments.find_segment(session, segment)
        click.echo(
            f"#{found.id} {found.name}" + (f": {found.description}" if found.description else "")
        )
        click.echo(json.dumps(found.definition, indent=2))
        for size in segments.size_history(session, found.id, limit=20):
            click.echo(
                f"{size.measured_at.isoformat()} {size.scope:>7}: {size.size:,} "
                f"(+{size.entered:,} -{size.exited:,})"
            )


@segments_group.command("create")
@click.option("--name", required=True, help="A unique name.")
@click.option("--description", default=None)
@_definition_option
@pass_state
def create(
    state: CliState, name: str, description: str | None, definition_file: Path | None
) -> None:
    """Save a segment and compute its members."""
    if definition_file is None:
        raise click.UsageError("--definition FILE is required")
    raw = _read_definition(definition_file)
    with unit_of_work(state.sessionmaker) as session:
        found = segments.create_segment(
            session, segments.SegmentSpec(name, description, raw), actor=ACTOR
        )
        with segment_refresh(session) as at:  # entries and exits reach destinations and flows
            result = segments.refresh_segment(session, found, now=at)
    click.echo(f"created segment #{result.segment_id} {result.name}: {result.size:,} members")


@segments_group.command("update")
@click.argument("segment")
@click.option("--name", default=None)
@click.option("--description", default=None)
@_definition_option
@pass_state
def update(
    state: CliState,
    segment: str,
    name: str | None,
    description: str | None,
    definition_file: Path | None,
) -> None:
    """Change a segment's name, description or definition (members are recomputed)."""
    raw = None if definition_file is None else _read_definition(definition_file)
    with unit_of_work(state.sessionmaker) as session:
        found = segments.update_segment(
            session, segment, segments.SegmentSpec(name, description, raw), actor=ACTOR
        )
        with segment_refresh(session) as at:
            result = segments.refresh_segment(session, found, now=at)
    click.echo(
        f"updated segment #{result.segment_id} {result.name}: {result.size:,} members "
        f"(+{result.entered:,} -{result.exited:,})"
    )


@segments_group.command("delete")
@click.argument("segment")
@pass_state
def delete(state: CliState, segment: str) -> None:
    """Delete a segment with its memberships and history."""
    with unit_of_work(state.sessionmaker) as session:
        found = segments.delete_segment(session, segment, actor=ACTOR)
    click.echo(f"deleted segment #{found.id} {found.name}")


@segments_group.command("preview")
@_definition_option
@click.option("--sample", type=click.IntRange(0, 1000), default=10, show_default=True)
@pass_state
def preview(state: CliState, definition_file: Path | None, sample: int) -> None:
    """Count the profiles a definition selects, with a sample, without saving anything."""
    if definition_file is None:
        raise click.UsageError("--definition FILE is required")
    raw = _read_definition(definition_file)
    with unit_of_work(state.sessionmaker) as session:
        found = segments.preview(session, raw, sample=sample)
        click.echo(f"{found.count:,} profiles")
        for profile in found.sample:
            name = " ".join(part for part in (profile.given_name, profile.family_name) if part)
            click.echo(f"  {profile.id} {name} {profile.email or ''}".rstrip())


@segments_group.command("refresh")
@click.argument("names", nargs=-1)
@pass_state
def refresh(state: CliState, names: tuple[str, ...]) -> None:
    """Re-test every profile against every segment (or the named ones): run it on a schedule
    for time-window conditions (`lastDays`), which change membership with time alone."""
    with unit_of_work(state.sessionmaker) as session:
        only = [segments.find_segment(session, name).id for name in names] or None
        with segment_refresh(session) as at:  # entries and exits reach destinations and flows
            results = segments.refresh_all(session, only=only, now=at)
    for r in results:
        click.echo(f"#{r.segment_id} {r.name}: {r.size:,} members (+{r.entered:,} -{r.exited:,})")
    click.echo(f"refreshed {len(results)} segments")


@segments_group.command("breakdown")
@click.argument("segment", required=False)
@click.option("--by", "by", required=True, help="A text trait or attribute, e.g. valueTier.")
@pass_state
def breakdown(state: CliState, segment: str | None, by: str) -> None:
    """Count a segment's members (or every active profile) by a trait or attribute."""
    with unit_of_work(state.sessionmaker) as session:
        segment_id = None if segment is None else segments.find_segment(session, segment).id
        rows = segments.breakdown(session, segment_id, by)
    for row in rows:
        click.echo(f"{row.value if row.value is not None else '(none)'}\t{row.count:,}")


@segments_group.command("export")
@click.argument("segment")
@click.option("--purpose", required=True, help="What the list is for, e.g. email_marketing.")
@click.option("--channel", default=None, help="Only consent given on this channel counts.")
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Default: stdout."
)
@pass_state
def export(
    state: CliState, segment: str, purpose: str, channel: str | None, output: Path | None
) -> None:
    """Write the members with consent for PURPOSE as CSV; those without are left out and counted."""
    with unit_of_work(state.sessionmaker) as session:
        found = segments.find_segment(session, segment)
        if output is None:
            result = segments.export_members(
                session, found, purpose, sys.stdout, actor=ACTOR, channel=channel
            )
        else:  # written aside, then renamed: a failed export leaves no half-written file
            part = output.with_name(output.name + ".part")
            with part.open("w", encoding="utf-8", newline="") as out:
                result = segments.export_members(
                    session, found, purpose, out, actor=ACTOR, channel=channel
                )
            part.replace(output)
    click.echo(
        f"exported {result.exported:,} members of {found.name} for {result.purpose}; "
        f"left out {result.left_out:,} without consent",
        err=output is None,
    )
