"""`cdp identity model show|load`: the matching model a data engineer can see and change."""

from __future__ import annotations

import json
from pathlib import Path

import click

import identity
from cdp.commands._common import CliState, pass_state
from cdp.db import unit_of_work

__all__ = ["model_group"]


@click.group("model")
def model_group() -> None:
    """Show or load the matching model (comparisons, levels, weights, thresholds)."""


@model_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print the model file (JSON) to edit.")
@pass_state
def show_command(state: CliState, as_json: bool) -> None:
    """Print the active model (the built-in one until a model is trained or loaded)."""
    with unit_of_work(state.sessionmaker) as session:
        model = identity.current_model(session)
    if as_json:
        # Without its version: an edited file is then accepted as a new model.
        click.echo(json.dumps(model.to_dict(with_version=False), indent=2, sort_keys=True))
        return
    for line in identity.describe_model(model):
        click.echo(line)


@model_group.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_state
def load_command(state: CliState, path: Path) -> None:
    """Validate the model file PATH and make it the active model; every problem is reported
    at once. Incremental runs use it; `cdp identity resolve --full --keep-model` rebuilds
    every profile with it (a plain `--full` trains a new model from the data)."""
    with unit_of_work(state.sessionmaker) as session:
        try:
            model = identity.load_model_file(session, path.read_text(encoding="utf-8"))
        except identity.InvalidInputError as exc:
            raise click.ClickException(
                f"{path}: {len(exc.problems)} problem(s):\n  " + "\n  ".join(exc.problems)
            ) from None
    click.echo(f"loaded model {model.version} from {path}: now the active model")
