"""Wires the feedback analysis step into ingest (the composition root's job): after each
committed batch, the feedback rows of its records get language, sentiment and topics in a
unit of work of their own (`cdp.feedback.batch.analyze_pending`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from cdp.db import unit_of_work
from cdp.feedback.batch import AnalyzeResult, analyze_pending
from cdp.feedback.taxonomy import taxonomy_for

__all__ = ["OnBatch", "analyze_all_pending", "chain", "feedback_analyzer"]

OnBatch = Callable[[Sequence[int]], None]


def feedback_analyzer(factory: sessionmaker[Session], topics_file: Path | None) -> OnBatch:
    """A callback analysing the feedback of each committed batch of records."""
    taxonomy = taxonomy_for(topics_file)

    def on_batch(record_ids: Sequence[int]) -> None:
        with unit_of_work(factory) as session:
            analyze_pending(session, taxonomy=taxonomy, record_ids=record_ids)

    return on_batch


def analyze_all_pending(
    factory: sessionmaker[Session], topics_file: Path | None, *, everything: bool = False
) -> AnalyzeResult:
    with unit_of_work(factory) as session:
        return analyze_pending(session, taxonomy=taxonomy_for(topics_file), everything=everything)


def chain(*callbacks: OnBatch | None) -> OnBatch | None:
    """One callback running each given one in turn (None when none is given)."""
    chosen = [callback for callback in callbacks if callback is not None]
    if not chosen:
        return None

    def on_batch(record_ids: Sequence[int]) -> None:
        for callback in chosen:
            callback(record_ids)

    return on_batch
