"""Compute and store every trait of `profile_traits`, for some profiles or for all.

The work is set-based: per chunk of profiles, the loyalty ledger is derived (`loyalty.py`),
each trait family is materialised one row per profile in a temporary table (purchases,
favourites, engagement, loyalty totals: `purchases.py`, `engagement.py`) and one INSERT ...
SELECT joins them into the staging table `_value_base`; the models are fitted on it (a full
run); then one INSERT per chunk writes each `profile_traits` row once, complete, with the RFM
scores (`rfm.py`), the lifetime-value predictions (`clv.py`) and the lifecycle stage.
A full run refits the models (RFM boundaries, BG/NBD, Gamma-Gamma) and stores them; a refresh
of some profiles scores them with the stored models, so a refresh costs what its profiles cost.

Every figure describes `as_of` (default: now) and uses only what happened before it.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    Table,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    select,
    text,
)
from sqlalchemy.orm import Session

from cdp import models
from cdp.types import utcnow
from cdp.value import clv, lifecycle, loyalty, rfm
from cdp.value._sql import Scope, analyze, at, fill_scope, materialise
from cdp.value.engagement import PREFERENCE_DAYS, engagement_query
from cdp.value.purchases import (
    categories_query,
    fill_distinct_orders,
    fill_product_categories,
    products_query,
    purchase_days_query,
    purchases_query,
)
from cdp.value.settings import ValueSettings

__all__ = ["TraitsReport", "compute_traits", "stale_profiles"]

#: profiles per range in a full run (ranges of ids, so no id list is sent)
FULL_RANGE = 200_000

Progress = Callable[[str, int], None]

#: the first pass's rows, staged so that each `profile_traits` row is written once, complete
#: (an UPDATE of the scores, predictions and lifecycle after the fits rewrote every row and
#: its index entries: 48 s of a full run at 1M profiles)
BASE = Table(
    "_value_base",
    MetaData(),
    *[
        Column(c.name, c.type, primary_key=c.primary_key)
        for c in models.ProfileTraits.__table__.columns
    ],
    prefixes=["TEMPORARY"],
)


@dataclass
class TraitsReport:
    """What a computation did."""

    as_of: datetime
    profiles: int = 0
    customers: int = 0
    unconverted_orders: int = 0
    models: dict[str, str] = field(default_factory=dict)
    #: wall seconds per phase
    seconds: dict[str, float] = field(default_factory=dict)


class _Clock:
    """Adds the time since the last call to a phase's total."""

    def __init__(self, into: dict[str, float]) -> None:
        self.into = into
        self.last = time.perf_counter()

    def __call__(self, phase: str) -> None:
        now = time.perf_counter()
        self.into[phase] = self.into.get(phase, 0.0) + now - self.last
        self.last = now


def _no_progress(_phase: str, _done: int) -> None:
    return None


def _id_ranges(session: Session) -> list[Scope]:
    """Ranges [lo, hi) of active profile ids, about FULL_RANGE profiles each."""
    p = models.Profile
    numbered = (
        select(p.id, func.row_number().over(order_by=p.id).label("n"))
        .where(p.status == models.ProfileStatus.ACTIVE.value)
        .subquery()
    )
    cuts = list(
        session.scalars(
            select(numbered.c.id)
            .where((numbered.c.n - 1) % FULL_RANGE == 0)
            .where(numbered.c.n > 1)
            .order_by(numbered.c.id)
        )
    )
    bounds: list[str | None] = [None, *cuts, None]
    return [Scope(lo=lo, hi=hi) for lo, hi in itertools.pairwise(bounds)]


