"""`cdp privacy` (access exports, erasures, receipts, the suppression list) and `cdp audit`."""

from __future__ import annotations

import getpass
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from cdp import audit as audit_log
from cdp import models
from cdp.commands._common import CliState, pass_state
from cdp.db import unit_of_work
from cdp.privacy.access import export_profile
from cdp.privacy.erasure import ErasureReceipt, erase_profile
from cdp.privacy.hashing import key_for, subject_digest
from cdp.privacy.suppression import summary as suppression_summary

__all__ = ["audit_command", "cli_actor", "privacy_group"]


def cli_actor() -> str:
    """Who runs the command, as the audit log names them."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


@click.group("privacy")
def privacy_group() -> None:
    """Data subject requests: export or erase a person; receipts; the suppression list."""


@privacy_group.command("export")
@click.argument("profile_id")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the document here (default: standard output).")  # fmt: skip
@pass_state
def export_command(state: CliState, profile_id: str, output: Path | None) -> None:
    """Everything held about PROFILE_ID (merged ids follow) as one JSON document."""
    with unit_of_work(state.sessionmaker) as session:
        document = export_profile(session, profile_id, actor=cli_actor())
    text = json.dumps(document, ensure_ascii=False, indent=2, sort_keys=False)
    if output is None:
        click.echo(text)
        return
    output.write_text(text + "\n", encoding="utf-8")
    tables = document["tables"]
    rows = sum(len(v) for v in tables.values())
    click.echo(f"wrote {output}: profile {document['profile_id']}, {rows} rows from "
               f"{len(tables)} tables", err=True)  # fmt: skip


def _print_receipt(receipt: ErasureReceipt, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(receipt.to_json(), indent=2))
        return
    click.echo(f"erasure {receipt.id} by {receipt.actor} at {receipt.completed_at.isoformat()}")
    click.echo(f"  reason: {receipt.reason}")
    click.echo(f"  profiles {receipt.profiles}, records {receipt.records}")
    for table, count in receipt.rows_by_table.items():
        click.echo(f"  {table:<40} {count:>8} rows")
    kinds = ", ".join(f"{kind} {n}" for kind, n in receipt.suppressed.items()) or "none"
    click.echo(f"  suppressed identifiers: {kinds}")


_REASON_HELP = "Why, e.g. the request's ticket; no personal data (kept on the receipt)."


@privacy_group.command("erase")
@click.argument("profile_id")
@click.option("--actor", required=True, help="Who asked for the erasure (kept on the receipt).")
@click.option("--reason", required=True, help=_REASON_HELP)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--json", "as_json", is_flag=True, help="Print the receipt as JSON.")
@pass_state
def erase_command(
    state: CliState, profile_id: str, actor: str, reason: str, yes: bool, as_json: bool
) -> None:
    """Erase PROFILE_ID, every profile merged into it and every record linked to them, from
    every table; suppress their identifiers; print the receipt."""
    if not yes:
        click.confirm(f"Erase profile {profile_id} and everything linked to it?", abort=True)
    with unit_of_work(state.sessionmaker) as session:
        receipt = erase_profile(session, profile_id, actor=f"{actor} ({cli_actor()})",
                                reason=reason)  # fmt: skip
    _print_receipt(receipt, as_json)


@privacy_group.command("receipts")
@click.option("--profile", "profile_id", default=None,
              help="Only the erasure of this (former) profile id.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True)
@pass_state
def receipts_command(state: CliState, profile_id: str | None, as_json: bool) -> None:
    """Erasure receipts, newest first."""
    e = models.Erasure
    with unit_of_work(state.sessionmaker) as session:
        query = session.query(e).order_by(e.requested_at.desc())
        if profile_id is not None:
            query = query.filter(e.subject_digest == subject_digest(key_for(session), profile_id))
        receipts = [ErasureReceipt.from_model(row) for row in query]
    if as_json:
        click.echo(json.dumps([r.to_json() for r in receipts], indent=2))
        return
    if not receipts:
        click.echo("no erasures")
    for receipt in receipts:
        _print_receipt(receipt, False)


@privacy_group.command("suppressions")
@pass_state
def suppressions_command(state: CliState) -> None:
    """What the suppression list holds (counts by identifier kind, never values) and how
    many records it held back."""
    with unit_of_work(state.sessionmaker) as session:
        rows = suppression_summary(session)
    click.echo(f"{'kind':<16} {'entries':>8} {'held back':>10}  last held back")
    for row in rows:
        last = row.last_hit_at.isoformat() if row.last_hit_at else "-"
        click.echo(f"{row.kind:<16} {row.entries:>8} {row.hits:>10}  {last}")


def _time(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO date or time, e.g. 2026-12-01") from None
    if parsed.tzinfo is None:
        from datetime import UTC

        parsed = parsed.replace(tzinfo=UTC)
    return parsed


@click.command("audit")
@click.option("--action", default=None, help="Actions starting with this, e.g. 'privacy.'.")
@click.option("--actor", default=None)
@click.option("--target-type", default=None)
@click.option("--target", "target_id", default=None)
@click.option("--since", default=None, help="ISO date or time (UTC unless given).")
@click.option("--until", default=None, help="ISO date or time (UTC unless given).")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="JSON Lines, one entry per line.")
@pass_state
def audit_command(
    state: CliState,
    action: str | None,
    actor: str | None,
    target_type: str | None,
    target_id: str | None,
    since: str | None,
    until: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """The audit log of administrative actions, newest first (read-only: nothing edits it)."""
    filters = audit_log.AuditFilter(action, actor, target_type, target_id, _time(since),
                                    _time(until))  # fmt: skip
    with unit_of_work(state.sessionmaker) as session:
        rows = audit_log.list_entries(session, filters, limit=limit)
        entries: list[dict[str, Any]] = [
            {
                "id": r.id,
                "at": r.created_at.isoformat(),
                "actor": r.actor,
                "key_id": r.key_id,
                "action": r.action,
                "target": f"{r.target_type}:{r.target_id}",
                "outcome": r.outcome,
                "details": r.details,
            }
            for r in rows
        ]
    for entry in entries:
        if as_json:
            click.echo(json.dumps(entry, ensure_ascii=False))
        else:
            click.echo(
                f"{entry['id']:>6}  {entry['at'][:19]}  {entry['actor']:<24} {entry['action']:<20}"
                f" {entry['target']:<40} {entry['outcome']}"
            )
