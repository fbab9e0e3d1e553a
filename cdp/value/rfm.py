"""RFM: recency, frequency and monetary scores 1-5 by quintiles over the customers who have
ordered, the RFM code, the named RFM segments and the value tier.

Boundaries are computed in the database (`NTILE(5)` over each measure; the highest value of
each of the first four fifths is a cut) and stored as a `value_models` row of kind `rfm` with
the time they describe and their data size. A score counts the cuts a value passes, so equal
values always get equal scores (a measure with many ties, such as one-order customers, puts
them all in one score). Recency is days since the last order, fewer is better.

The segment comes from R and FM = round((F + M) / 2), first match in `RFM_SEGMENTS` (every
one of the 25 cells is covered; docs/value.md shows the grid).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, and_, case, cast, func, literal, select
from sqlalchemy.orm import Session

from cdp import models
from cdp.types import utcnow
from cdp.value.settings import ValueSettings

__all__ = ["RFM_SEGMENTS", "Boundaries", "RfmSegment", "boundaries", "score_values", "segment_of"]

KIND = "rfm"


@dataclass(frozen=True)
class RfmSegment:
    """A named segment: the recency score range and the FM score range, both inclusive."""

    name: str
    label: str
    recency: tuple[int, int]
    fm: tuple[int, int]
    description: str


RFM_SEGMENTS: tuple[RfmSegment, ...] = (
    RfmSegment("champions", "Champions", (4, 5), (4, 5), "Bought recently, buy often, spend most."),
    RfmSegment(
        "loyal_customers",
        "Loyal customers",
        (3, 4),
        (3, 5),
        "Spend well and often, fairly recently.",
    ),
    RfmSegment(
        "potential_loyalists",
        "Potential loyalists",
        (4, 5),
        (2, 3),
        "Recent customers with average frequency and spend.",
    ),
    RfmSegment("new_customers", "New customers", (5, 5), (1, 1), "Bought very recently, once."),
    RfmSegment(
        "promising", "Promising", (4, 4), (1, 1), "Recent shoppers who have not spent much."
    ),
    RfmSegment(
        "need_attention", "Need attention", (3, 3), (2, 2), "Middling recency, frequency, spend."
    ),
    RfmSegment(
        "about_to_sleep",
        "About to sleep",
        (3, 3),
        (1, 1),
        "Below average; will be lost if ignored.",
    ),
    RfmSegment(
        "cant_lose_them",
        "Can't lose them",
        (1, 2),
        (5, 5),
        "Bought most and most often, but long ago.",
    ),
    RfmSegment("at_risk", "At risk", (1, 2), (3, 4), "Spent and bought often, long ago."),
    RfmSegment("hibernating", "Hibernating", (2, 2), (1, 2), "Last order long ago, low spend."),
    RfmSegment("lost", "Lost", (1, 1), (1, 2), "Lowest recency, frequency and spend."),
)


def segment_of(recency: int, frequency: int, monetary: int) -> str:
    """The segment name for these scores (the same rule as the SQL)."""
    fm = (frequency + monetary + 1) // 2
    for segment in RFM_SEGMENTS:
        if (
            segment.recency[0] <= recency <= segment.recency[1]
            and segment.fm[0] <= fm <= segment.fm[1]
        ):
            return segment.name
    raise ValueError(f"no RFM segment covers R={recency} F={frequency} M={monetary}")


@dataclass(frozen=True)
class Boundaries:
    """Four ascending cuts per measure (empty: no customers yet), and the model's row."""

    recency: tuple[float, ...]
    frequency: tuple[float, ...]
    monetary: tuple[float, ...]
    as_of: datetime | None = None
    fitted_at: datetime | None = None
    data_size: int = 0

    def describe(self) -> str:
        if not self.recency:
            return "no customers: no RFM scores"
        return (
            f"quintile cuts over {self.data_size:,} customers: recency days {_cuts(self.recency)}, "
            f"orders {_cuts(self.frequency)}, spend (minor) {_cuts(self.monetary)}"
        )