def _insert_base(
    session: Session, settings: ValueSettings, as_of: datetime, scope: Scope, *, cleared: bool
) -> int:
    """Write the purchase, engagement and loyalty columns of the profiles in scope (their
    ledger lines first); returns how many. `cleared`: the ledger was emptied (a full run)."""
    dialect = session.get_bind().dialect.name
    p = models.Profile
    fill_distinct_orders(session, settings, as_of, scope)
    if scope.ids is not None:  # a full run filled them once for every product
        fill_product_categories(session, every=False)
    # each family materialised one row per profile, then joined by primary key
    loyal = loyalty.refresh(session, settings, as_of, scope, cleared=cleared)
    b = materialise(session, "_value_purchases", purchases_query(dialect, as_of))
    days = materialise(session, "_value_purchase_days", purchase_days_query(dialect))
    c = materialise(session, "_value_categories", categories_query(dialect))
    d = materialise(session, "_value_products", products_query())
    e = materialise(session, "_value_engagement", engagement_query(dialect, as_of, scope))
    since_pref = at(as_of - timedelta(days=PREFERENCE_DAYS))
    store_actions = case((b.c.last_order_at >= since_pref, 1), else_=0)
    email_n = func.coalesce(e.c.email_actions, 0)
    web_n = func.coalesce(e.c.web_actions, 0)
    social_n = func.coalesce(e.c.social_actions, 0)
    store_n = func.coalesce(store_actions, 0)
    preferred = case(
        (email_n + web_n + social_n + store_n == 0, None),
        (
            (email_n >= web_n) & (email_n >= social_n) & (email_n >= store_n),
            literal("email"),
        ),
        ((web_n >= social_n) & (web_n >= store_n), literal("web")),
        (social_n >= store_n, literal("social")),
        else_=literal("store"),
    )
    sent = e.c.sent

    def rate(n: Any) -> Any:
        return case((sent > 0, case((n >= sent, 1.0), else_=n * 1.0 / sent)))

    now = utcnow()
    columns: dict[str, Any] = {
        "profile_id": p.id,
        "computed_at": at(now),
        "as_of": at(as_of),
        "first_order_at": b.c.first_order_at,
        "last_order_at": b.c.last_order_at,
        "order_count": func.coalesce(b.c.order_count, 0),
        "total_spend_minor": func.coalesce(b.c.total_spend_minor, 0),
        "average_order_minor": b.c.average_order_minor,
        "refunded_minor": func.coalesce(b.c.refunded_minor, 0),
        "cancelled_orders": func.coalesce(b.c.cancelled_orders, 0),
        "unconverted_orders": func.coalesce(b.c.unconverted_orders, 0),
        "days_since_last_order": b.c.days_since_last_order,
        "average_days_between_orders": b.c.average_days_between_orders,
        "purchase_days": func.coalesce(days.c.purchase_days, 0),
        "repeat_day_average_minor": days.c.repeat_day_average_minor,
        "favourite_category": c.c.favourite_category,
        "favourite_product": d.c.favourite_product,
        "favourite_categories": func.coalesce(c.c.favourite_categories, _empty_json_array(dialect)),
        "historical_value_minor": func.coalesce(b.c.total_spend_minor, 0),
        "email_open_rate": rate(e.c.opened),
        "email_click_rate": rate(e.c.clicked),
        "last_email_engagement_at": e.c.last_email_at,
        "last_web_at": e.c.last_web_at,
        "last_social_at": e.c.last_social_at,
        "last_store_at": b.c.last_store_at,
        "web_sessions_30d": cast(func.coalesce(e.c.web_sessions_30d, 0), Integer),
        "page_views_30d": cast(func.coalesce(e.c.page_views_30d, 0), Integer),
        "social_interactions": func.coalesce(e.c.social_interactions, 0),
        "preferred_channel": preferred,
        "best_send_hour": e.c.best_send_hour,
        "loyalty_points": func.coalesce(loyal.c.loyalty_points, 0),
        "loyalty_tier": loyal.c.loyalty_tier,
        "loyalty_tier_since": loyal.c.loyalty_tier_since,
        "lifecycle_stage": case((func.coalesce(b.c.order_count, 0) == 0, "prospect")),
    }
    source = (
        select(*[value.label(name) for name, value in columns.items()])
        .select_from(p)
        .outerjoin(b, b.c.profile_id == p.id)
        .outerjoin(days, days.c.profile_id == p.id)
        .outerjoin(c, c.c.profile_id == p.id)
        .outerjoin(d, d.c.profile_id == p.id)
        .outerjoin(e, e.c.profile_id == p.id)
        .outerjoin(loyal, loyal.c.profile_id == p.id)
        .where(p.status == models.ProfileStatus.ACTIVE.value, *scope.on(p.id))
    )
    session.execute(insert(BASE).from_select(list(columns), source))
    analyze(session, BASE.name, "profile_id", "order_count")
    # counted, not taken from rowcount: psycopg reports -1 for this INSERT ... SELECT
    counted = select(func.count()).select_from(BASE).where(*scope.on(BASE.c.profile_id))
    return int(session.scalar(counted) or 0)


def _write_rows(
    session: Session, settings: ValueSettings, scope: Scope, scores: dict[str, Any], clv_rows: Any
) -> None:
    """Write the scope's `profile_traits` rows: the staged columns, and for customers (rows of
    the predictions table) the scores, predictions and lifecycle stage."""
    v = clv_rows
    customer = v.c.profile_id.is_not(None)
    columns: dict[str, Any] = {c.name: BASE.c[c.name] for c in BASE.columns}
    for name, value in scores.items():
        columns[name] = case((customer, value))
    for name in ("predicted_orders", "predicted_value_minor", "probability_alive", "clv_method"):
        columns[name] = v.c[name]
    columns["lifecycle_stage"] = case(
        (customer, lifecycle.stage_value(settings, v.c.probability_alive, BASE)),
        else_=BASE.c.lifecycle_stage,
    )
    source = (
        select(*[value.label(name) for name, value in columns.items()])
        .select_from(BASE.outerjoin(v, v.c.profile_id == BASE.c.profile_id))
        .where(*scope.on(BASE.c.profile_id))
    )
    session.execute(insert(models.ProfileTraits).from_select(list(columns), source))


def _empty_json_array(dialect: str) -> Any:
    if dialect == "sqlite":
        return func.json_array()
    return cast(literal("[]"), models.ProfileTraits.favourite_categories.type)


