"""`cdp retention apply [--dry-run]`: delete what the configured retention says is too old."""

from __future__ import annotations

import json

import click

from cdp import audit
from cdp.commands._common import CliState, pass_state
from cdp.commands.privacy import cli_actor
from cdp.privacy.retention import apply_retention, rules_from
from cdp.refresh import refresh_profiles
from cdp.types import utcnow

__all__ = ["retention_group"]


@click.group("retention")
def retention_group() -> None:
    """Retention of raw events, raw payloads and quarantined records (CDP_RETENTION)."""


@retention_group.command("apply")
@click.option("--dry-run", is_flag=True, help="Report what would go; change nothing.")
@click.option("--json", "as_json", is_flag=True)
@pass_state
def apply_command(state: CliState, dry_run: bool, as_json: bool) -> None:
    """Apply the rules of CDP_RETENTION (e.g. 'events=400,web.events=90,quarantine=30')."""
    rules = rules_from(state.settings.retention)
    if not rules:
        raise click.UsageError(
            "no retention rules: set CDP_RETENTION, e.g. 'events=400,payloads=730,quarantine=90'"
        )
    session = state.sessionmaker()
    try:
        report = apply_retention(session, rules, now=utcnow())
        if report.touched_profiles and not dry_run:
            import identity
            from identity.writer import refresh_profiles as rebuild_golden_records

            touched = sorted(report.touched_profiles)
            rebuild_golden_records(session, touched, identity.current_model(session))
            refresh_profiles(session, touched)
        if dry_run:
            session.rollback()
        else:
            audit.record(
                session,
                actor=cli_actor(),
                action="retention.apply",
                target_type="retention",
                target_id=",".join(rule.name for rule in rules)[:100],
                details=report.to_json(),
            )
            session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
    if as_json:
        click.echo(json.dumps({"dry_run": dry_run, **report.to_json()}))
        return
    verb = "would remove" if dry_run else "removed"
    for rule in rules:
        click.echo(
            f"{rule.name:<24} {rule.days:>5} days  {verb} {report.removed.get(rule.name, 0)}"
        )
    if report.kept_for_golden_record:
        click.echo(f"kept {report.kept_for_golden_record} records a profile still needs")