def _cuts(values: tuple[float, ...]) -> str:
    return "/".join(f"{v:g}" for v in values)


def _fit(session: Session, as_of: datetime, source: Any) -> Boundaries:
    t = source.c
    customers = t.order_count > 0
    measures = {
        "recency": t.days_since_last_order,
        "frequency": t.order_count,
        "monetary": t.total_spend_minor,
    }
    cuts: dict[str, tuple[float, ...]] = {}
    size = int(session.scalar(select(func.count()).select_from(source).where(customers)) or 0)
    for name, column in measures.items():
        tiles = (
            select(column.label("v"), func.ntile(5).over(order_by=column).label("q"))
            .where(customers)
            .subquery()
        )
        rows = session.execute(
            select(tiles.c.q, func.max(tiles.c.v)).group_by(tiles.c.q).order_by(tiles.c.q)
        ).all()
        found = {int(q): float(v) for q, v in rows}
        cuts[name] = tuple(found[q] for q in range(1, 5) if q in found) if size >= 5 else ()
    now = utcnow()
    fitted = Boundaries(cuts["recency"], cuts["frequency"], cuts["monetary"], as_of, now, size)
    session.add(
        models.ValueModel(
            kind=KIND,
            as_of=as_of,
            fitted_at=now,
            data_size=size,
            params={k: list(v) for k, v in cuts.items()},
        )
    )
    session.flush()
    return fitted


def boundaries(session: Session, as_of: datetime, *, refit: bool, source: Any = None) -> Boundaries:
    """Fit and store new boundaries (`refit`), or load the latest stored (fitting when none)."""
    if not refit:
        row = latest(session, KIND)
        if row is not None:
            return Boundaries(
                tuple(row.params.get("recency", ())),
                tuple(row.params.get("frequency", ())),
                tuple(row.params.get("monetary", ())),
                row.as_of,
                row.fitted_at,
                row.data_size,
            )
    return _fit(session, as_of, models.ProfileTraits.__table__ if source is None else source)


def latest(session: Session, kind: str) -> models.ValueModel | None:
    m = models.ValueModel
    return session.scalars(
        select(m).where(m.kind == kind).order_by(m.as_of.desc(), m.fitted_at.desc()).limit(1)
    ).first()


def _score(value: Any, cuts: tuple[float, ...], *, lower_is_better: bool) -> Any:
    passed: Any = literal(0)
    for cut in cuts:
        passed = passed + case((value > cut, 1), else_=0)
    return (literal(5) - passed) if lower_is_better else (literal(1) + passed)


def _in(value: Any, bounds: tuple[int, int]) -> ColumnElement[bool]:
    return and_(value >= bounds[0], value <= bounds[1])


def score_values(cuts: Boundaries, settings: ValueSettings, source: Any = None) -> dict[str, Any]:
    """The RFM columns of a customer's row as SQL over its own columns (empty without cuts);
    `compute` writes them in the same INSERT as the predictions."""
    if not cuts.recency:
        return {}
    t = (models.ProfileTraits.__table__ if source is None else source).c
    r = _score(t.days_since_last_order, cuts.recency, lower_is_better=True)
    f = _score(t.order_count, cuts.frequency, lower_is_better=False)
    m = _score(t.total_spend_minor, cuts.monetary, lower_is_better=False)
    fm = (f + m + 1) // 2
    segment = case(
        *[(and_(_in(r, s.recency), _in(fm, s.fm)), literal(s.name)) for s in RFM_SEGMENTS]
    )
    total = r + f + m
    tier = case(
        (total >= settings.tier.high_min_score, literal("high")),
        (total >= settings.tier.medium_min_score, literal("medium")),
        else_=literal("low"),
    )
    return {
        "recency_score": r,
        "frequency_score": f,
        "monetary_score": m,
        "rfm_code": cast(r, String) + cast(f, String) + cast(m, String),
        "rfm_segment": segment,
        "value_tier": tier,
    }
