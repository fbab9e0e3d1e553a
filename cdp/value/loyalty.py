"""Loyalty: a points ledger derived from facts, the balance, and a tier with the date reached.

Every ledger line names the fact it comes from (`kind`, `reference`, unique together):

- `order`: points per unit of base currency of a counted order's net value (an order counted
  once across sources, refunds deducted, as in `purchases.py`), expiring `expiry_days` later;
- `signup`: `signup_bonus` once per profile, for its earliest account record (kind `profile`);
- `review`: `review_bonus` per review (feedback of kind `review`);
- `redemption`: minus the `points` of a `Points Redeemed` event (`properties.points`);
- `award`: the points a flow's `add_points` step gave (`loyalty_awards`, unique per profile,
  flow and step: `cdp.activation.actions`), expiring as earned points do;
- `expiry`: minus the points of an earning line once it expired before `as_of`.

A refresh derives the lines of the profiles in scope again from the facts the profiles hold
now and writes the difference: their lines no fact gives any more are deleted, new or changed
ones upserted; a line of a fact now theirs that another profile still holds is taken over
(an upsert on the fact's kind and reference). So re-ingesting a fact changes
nothing, a merge hands the merged-away profile's facts (and so their points) to the survivor
without counting a sign-up twice, and a split gives each side the lines of its own facts back.
The balance is the sum of the lines before `as_of`, never below zero; the tier comes from the
points earned (positive lines, before expiry and redemptions) and `loyalty_tier_since` is when
the running total of earned points first reached that tier's threshold.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    null,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from cdp import models
from cdp.types import UTCDateTime
from cdp.value._sql import Scope, analyze, at, materialise
from cdp.value.purchases import DISTINCT_ORDERS
from cdp.value.settings import ValueSettings, currency_exponent

__all__ = ["REDEEMED_EVENT", "refresh"]

#: the tracked event that spends points (`properties.points`)
REDEEMED_EVENT = "Points Redeemed"


def _inline(value: str) -> Any:
    """A constant written into the SQL, so the planners match the partial indexes on it
    (`ix_events_redeemed`, `ix_source_records_accounts`: migration 20261207_value_ledger)."""
    return bindparam(None, value, String(), literal_execute=True)


def _points_of_event() -> Any:
    return cast(models.Event.properties["points"].as_string(), Integer)


def _ref(prefix: str, column: Any) -> Any:
    return literal(prefix) + cast(column, String)


def _entries(dialect: str, settings: ValueSettings, as_of: datetime, scope: Scope) -> Any:
    """Every ledger line the facts of the profiles in scope give, before `as_of`."""
    rules = settings.loyalty
    per_minor = rules.points_per_unit / 10 ** currency_exponent(settings.base_currency)
    # the scope's distinct orders, materialised by `purchases.fill_distinct_orders`
    orders = DISTINCT_ORDERS
    raw_points = orders.c.net * per_minor
    # whole points, rounded down (SQLite's CAST truncates, which is the floor for these
    # positive values; SQLAlchemy's SQLite floor() is a Python function)
    points = raw_points if dialect == "sqlite" else func.floor(raw_points)
    earned = select(
        orders.c.profile_id,
        literal("order").label("kind"),
        _ref("order:", orders.c.id).label("reference"),
        cast(points, BigInteger).label("points"),
        orders.c.placed_at.label("occurred_at"),
        orders.c.placed_at.label("earned_at"),
    ).where(orders.c.is_counted == 1)
    r = models.SourceRecord
    first_account = (
        select(
            r.profile_id,
            r.id,
            r.occurred_at,
            func.row_number()
            .over(partition_by=r.profile_id, order_by=(r.occurred_at, r.id))
            .label("rn"),
        )
        .where(r.kind == _inline("profile"), r.profile_id.is_not(None), r.occurred_at < at(as_of))
        .where(*scope.on(r.profile_id))
        .subquery("first_account")
    )
    signup = select(
        first_account.c.profile_id,
        literal("signup"),
        _ref("signup:", first_account.c.id),
        literal(rules.signup_bonus, BigInteger),
        first_account.c.occurred_at,
        first_account.c.occurred_at,
    ).where(first_account.c.rn == 1)
    f = models.Feedback
    reviews = (
        select(
            f.profile_id,
            literal("review"),
            _ref("review:", f.id),
            literal(rules.review_bonus, BigInteger),
            f.occurred_at,
            f.occurred_at,
        )
        .where(f.kind == "review", f.profile_id.is_not(None), f.occurred_at < at(as_of))
        .where(*scope.on(f.profile_id))
    )
    e = models.Event
    redeemed = (
        select(
            e.profile_id,
            literal("redemption"),
            _ref("redemption:", e.id),
            -func.abs(func.coalesce(_points_of_event(), 0)),
            e.occurred_at,
            literal(None).label("earned_at"),
        )
        .where(
            e.name == _inline(REDEEMED_EVENT), e.profile_id.is_not(None), e.occurred_at < at(as_of)
        )
        .where(*scope.on(e.profile_id))
    )
    a = models.LoyaltyAward
    awards = select(
        a.profile_id, literal("award"), _ref("award:", a.id), a.points, a.occurred_at, a.occurred_at
    ).where(a.occurred_at < at(as_of), *scope.on(a.profile_id))
    return union_all(earned, signup, reviews, redeemed, awards).subquery("loyalty_lines")


def _upsert(dialect: str, lines: Any, *, cleared: bool = False) -> Any:
    """INSERT these ledger lines; a line whose fact already has one (unique kind and
    reference) takes its place. That is how a fact that moved here from a profile outside the
    scope takes its line (and its expiry line) along, without a search for such lines.
    `cleared` (a full run, the ledger emptied): a plain INSERT (nothing can conflict, and the
    upsert's speculative insertion costs more per line)."""
    make = sqlite_insert if dialect == "sqlite" else pg_insert
    statement = make(models.LoyaltyEntry).from_select(_COLUMNS, lines)
    if cleared:
        return statement
    return statement.on_conflict_do_update(
        index_elements=["kind", "reference"],
        set_={name: statement.excluded[name] for name in _COLUMNS if name != "kind"},
    )


#: the lines a refresh's facts give (a refresh of some profiles), compared with the ledger
LINES = Table(
    "_value_lines",
    MetaData(),
    Column("profile_id", String(40)),
    Column("kind", String(20), primary_key=True),
    Column("reference", String(100), primary_key=True),
    Column("points", BigInteger),
    Column("occurred_at", UTCDateTime()),
    Column("expires_at", UTCDateTime()),
    prefixes=["TEMPORARY"],
)
_COLUMNS = ["profile_id", "kind", "reference", "points", "occurred_at", "expires_at"]


def refresh(
    session: Session,
    settings: ValueSettings,
    as_of: datetime,
    scope: Scope,
    *,
    cleared: bool = False,
) -> Table:
    """Derive the ledger lines of the profiles in scope (the scope's distinct orders must be in
    `purchases.DISTINCT_ORDERS`) and return a temporary table of their totals (`profile_id`,
    `loyalty_points`, `loyalty_tier`, `loyalty_tier_since`), one row per profile with lines.
    `cleared`: the caller emptied the ledger (a full run): the lines are inserted. Otherwise
    the lines are derived into `LINES` and only the difference is written: the scope's lines
    that no fact gives any more (or gives otherwise) are deleted, the new ones upserted; a
    batch adds a line or two to profiles that hold several, and rewriting them all (delete,
    insert, their index entries and foreign-key checks) was most of a refresh's ledger time."""
    dialect = session.get_bind().dialect.name
    expiry = timedelta(days=settings.loyalty.expiry_days)
    lines = _entries(dialect, settings, as_of, scope)
    expires = case(
        (lines.c.kind.in_(("order", "signup", "review", "award")), lines.c.occurred_at),
    )
    facts = select(
        lines.c.profile_id,
        lines.c.kind,
        lines.c.reference,
        lines.c.points,
        lines.c.occurred_at,
        _plus(dialect, expires, expiry),
    ).where(lines.c.points != 0)
    if cleared:
        session.execute(_upsert(dialect, facts, cleared=True))
        session.execute(_upsert(dialect, _expired(models.LoyaltyEntry, as_of, scope), cleared=True))
    else:
        LINES.create(session.connection(), checkfirst=True)
        session.execute(LINES.delete())
        session.execute(insert(LINES).from_select(_COLUMNS, facts))
        session.execute(insert(LINES).from_select(_COLUMNS, _expired(LINES, as_of, Scope())))
        analyze(session, LINES.name, "kind", "reference", "profile_id")
        _write_difference(session, dialect, scope)
    return materialise(session, "_value_loyalty", _totals(settings, as_of, scope))


def _write_difference(session: Session, dialect: str, scope: Scope) -> None:
    """Make the scope's ledger lines those of `LINES`, writing only what differs."""
    ledger: Table = models.LoyaltyEntry.__table__  # type: ignore[assignment]
    line = LINES.c

    def same(other: Any) -> list[Any]:
        return [
            line.kind == other.kind,
            line.reference == other.reference,
            line.profile_id == other.profile_id,
            line.points == other.points,
            line.occurred_at == other.occurred_at,
            line.expires_at.is_not_distinct_from(other.expires_at),
        ]

    kept = select(line.kind).where(*same(ledger.c))
    session.execute(
        delete(ledger)
        .where(*scope.on(ledger.c.profile_id), ~kept.exists())
        .execution_options(synchronize_session=False)
    )
    present = select(ledger.c.id).where(*same(ledger.c))
    session.execute(_upsert(dialect, select(*[line[c] for c in _COLUMNS]).where(~present.exists())))


def _plus(dialect: str, moment: Any, delta: timedelta) -> Any:
    if dialect == "sqlite":
        return func.strftime(
            "%Y-%m-%d %H:%M:%f000", moment, f"+{int(delta.total_seconds())} seconds"
        )
    return moment + literal(delta)


def _expired(source: Any, as_of: datetime, scope: Scope) -> Any:
    """An `expiry` line for each earning line of `source` (the ledger, or `LINES`) in scope
    that expired before `as_of`."""
    line = source.c if isinstance(source, Table) else source.__table__.c
    return select(
        line.profile_id,
        literal("expiry"),
        literal("expiry:") + line.reference,
        -line.points,
        line.expires_at,
        literal(None),
    ).where(
        line.expires_at.is_not(None),
        line.expires_at <= at(as_of),
        line.points > 0,
        *scope.on(line.profile_id),
    )


def _totals(settings: ValueSettings, as_of: datetime, scope: Scope) -> Any:
    """Per profile with lines: the balance (never below zero), the tier of the points earned
    and when the running total of earned points first reached it; one pass over the lines."""
    ledger = models.LoyaltyEntry
    tiers = sorted(settings.loyalty.tiers.items(), key=lambda item: item[1])
    gained = case((ledger.points > 0, ledger.points), else_=0)
    running = (
        select(
            ledger.profile_id,
            ledger.occurred_at,
            ledger.points,
            func.sum(gained)
            .over(
                partition_by=ledger.profile_id,
                order_by=(ledger.occurred_at, ledger.id),
            )
            .label("earned"),
        )
        .where(*scope.on(ledger.profile_id))
        .subquery("earned_running")
    )
    reached = [
        func.min(
            case(
                (
                    (running.c.points > 0) & (running.c.earned >= threshold),
                    running.c.occurred_at,
                )
            )
        )
        for _, threshold in tiers
    ]
    tier: Any = (
        case(
            *[
                (reached[i].is_not(None), literal(name))
                for i, (name, _) in reversed(list(enumerate(tiers)))
            ]
        )
        if tiers
        else null()
    )
    since: Any = (
        case(*[(reached[i].is_not(None), reached[i]) for i, _ in reversed(list(enumerate(tiers)))])
        if tiers
        else null()
    )
    balance = func.sum(case((running.c.occurred_at < at(as_of), running.c.points), else_=0))
    return select(
        running.c.profile_id,
        cast(case((balance > 0, balance), else_=0), BigInteger).label("loyalty_points"),
        cast(tier, String(30)).label("loyalty_tier"),
        type_coerce(since, UTCDateTime()).label("loyalty_tier_since"),
    ).group_by(running.c.profile_id)
