"""The analysis batch step: language, sentiment and topics for feedback rows stored without
them (every row that arrives through ingest: mapping files, the X adapter, pushed records,
feedback a product app sent with an identifier).

Ingest stores feedback as the source states it; the composition root runs `analyze_pending`
right after each stored batch (next to identity resolution), and `cdp feedback analyze`
runs it over whatever is still pending, or over every row with `--all` after the taxonomy or
lexicons changed. A row is pending while its `sentiment_label` is null (a partial index keeps
finding them cheap). Works on a sync session; async callers use `session.run_sync`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from cdp import models
from cdp.feedback.analysis import analyze, refine_kind
from cdp.feedback.taxonomy import Taxonomy
from cdp.types import utcnow

__all__ = ["BATCH_SIZE", "AnalyzeResult", "analyze_pending"]

BATCH_SIZE = 500


@dataclass(frozen=True)
class AnalyzeResult:
    analysed: int
    by_label: dict[str, int]


def analyze_pending(
    session: Session,
    *,
    taxonomy: Taxonomy | None = None,
    record_ids: Sequence[int] | None = None,
    everything: bool = False,
    batch_size: int = BATCH_SIZE,
) -> AnalyzeResult:
    """Analyse pending rows (only those of `record_ids` when given; every row when
    `everything`), `batch_size` rows per statement; returns how many, by label."""
    f = models.Feedback
    conditions = [] if everything else [f.sentiment_label.is_(None)]
    if record_ids is not None:
        if not record_ids:
            return AnalyzeResult(0, {})
        conditions.append(f.record_id.in_(list(record_ids)))
    by_label: dict[str, int] = {}
    last_id = 0
    while True:
        columns = (f.id, f.kind, f.text, f.rating, f.nps, f.csat, f.topic)
        rows = session.execute(
            select(*columns).where(*conditions, f.id > last_id).order_by(f.id).limit(batch_size)
        ).all()
        if not rows:
            return AnalyzeResult(sum(by_label.values()), by_label)
        last_id = rows[-1].id
        _write(session, rows, taxonomy, by_label)


def _write(
    session: Session, rows: Sequence[Any], taxonomy: Taxonomy | None, tally: dict[str, int]
) -> None:
    now = utcnow()
    updates: list[dict[str, Any]] = []
    topics: list[dict[str, Any]] = []
    for row in rows:
        found = analyze(
            row.text,
            rating=row.rating,
            nps=row.nps,
            csat=row.csat,
            stated_topic=row.topic,
            taxonomy=taxonomy,
        )
        updates.append(
            {
                "row_id": row.id,
                "kind": refine_kind(row.kind, row.text, found),
                "language": found.language,
                "sentiment": found.sentiment,
                "sentiment_label": found.label,
                "updated_at": now,
            }
        )
        topics.extend({"feedback_id": row.id, "topic": topic} for topic in found.topics)
        tally[found.label] = tally.get(found.label, 0) + 1
    feedback = models.Base.metadata.tables["feedback"]
    session.execute(update(feedback).where(feedback.c.id == bindparam("row_id")), updates)
    ids = [u["row_id"] for u in updates]
    session.execute(delete(models.FeedbackTopic).where(models.FeedbackTopic.feedback_id.in_(ids)))
    if topics:
        session.execute(insert(models.Base.metadata.tables["feedback_topics"]), topics)
