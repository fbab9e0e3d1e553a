"""Lifetime value: BG/NBD for the number of future orders, Gamma-Gamma for their value.

A full run fits both on every customer's history as of the run's date and stores the
parameters (`value_models` rows of kind `bgnbd` and `gamma_gamma`, with the date described,
the fit time and the number of customers); a refresh predicts with the latest stored fit.
Purchases are counted by day and valued as the models were published (Fader, Hardie and Lee
2005, on CDNOW): x is the number of days with an order after the first, m the average spend
of those repeat days (`profile_traits.purchase_days`, `repeat_day_average_minor`); fed
CDNOW's transaction log through a mapping file, the stored fit is the published one
(`tests/value/test_cdnow_pipeline.py`). For BG/NBD, customers with the same (x, week to
last purchase, age in weeks) are grouped in SQL, weighted and fitted at their mean t_x and
T, so a fit costs the distinct histories, not the customers; Gamma-Gamma is fitted on each
repeat customer's own (x, m).

Fallback (`clv_method = "fallback_average"`): when no model could be fitted (fewer repeat
customers than `min_repeat_customers`, or the optimiser failed) or the customer's first order
is less than `MIN_HISTORY_DAYS` old, the predicted orders are the population's repeat-order
rate per day of age times the horizon, their value the customer's own average order, and the
probability of being active is left empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import psycopg
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.orm import Session

from cdp import models
from cdp.types import utcnow
from cdp.value._sql import Scope, analyze, at, day_of, days_from
from cdp.value.btyd import BgNbd, FitError, GammaGamma, fit_bgnbd, fit_gamma_gamma
from cdp.value.rfm import latest
from cdp.value.settings import ValueSettings

__all__ = ["MIN_HISTORY_DAYS", "Fitted", "model", "predict"]

MIN_HISTORY_DAYS = 30
MODEL = "bgnbd_gg"
FALLBACK = "fallback_average"

_values = Table(
    "_value_clv",
    MetaData(),
    Column("profile_id", String(40), primary_key=True),
    Column("predicted_orders", Float),
    Column("predicted_value_minor", Integer),
    Column("probability_alive", Float),
    Column("clv_method", String(30)),
    prefixes=["TEMPORARY"],
)


@dataclass(frozen=True)
class Fitted:
    """The models to predict with; None when they could not be fitted (why: `reason`)."""

    bgnbd: BgNbd | None
    gamma_gamma: GammaGamma | None
    repeat_rate_per_day: float
    data_size: int
    reason: str = ""

    def describe(self) -> str:
        if self.bgnbd is None or self.gamma_gamma is None:
            return f"fallback for everyone: {self.reason}"
        m, g = self.bgnbd, self.gamma_gamma
        return (
            f"BG/NBD r={m.r:.4g} alpha={m.alpha:.4g} a={m.a:.4g} b={m.b:.4g}, "
            f"Gamma-Gamma p={g.p:.4g} q={g.q:.4g} gamma={g.gamma:.4g} "
            f"({self.data_size:,} customers)"
        )


def _histories(session: Session, as_of: datetime, scope: Scope, source: Any) -> Any:
    """(profile_id, x, t_x days, T days, m, average order) of customers, from `source` (a
    table with `profile_traits`' columns): x the repeat purchases, counted by day, and m the
    average spend of those repeat purchase days, as the models define them (`purchase_days`)."""
    t = source.c
    dialect = session.get_bind().dialect.name
    first = day_of(dialect, t.first_order_at)
    # in whole days, to the last day before `as_of` (a calibration period ending on a day)
    last_day = day_of(dialect, at(as_of - timedelta(microseconds=1)))
    return select(
        t.profile_id,
        (t.purchase_days - 1).label("x"),
        days_from(dialect, day_of(dialect, t.last_order_at), first).label("t_x"),
        days_from(dialect, last_day, first).label("age"),
        t.repeat_day_average_minor.label("m"),
        t.average_order_minor.label("average_order"),
    ).where(t.order_count > 0, *scope.on(t.profile_id))


def _fit(session: Session, settings: ValueSettings, as_of: datetime, source: Any) -> Fitted:
    h = _histories(session, as_of, Scope(), source).subquery()
    # histories grouped by week: a fit then costs at most a few tens of thousands of distinct
    # histories however many customers there are; each group is fitted at its members' mean
    # t_x and T (not the week's middle, which moved CDNOW's a and b by 2%: now within 0.1%)
    x_d = h.c.x
    tx_d = func.round(h.c.t_x / 7.0)
    age_d = func.round(h.c.age / 7.0)
    grouped = session.execute(
        select(x_d, func.avg(h.c.t_x), func.avg(h.c.age), func.count()).group_by(x_d, tx_d, age_d)
    ).all()
    data = np.array([[float(v) for v in row] for row in grouped]) if grouped else np.zeros((0, 4))
    x, t_x, age, w = (data[:, i] for i in range(4))
    # Gamma-Gamma on each repeat customer's own (x, m), grouped only where they are equal
    # (m in minor units): averaging m over customers would hide its spread, which it fits
    spends = session.execute(
        select(h.c.x, h.c.m, func.count()).where(h.c.x > 0, h.c.m > 0).group_by(h.c.x, h.c.m)
    ).all()
    money = np.array([[float(v) for v in row] for row in spends]) if spends else np.zeros((0, 3))
    size = int(w.sum())
    repeat_days = float(np.sum(w * np.maximum(age, 1.0)))
    rate = float(np.sum(w * x)) / repeat_days if repeat_days else 0.0
    repeaters = int(np.sum(w[x > 0]))
    now = utcnow()
    if repeaters < settings.min_repeat_customers:
        return Fitted(
            None,
            None,
            rate,
            size,
            f"{repeaters} repeat customers, fewer than {settings.min_repeat_customers}",
        )
    try:
        bgnbd = fit_bgnbd(x, t_x, np.maximum(age, t_x), w)
        gg = fit_gamma_gamma(money[:, 0], money[:, 1], money[:, 2])
        if gg.q <= 1 or bgnbd.a <= 1e-9:
            raise FitError(f"degenerate parameters (q={gg.q:.3g}, a={bgnbd.a:.3g})")
    except FitError as exc:
        return Fitted(None, None, rate, size, f"the fit failed: {exc}")
    for kind, params in (
        ("bgnbd", {"r": bgnbd.r, "alpha": bgnbd.alpha, "a": bgnbd.a, "b": bgnbd.b}),
        ("gamma_gamma", {"p": gg.p, "q": gg.q, "gamma": gg.gamma}),
    ):
        session.add(
            models.ValueModel(
                kind=kind,
                as_of=as_of,
                fitted_at=now,
                data_size=size,
                params={**params, "unit": "days", "repeat_rate_per_day": rate},
            )
        )
    session.flush()
    return Fitted(bgnbd, gg, rate, size)


def model(
    session: Session, settings: ValueSettings, as_of: datetime, *, refit: bool, source: Any = None
) -> Fitted:
    """Fit and store (`refit`), or the latest stored fit (fitting when there is none)."""
    if not refit:
        row = latest(session, "bgnbd")
        gg_row = latest(session, "gamma_gamma")
        if row is not None and gg_row is not None:
            p, g = row.params, gg_row.params
            return Fitted(
                BgNbd(p["r"], p["alpha"], p["a"], p["b"]),
                GammaGamma(g["p"], g["q"], g["gamma"]),
                float(p.get("repeat_rate_per_day", 0.0)),
                row.data_size,
            )
    return _fit(
        session, settings, as_of, models.ProfileTraits.__table__ if source is None else source
    )


def predict(
    session: Session,
    fitted: Fitted,
    settings: ValueSettings,
    as_of: datetime,
    scope: Scope,
    source: Any,
) -> Table:
    """Fill and return the temporary table `_value_clv` with the predicted orders and value over
    the horizon, P(alive) and the method used, for the customers in scope (their histories read
    from `source`, a table with `profile_traits`' columns); the caller joins it."""
    connection = session.connection()
    _values.create(connection, checkfirst=True)
    session.execute(_values.delete())
    rows = session.execute(_histories(session, as_of, scope, source)).all()
    if not rows:
        return _values
    ids: Sequence[str] = [row[0] for row in rows]
    data = np.array([[float(v or 0.0) for v in row[1:]] for row in rows])
    x, t_x, age, m, average_order = (data[:, i] for i in range(5))
    age = np.maximum(age, t_x)
    horizon = float(settings.horizon_days)
    fallback_orders = fitted.repeat_rate_per_day * horizon
    orders = np.full(len(ids), fallback_orders)
    value = orders * average_order
    alive = np.full(len(ids), np.nan)
    modelled = np.zeros(len(ids), dtype=bool)
    if fitted.bgnbd is not None and fitted.gamma_gamma is not None:
        modelled = age >= MIN_HISTORY_DAYS
        with np.errstate(all="ignore"):
            expected = fitted.bgnbd.expected_purchases(horizon, x, t_x, age)
            p_alive = fitted.bgnbd.probability_alive(x, t_x, age)
            spend = fitted.gamma_gamma.expected_value(x, m)
        modelled &= np.isfinite(expected) & np.isfinite(p_alive) & np.isfinite(spend)
        orders = np.where(modelled, expected, orders)
        value = np.where(modelled, expected * spend, value)
        alive = np.where(modelled, p_alive, alive)
    payload = [
        {
            "profile_id": pid,
            "predicted_orders": float(o),
            "predicted_value_minor": round(v),
            "probability_alive": None if np.isnan(a) else float(a),
            "clv_method": MODEL if is_model else FALLBACK,
        }
        for pid, o, v, a, is_model in zip(
            ids, orders.tolist(), value.tolist(), alive.tolist(), modelled.tolist(), strict=True
        )
    ]
    _write_values(session, payload)
    analyze(session, _values.name, "profile_id")
    return _values


def _write_values(session: Session, payload: list[dict[str, Any]]) -> None:
    """Fill the temporary table: COPY on PostgreSQL, executemany on SQLite."""
    connection = session.connection()
    driver = connection.connection.driver_connection
    # An async engine's session (the push endpoints) has an AsyncConnection: no sync COPY.
    if connection.dialect.name != "postgresql" or not isinstance(driver, psycopg.Connection):
        session.execute(insert(_values), payload)
        return
    names = [c.name for c in _values.columns]
    with (
        driver.cursor() as cursor,
        cursor.copy(f"COPY _value_clv ({', '.join(names)}) FROM STDIN") as copy,
    ):
        for row in payload:
            copy.write_row([row[name] for name in names])
