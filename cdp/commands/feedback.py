"""`cdp feedback analyze [--all]`: language, sentiment and topics for stored feedback."""

from __future__ import annotations

import click

from cdp.commands._common import CliState, pass_state
from cdp.commands._feedback_hook import analyze_all_pending

__all__ = ["feedback_group"]


@click.group("feedback")
def feedback_group() -> None:
    """Customer feedback (docs/feedback.md)."""


@feedback_group.command("analyze")
@click.option(
    "--all",
    "everything",
    is_flag=True,
    help="Analyse every row again (after changing the topic taxonomy), not only pending ones.",
)
@pass_state
def analyze(state: CliState, everything: bool) -> None:
    """Analyse feedback still waiting for it (ingest does this after each batch)."""
    result = analyze_all_pending(
        state.sessionmaker, state.settings.feedback_topics_file, everything=everything
    )
    labels = ", ".join(f"{n:,} {label}" for label, n in sorted(result.by_label.items()))
    click.echo(f"analysed {result.analysed:,} feedback rows" + (f" ({labels})" if labels else ""))