def compute_traits(
    session: Session,
    profile_ids: Sequence[str] | None,
    *,
    settings: ValueSettings,
    as_of: datetime | None = None,
    progress: Progress = _no_progress,
    refit: bool | None = None,
) -> TraitsReport:
    """(Re)compute the traits of these profiles (None: every profile). `refit`: fit and store
    new models (RFM cuts, BG/NBD, Gamma-Gamma) first; by default only for every profile, a
    refresh of some scoring them with the stored models (fitted when there are none).

    Rows of profiles that are no longer active (merged away, erased) are deleted.
    """
    if refit is None:
        refit = profile_ids is None
    moment = as_of or utcnow()
    report = TraitsReport(as_of=moment)
    t = models.ProfileTraits
    clock = _Clock(report.seconds)
    if session.get_bind().dialect.name == "postgresql":
        # The planner's row estimates for these nested aggregates are far too high, which
        # switches JIT on: compiling took 9 of 13 s for 20k profiles, and saves nothing here.
        session.execute(text("SET LOCAL jit = off"))
        if profile_ids is not None:
            # A refresh reads a few rows per touched profile through the profile_id indexes;
            # with the default random_page_cost (4, for spinning disks) the planner preferred
            # scanning all 13M events (2.6 s of a 10k refresh at 1M profiles).
            session.execute(text("SET LOCAL random_page_cost = 1.1"))
    BASE.create(session.connection(), checkfirst=True)
    session.execute(BASE.delete())
    if profile_ids is None:
        session.execute(delete(t))
        session.execute(delete(models.LoyaltyEntry).execution_options(synchronize_session=False))
        fill_product_categories(session, every=True)
        scopes = _id_ranges(session)
    else:
        ids = sorted(set(profile_ids))
        if not ids:
            return report
        fill_scope(session, ids)
        scopes = [Scope(ids=tuple(ids), is_table=True)]
    clock("delete")
    for scope in scopes:
        if scope.ids is not None:
            session.execute(delete(t).where(*scope.on(t.profile_id)))
        report.profiles += _insert_base(
            session, settings, moment, scope, cleared=profile_ids is None
        )
        progress("purchases, engagement and loyalty", report.profiles)
    clock("purchases, engagement and loyalty")
    boundaries = rfm.boundaries(session, moment, refit=refit, source=BASE)
    report.models["rfm"] = boundaries.describe()
    clock("rfm cuts")
    fitted = clv.model(session, settings, moment, refit=refit, source=BASE)
    report.models["clv"] = fitted.describe()
    clock("clv fit")
    scores = rfm.score_values(boundaries, settings, BASE)
    done = 0
    for scope in scopes:
        predicted = clv.predict(session, fitted, settings, moment, scope, BASE)
        _write_rows(session, settings, scope, scores, predicted)
        clock("scores, predictions, lifecycle")
        done += len(scope.ids) if scope.ids is not None else FULL_RANGE
        progress("scores, lifetime value, lifecycle", min(done, report.profiles))
    if profile_ids is None:
        report.customers = int(
            session.scalar(select(func.count()).select_from(t).where(t.order_count > 0)) or 0
        )
        report.unconverted_orders = int(session.scalar(select(func.sum(t.unconverted_orders))) or 0)
        _analyze(session, t.__tablename__, models.LoyaltyEntry.__tablename__)
    return report


def _analyze(session: Session, *tables: str) -> None:
    """Fresh statistics for tables a full run rewrote (PostgreSQL). Without them the next
    refresh's plans assumed the sizes of the last ANALYZE (none, on a new database: it then
    scanned the whole 2.5M-line ledger to delete 10k profiles' lines); autovacuum may be off
    or hours behind. It reads a sample (about a second for 2.5M rows)."""
    if session.get_bind().dialect.name == "postgresql":
        for table in tables:
            session.execute(text(f"ANALYZE {table}"))


def stale_profiles(session: Session, as_of: datetime) -> tuple[list[str], int]:
    """The active profiles whose traits are stale on `as_of`'s day, and how many are active.

    Stale: no row yet, or a row describing an earlier day (days since the last order, the
    30-day windows, recency and expiry move with the calendar), or a row of a profile that is
    no longer active (the refresh deletes it: merged away, erased). Rows the refresh after each
    batch keeps current are not stale."""
    p, t = models.Profile, models.ProfileTraits
    day = as_of.replace(hour=0, minute=0, second=0, microsecond=0)
    active = p.status == models.ProfileStatus.ACTIVE.value
    total = int(session.scalar(select(func.count()).select_from(p).where(active)) or 0)
    stale = (
        select(p.id)
        .outerjoin(t, t.profile_id == p.id)
        .where(active, (t.profile_id.is_(None)) | (t.as_of < at(day)))
    )
    gone = select(t.profile_id).join(p, p.id == t.profile_id).where(~active)
    ids = sorted(set(session.scalars(stale)) | set(session.scalars(gone)))
    return ids, total
