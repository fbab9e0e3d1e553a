"""CDNOW's transaction log through the real pipeline recovers the published model parameters.

The 1/10th CDNOW sample (Fader, Hardie and Lee 2005: 2,357 customers, 6,919 transactions in
1997-1998; `fixtures/CDNOW_sample.txt` from the `lifetimes` package, MIT, see
LIFETIMES_LICENSE.txt) goes in as a data engineer would feed it: `cdp ingest --mapping`,
`cdp identity resolve`, `cdp traits compute --full --as-of 1997-10-01` (the 39-week
calibration period, before October 1). The fit stored in `value_models` must be the
published one: BG/NBD r = 0.243, alpha = 4.414 (per week), a = 0.793, b = 2.426 within 1%,
Gamma-Gamma p = 6.25, q = 3.74, gamma = 15.44 (dollars) within 2%. It holds only when
purchases are counted by day and valued over the repeat days, as the models define them
(`cdp/value/clv.py`): counting every order moved r by 12% and alpha by 28%.

Eight of the 2,357 customers bought only for $0.00 in the period: an order with no revenue
is not a purchase here (`cdp.value.purchases`), which moves r by +0.4%.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from cdp.cli import cli

FIXTURES = Path(__file__).parent / "fixtures"
PUBLISHED_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "gamma": 15.44}


def _as_csv(path: Path) -> Path:
    """The whitespace-separated log as the CSV a mapping reads, a line number as its key."""
    lines = (FIXTURES / "CDNOW_sample.txt").read_text().split("\n")
    rows = [line.split() for line in lines if line.strip()]
    body = [f"{n},{c},{d},{q},{a}" for n, (_, c, d, q, a) in enumerate(rows, 1)]
    path.write_text("\n".join(["line,customer_id,date,quantity,amount", *body]) + "\n")
    return path


def _cdp(db_url: str, *args: str) -> str:
    result = CliRunner().invoke(
        cli, list(args), env={"CDP_DATABASE_URL": db_url}, catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_cdnow_through_ingest_and_traits_recovers_the_published_parameters(
    db_url: str, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    log = _as_csv(tmp_path / "cdnow.csv")
    mapping = str(FIXTURES / "cdnow.toml")

    _cdp(db_url, "ingest", "--no-resolve", "--mapping", mapping, "--source", "cdnow", str(log))
    _cdp(db_url, "identity", "resolve")
    _cdp(db_url, "traits", "compute", "--full", "--as-of", "1997-10-01")

    with session_factory() as session:
        fits = {
            row.kind: row
            for row in session.scalars(select(models.ValueModel).order_by(models.ValueModel.id))
        }
        customers = session.scalar(select(func.count()).where(models.ProfileTraits.order_count > 0))
    bgnbd, gamma_gamma = fits["bgnbd"].params, fits["gamma_gamma"].params
    assert bgnbd["unit"] == "days"
    fitted = {**bgnbd, "alpha": bgnbd["alpha"] / 7}  # per week, as published
    for name, value in PUBLISHED_BGNBD.items():
        assert fitted[name] == pytest.approx(value, rel=0.01), (name, fitted)
    money = {**gamma_gamma, "gamma": gamma_gamma["gamma"] / 100}  # cents to dollars
    for name, value in PUBLISHED_GAMMA_GAMMA.items():
        assert money[name] == pytest.approx(value, rel=0.02), (name, money)
    assert fits["bgnbd"].data_size == customers == 2_349
