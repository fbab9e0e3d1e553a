"""`cdp identity ...`: resolve, explain, compare, export, merge, split, forbid, review."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

import click

import identity
from cdp import audit
from cdp.commands._common import CliState, pass_state
from cdp.commands.identity_model import model_group
from cdp.commands.privacy import cli_actor
from cdp.db import unit_of_work
from cdp.refresh import refresh_profiles


@click.group("identity")
def identity_group() -> None:
    """Resolve source records into profiles, explain and correct the result."""


class _Progress:
    def __init__(self) -> None:
        self.bar: Any = None
        self.done = 0

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = click.progressbar(length=max(total, 1), label="resolving", file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.done)
        self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


identity_group.add_command(model_group)


@identity_group.command("resolve")
@click.option(
    "--full",
    is_flag=True,
    help="Rebuild every profile (ids are kept) instead of resolving new records.",
)
@click.option(
    "--keep-model",
    is_flag=True,
    help="With --full: rebuild with the active model (e.g. one loaded with `identity model "
    "load`) instead of training a new one from the data.",
)
@click.option(
    "--batch-size", default=50_000, show_default=True, help="Records per incremental batch."
)
@pass_state
def resolve_command(state: CliState, full: bool, keep_model: bool, batch_size: int) -> None:
    """Resolve unresolved records (incremental by default) and print a summary."""
    progress = _Progress()
    try:
        with unit_of_work(state.sessionmaker) as session:
            from cdp.pending import hold_resolution

            hold_resolution(session)  # a running server's background resolver waits
            summary = identity.resolve(
                session,
                full=full,
                model=identity.current_model(session) if keep_model else None,
                batch_size=batch_size,
                default_region=state.settings.default_region,
                progress=progress,
            )
            if summary.records:
                refresh_profiles(session, None)
    finally:
        progress.close()
    click.echo(
        f"mode: {summary.mode}   records resolved: {summary.records}   time: {summary.seconds:.1f}s"
    )
    stages = summary.extra.get("stages")
    if isinstance(stages, dict) and stages:
        click.echo("stages: " + ", ".join(f"{name} {sec:.1f}s" for name, sec in stages.items()))
    click.echo(
        f"profiles: {summary.active_profiles} active, {summary.profiles_created} created, "
        f"{summary.merges} merges"
    )
    click.echo(
        "links: " + (", ".join(f"{k} {v}" for k, v in sorted(summary.links.items())) or "none")
    )
    if summary.candidate_pairs:
        click.echo(
            "candidate pairs per blocking rule: "
            + ", ".join(f"{k} {v}" for k, v in summary.candidate_pairs.items())
        )
    click.echo(f"cluster sizes (records: profiles): {_buckets(summary.cluster_sizes) or 'none'}")
    if summary.largest_profiles:
        click.echo("largest: " + ", ".join(f"{pid} ({n})" for pid, n in summary.largest_profiles))
    for shared in summary.shared_identifiers[:10]:
        click.echo(
            f"not a merge key: {shared.kind} {shared.value!r} seen on {shared.people} people "
            f"({shared.records} records)"
        )
    click.echo(f"model: {summary.model_version}")


@identity_group.command("explain")
@click.argument("profile_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@pass_state
def explain_command(state: CliState, profile_id: str, as_json: bool) -> None:
    """Show how PROFILE_ID was built: golden record, records, links and history."""
    with unit_of_work(state.sessionmaker) as session:
        exp = identity.explain_profile(session, profile_id)
    if as_json:
        click.echo(json.dumps(_jsonable(exp), indent=2, default=str))
        return
    moved = (
        f" (requested {exp.requested_id}, merged into it)"
        if exp.requested_id != exp.profile_id
        else ""
    )
    click.echo(f"profile {exp.profile_id} [{exp.status}]{moved}")
    for key, value in exp.attributes.items():
        if key not in ("sources",):
            click.echo(f"  {key}: {value}")
    click.echo(f"records ({len(exp.records)}):")
    for r in exp.records:
        click.echo(f"  #{r.record_id} {r.source}:{r.external_id} {r.kind} {r.occurred_at or ''}")
    click.echo(f"links ({len(exp.links)}):")
    for link in exp.links:
        why = (
            link.evidence.get("identifier") or f"score {link.score:.2f}"
            if link.score is not None
            else link.rule
        )
        click.echo(
            f"  #{link.left_record_id} - #{link.right_record_id} {link.decision} by "
            f"{link.method} ({why}){' : ' + link.reason if link.reason else ''}"
        )
    for h in exp.history:
        click.echo(
            f"  {h.created_at:%Y-%m-%d %H:%M} {h.action} {h.profile_id} / "
            f"{h.other_profile_id} by {h.actor}: {h.reason or ''}"
        )


@identity_group.command("compare")
@click.argument("left")
@click.argument("right")
@pass_state
def compare_command(state: CliState, left: str, right: str) -> None:
    """Score two records (numeric ids) or two profiles and say what kept them apart."""
    with unit_of_work(state.sessionmaker) as session:
        report = identity.compare(
            session, left, right, default_region=state.settings.default_region
        )
    exp = report.explanation
    click.echo(
        f"{report.left} vs {report.right}: best pair #{report.best_left_record} / "
        f"#{report.best_right_record} of {report.pairs_compared}"
    )
    click.echo(f"  prior {exp.prior_weight:+.2f}")
    for c in exp.contributions:
        tf = f" (tf {c.tf_adjustment:+.2f})" if c.tf_adjustment else ""
        click.echo(
            f"  {c.comparison:<12} {c.label:<34} {c.weight:+7.2f}{tf}   "
            f"{c.left_value!s} | {c.right_value!s}"
        )
    click.echo(
        f"  total {exp.total:+.2f}  probability {exp.probability:.6f}  decision {exp.decision}"
    )
    click.echo("  blocking rules shared: " + (", ".join(report.shared_blocking_rules) or "none"))
    for reason in report.kept_apart_by:
        click.echo(f"  kept apart by: {reason}")


@identity_group.command("export")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@pass_state
def export_command(state: CliState, out: Path) -> None:
    """Write one CSV row per source record: source, external_id, profile_id."""
    rows = 0
    with (
        unit_of_work(state.sessionmaker) as session,
        out.open("w", newline="", encoding="utf-8") as handle,
    ):
        # Plain `\n` line ends (the csv module writes `\r\n` by default), as every tool
        # reading a file on a Unix system expects.
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["source", "external_id", "profile_id"])
        for row in identity.export_assignments(session):
            writer.writerow([row[0], row[1], row[2] or ""])
            rows += 1
    click.echo(f"wrote {rows} rows to {out}")


@identity_group.command("merge")
@click.argument("winner")
@click.argument("other")
@click.option("--actor", required=True)
@click.option("--reason", default=None)
@click.option("--force", is_flag=True, help="Merge even if one-per-person identifiers differ.")
@pass_state
def merge_command(
    state: CliState, winner: str, other: str, actor: str, reason: str | None, force: bool
) -> None:
    """Merge profile OTHER into WINNER."""
    with unit_of_work(state.sessionmaker) as session:
        result = identity.merge_profiles(
            session, winner, other, actor=actor, reason=reason, force=force
        )
        refresh_profiles(session, [result.profile_id, result.merged_profile_id])
        audit.record(
            session,
            actor=f"{actor} ({cli_actor()})",
            action="identity.merge",
            target_type="profile",
            target_id=result.profile_id,
            details={"merged_profile_id": result.merged_profile_id},
        )
    click.echo(
        f"merged {result.merged_profile_id} into {result.profile_id} "
        f"({result.record_count} records)"
    )


@identity_group.command("split")
@click.argument("profile_id")
@click.argument("record_ids", nargs=-1, type=int, required=True)
@click.option("--actor", required=True)
@click.option("--reason", default=None)
@pass_state
def split_command(
    state: CliState, profile_id: str, record_ids: tuple[int, ...], actor: str, reason: str | None
) -> None:
    """Move RECORD_IDS out of PROFILE_ID into a new profile."""
    with unit_of_work(state.sessionmaker) as session:
        result = identity.split_profile(
            session, profile_id, list(record_ids), actor=actor, reason=reason
        )
        refresh_profiles(session, [result.profile_id, result.new_profile_id])
        audit.record(
            session,
            actor=f"{actor} ({cli_actor()})",
            action="identity.split",
            target_type="profile",
            target_id=result.profile_id,
            details={"new_profile_id": result.new_profile_id},
        )
    click.echo(
        f"split {len(result.record_ids)} records out of {result.profile_id} "
        f"into {result.new_profile_id}"
    )


@identity_group.command("forbid")
@click.argument("left", type=int)
@click.argument("right", type=int)
@click.option("--actor", required=True)
@click.option("--reason", default=None)
@pass_state
def forbid_command(state: CliState, left: int, right: int, actor: str, reason: str | None) -> None:
    """Never link records LEFT and RIGHT."""
    with unit_of_work(state.sessionmaker) as session:
        result = identity.forbid_link(session, left, right, actor=actor, reason=reason)
        audit.record(
            session,
            actor=f"{actor} ({cli_actor()})",
            action="identity.forbid_link",
            target_type="records",
            target_id=f"{left},{right}",
        )
    click.echo(f"records {left} and {right} will never be linked")
    if result.shares_profile:
        click.echo(
            f"they share profile {result.profile_id} now: split one out with `cdp identity split`"
        )


@identity_group.command("review")
@click.option("--limit", default=20, show_default=True)
@pass_state
def review_command(state: CliState, limit: int) -> None:
    """List pairs of profiles that may be one person (best first, one line per pair)."""
    with unit_of_work(state.sessionmaker) as session:
        items = identity.review_list(session, limit=limit)
    if not items:
        click.echo("nothing to review")
    for item in items:
        click.echo(
            f"link {item.link_id}: #{item.left_record_id} ({item.left_profile_id}) ~ "
            f"#{item.right_record_id} "
            f"({item.right_profile_id}) score {item.score:.2f} p={item.probability:.3f}"
            + (f" ({item.links} possible-match links)" if item.links > 1 else "")
            + (f": {item.reason}" if item.reason and item.reason != identity.POSSIBLE_MATCH else "")
        )


_BUCKETS = ((1, 1), (2, 2), (3, 5), (6, 10), (11, 20), (21, 50), (51, 100), (101, 10**12))


def _buckets(sizes: dict[int, int]) -> str:
    parts = []
    for low, high in _BUCKETS:
        count = sum(n for size, n in sizes.items() if low <= size <= high)
        if count:
            label = str(low) if low == high else f"{low}+" if high > 10**9 else f"{low}-{high}"
            parts.append(f"{label}: {count}")
    return ", ".join(parts)


def _jsonable(value: Any) -> Any:
    if hasattr(value, "__dataclass_fields__"):
        return {k: _jsonable(getattr(value, k)) for k in value.__dataclass_fields__}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value
