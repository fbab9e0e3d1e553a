from __future__ import annotations

import click

from cdp import audit
from cdp.commands._common import CliState, pass_state
from cdp.commands.privacy import cli_actor
from cdp.db import unit_of_work
from cdp.services import keys as key_service


@click.group("keys", invoke_without_command=True)
@click.pass_context
def keys(ctx: click.Context) -> None:
    """Create, list and revoke API keys and per-source write keys (listed when run alone)."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_command)


@keys.command("create")
@click.option("--role", type=click.Choice(key_service.ROLES), required=True)
@click.option("--name", default=None, help="A label to recognise the key by.")
@click.option("--source", "source_name", default=None, help="The source a write key pushes to.")
@pass_state
def create(state: CliState, role: str, name: str | None, source_name: str | None) -> None:
    """Create a key and print it on the last line (it is shown only this once)."""
    with unit_of_work(state.sessionmaker) as session:
        created = key_service.create_key(
            session, role=role, name=name or f"{role} key", source_name=source_name
        )
        audit.record(
            session,
            actor=cli_actor(),
            action="keys.create",
            target_type="api_key",
            target_id=str(created.id),
            details={"role": created.role, "source": created.source},
        )
    bound = f" for source {created.source}" if created.source else ""
    click.echo(f"created {created.role} key #{created.id} ({created.name}){bound}", err=True)
    click.echo(created.key)


@keys.command("list")
@pass_state
def list_command(state: CliState) -> None:
    """List keys (never their secrets)."""
    with unit_of_work(state.sessionmaker) as session:
        infos = key_service.list_keys(session)
    click.echo(f"{'id':>4}  {'prefix':<12}  {'role':<8}  {'source':<16}  {'status':<8}  name")
    for info in infos:
        status = "revoked" if info.revoked_at else "active"
        click.echo(
            f"{info.id:>4}  {info.prefix:<12}  {info.role:<8}  {info.source or '-':<16}  "
            f"{status:<8}  {info.name}"
        )


@keys.command("revoke")
@click.argument("key_id")
@pass_state
def revoke(state: CliState, key_id: str) -> None:
    """Revoke the key with this id or prefix."""
    with unit_of_work(state.sessionmaker) as session:
        info = key_service.revoke_key(session, key_id)
        audit.record(
            session,
            actor=cli_actor(),
            action="keys.revoke",
            target_type="api_key",
            target_id=str(info.id),
            details={"role": info.role},
        )
    click.echo(f"revoked key #{info.id} ({info.prefix}, {info.role})")
