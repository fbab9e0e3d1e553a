"""`cdp recommend compute`: recompute product statistics and item-to-item scores
(docs/recommendations.md); run it after ingest (`cdp demo` does)."""

from __future__ import annotations

import click

from cdp.commands._common import CliState, pass_state
from cdp.db import unit_of_work
from cdp.recommend import RecommendSettings, compute

__all__ = ["recommend_group"]


@click.group("recommend")
def recommend_group() -> None:
    """Product recommendations (docs/recommendations.md)."""


@recommend_group.command("compute")
@click.option("--view-weight", type=click.FloatRange(0, 1), default=0.3, show_default=True,
              help="Weight of a product viewed but not bought (a purchase weighs 1).")  # fmt: skip
@click.option("--top", "top_k", type=click.IntRange(1, 500), default=50, show_default=True,
              help="Similar products kept per product.")  # fmt: skip
@pass_state
def compute_command(state: CliState, view_weight: float, top_k: int) -> None:
    """Recompute product statistics and item-to-item scores in the database."""
    settings = RecommendSettings(view_weight=view_weight, top_k=top_k)
    with unit_of_work(state.sessionmaker) as session:
        report = compute(session, settings)
    click.echo(
        f"recommendations: {report.products:,} products, {report.pairs:,} similar pairs "
        f"in {report.seconds:.1f}s"
    )
