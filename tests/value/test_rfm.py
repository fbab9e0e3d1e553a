"""RFM: quintile boundaries in the database, stored; scores, code, segment and tier."""

from __future__ import annotations

import itertools

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from cdp.cli import cli
from cdp.db import unit_of_work
from cdp.value import ValueSettings, compute_traits
from cdp.value.rfm import RFM_SEGMENTS, segment_of
from tests.value.factories import AS_OF, day, make_order, make_profile


def test_every_score_cell_has_exactly_one_named_segment() -> None:
    cells = {(r, fm) for r in range(1, 6) for fm in range(1, 6)}
    covered = {
        (r, fm)
        for s in RFM_SEGMENTS
        for r in range(s.recency[0], s.recency[1] + 1)
        for fm in range(s.fm[0], s.fm[1] + 1)
    }
    assert covered == cells
    assert len(RFM_SEGMENTS) == 11
    for r, f, m in itertools.product(range(1, 6), repeat=3):
        assert segment_of(r, f, m) in {s.name for s in RFM_SEGMENTS}


@pytest.mark.parametrize(
    ("scores", "segment"),
    [
        ((5, 5, 5), "champions"),
        ((5, 1, 1), "new_customers"),
        ((4, 1, 1), "promising"),
        ((4, 1, 2), "potential_loyalists"),
        ((3, 3, 3), "loyal_customers"),
        ((3, 2, 2), "need_attention"),
        ((1, 5, 5), "cant_lose_them"),
        ((2, 3, 4), "at_risk"),
        ((2, 1, 1), "hibernating"),
        ((1, 1, 1), "lost"),
    ],
    ids=lambda v: str(v),
)
def test_segment_of_scores(scores: tuple[int, int, int], segment: str) -> None:
    assert segment_of(*scores) == segment


@pytest.fixture
def customers(session_factory: sessionmaker[Session]) -> None:
    """Ten customers: customer i has i orders of 1,000 each, the last on day 10 * (11 - i)
    before... so the biggest spenders are also the most recent."""
    with unit_of_work(session_factory) as session:
        for i in range(1, 11):
            p = make_profile(session, id=f"c{i:02d}")
            for k in range(i):
                make_order(session, p, at=day(1 + (i + k) % 5, 1 + i), total_minor=1_000)
        compute_traits(session, None, settings=ValueSettings(), as_of=AS_OF)


def test_scores_come_from_stored_quintile_cuts(
    session_factory: sessionmaker[Session], customers: None
) -> None:
    with unit_of_work(session_factory) as session:
        stored = session.scalars(
            select(models.ValueModel).where(models.ValueModel.kind == "rfm")
        ).one()
        assert stored.data_size == 10
        assert stored.as_of == AS_OF
        assert stored.params["frequency"] == [2.0, 4.0, 6.0, 8.0]
        assert stored.params["monetary"] == [2000.0, 4000.0, 6000.0, 8000.0]
        rows = {t.profile_id: t for t in session.scalars(select(models.ProfileTraits))}
    assert [rows[f"c{i:02d}"].frequency_score for i in range(1, 11)] == [
        1,
        1,
        2,
        2,
        3,
        3,
        4,
        4,
        5,
        5,
    ]
    top = rows["c10"]
    assert top.rfm_code == f"{top.recency_score}{top.frequency_score}{top.monetary_score}"
    assert top.rfm_segment == segment_of(
        top.recency_score or 0, top.frequency_score or 0, top.monetary_score or 0
    )
    assert top.value_tier in {"high", "medium"}
    assert rows["c01"].value_tier == "low"


def test_a_refresh_scores_with_the_stored_cuts_without_refitting(
    session_factory: sessionmaker[Session], customers: None
) -> None:
    with unit_of_work(session_factory) as session:
        newcomer = make_profile(session, id="c11")
        for k in range(9):
            make_order(session, newcomer, at=day(5, 1 + k), total_minor=1_000)
        compute_traits(session, ["c11"], settings=ValueSettings(), as_of=AS_OF)
        fits = session.scalars(
            select(models.ValueModel).where(models.ValueModel.kind == "rfm")
        ).all()
        traits = session.get(models.ProfileTraits, "c11")
    assert len(fits) == 1
    assert traits is not None
    assert traits.frequency_score == 5
    assert traits.monetary_score == 5


def test_cli_computes_as_of_a_date_and_reports_the_models(db_url: str, customers: None) -> None:
    result = CliRunner().invoke(
        cli,
        ["traits", "compute", "--as-of", "2026-06-01"],
        env={"CDP_DATABASE_URL": db_url},
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "traits of 10 profiles as of 2026-06-01T00:00:00+00:00 (10 customers)" in result.output
    assert "rfm: quintile cuts over 10 customers" in result.output
    assert "clv: fallback for everyone: 9 repeat customers, fewer than 20" in result.output


def test_cli_refuses_a_date_it_cannot_read(db_url: str) -> None:
    result = CliRunner().invoke(
        cli, ["traits", "compute", "--as-of", "June"], env={"CDP_DATABASE_URL": db_url}
    )
    assert result.exit_code != 0
    assert "'June' is not a date" in result.output


def test_cli_recomputes_only_stale_traits_and_full_refits(
    db_url: str, session_factory: sessionmaker[Session], customers: None
) -> None:
    def run(*args: str) -> str:
        result = CliRunner().invoke(
            cli, ["traits", "compute", *args], env={"CDP_DATABASE_URL": db_url}
        )
        assert result.exit_code == 0, result.output
        return result.output

    def fits() -> int:
        with session_factory() as session:
            return len(session.scalars(select(models.ValueModel)).all())

    fitted = fits()
    # the fixture computed as of 1 June: every row describes an earlier day, so is stale
    first = run()
    assert "recomputed stale profiles, stored models" in first
    assert "traits of 10 profiles" in first
    assert fits() == fitted  # scored with the stored models
    assert "nothing to recompute" in run()
    with unit_of_work(session_factory) as session:
        session.delete(session.get(models.ProfileTraits, "c03"))
        newcomer = make_profile(session, id="c12")
        make_order(session, newcomer, at=day(5, 2), total_minor=3_000)
    partial = run()
    assert "traits of 2 profiles" in partial
    assert fits() == fitted
    with session_factory() as session:
        assert session.get(models.ProfileTraits, "c03") is not None
        assert session.get(models.ProfileTraits, "c12") is not None
    full = run("--full")
    assert "recomputed every profile, models refitted" in full
    assert "traits of 11 profiles" in full
    assert fits() > fitted
