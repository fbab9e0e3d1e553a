"""`cdp schema export`: write the GraphQL schema's SDL (kept in the repo as `schema.graphql`)."""

from __future__ import annotations

from pathlib import Path

import click

from cdp.commands._common import CliState, pass_state


def render_sdl(state: CliState) -> str:
    from schema import build_schema

    return build_schema(state.settings).as_str() + "\n"


@click.group("schema")
def schema() -> None:
    """The GraphQL schema."""


@schema.command("export")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("schema.graphql"),
    show_default=True,
    help="Where to write the SDL ('-' for standard output).",
)
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if the file differs.")
@pass_state
def export(state: CliState, output: Path, check: bool) -> None:
    """Write the schema's SDL, or check that the written one is current."""
    sdl = render_sdl(state)
    if str(output) == "-":
        click.echo(sdl, nl=False)
        return
    if check:
        current = output.read_text(encoding="utf-8") if output.exists() else None
        if current != sdl:
            raise click.ClickException(
                f"{output} is out of date with the schema; run `cdp schema export -o {output}` "
                "and review the diff"
            )
        click.echo(f"{output} is up to date")
        return
    output.write_text(sdl, encoding="utf-8")
    click.echo(f"wrote {output} ({sdl.count(chr(10))} lines)")
