"""BG/NBD and Gamma-Gamma recover the published CDNOW parameters.

Fixtures: the CDNOW sample of Fader, Hardie and Lee (2005), 2,357 customers over a 39-week
calibration period, as shipped in the `lifetimes` 0.11.3 sdist (MIT, LIFETIMES_LICENSE.txt):
`cdnow_customers_summary.csv` (frequency, recency, T in weeks) and
`cdnow_customers_summary_with_transactions.csv` (x, t_x, T, zbar: mean repeat spend).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from cdp.value.btyd import BgNbd, GammaGamma, fit_bgnbd, fit_gamma_gamma

FIXTURES = Path(__file__).parent / "fixtures"


def _columns(name: str, *columns: str) -> list[np.ndarray]:
    with (FIXTURES / name).open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [np.array([float(row[c]) for row in rows]) for c in columns]


def test_bgnbd_recovers_the_published_cdnow_parameters_within_one_percent() -> None:
    x, t_x, big_t = _columns("cdnow_customers_summary.csv", "frequency", "recency", "T")
    assert len(x) == 2357
    fitted = fit_bgnbd(x, t_x, big_t)
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    for name, value in published.items():
        assert getattr(fitted, name) == pytest.approx(value, rel=0.01), name
    assert fitted.log_likelihood == pytest.approx(-9582.4, abs=0.5)  # the paper's LL


def test_bgnbd_fit_is_the_same_on_grouped_weighted_histories() -> None:
    x, t_x, big_t = _columns("cdnow_customers_summary.csv", "frequency", "recency", "T")
    keys, counts = np.unique(np.stack([x, t_x, big_t], axis=1), axis=0, return_counts=True)
    grouped = fit_bgnbd(keys[:, 0], keys[:, 1], keys[:, 2], counts.astype(float))
    assert len(keys) < len(x)
    assert grouped.r == pytest.approx(0.243, rel=0.01)
    assert grouped.b == pytest.approx(2.426, rel=0.01)


def test_gamma_gamma_recovers_the_published_cdnow_parameters_within_two_percent() -> None:
    x, m = _columns("cdnow_customers_summary_with_transactions.csv", "x", "zbar")
    repeat = x > 0
    fitted = fit_gamma_gamma(x[repeat], m[repeat])
    for name, value in {"p": 6.25, "q": 3.74, "gamma": 15.44}.items():
        assert getattr(fitted, name) == pytest.approx(value, rel=0.02), name


def test_predictions_match_the_paper_for_a_known_customer() -> None:
    # Fader, Hardie and Lee (2005), section 5: a customer with x=2, t_x=30.43, T=38.86 is
    # expected to make 1.226 purchases in the next 39 weeks
    model = BgNbd(r=0.243, alpha=4.414, a=0.793, b=2.426)
    one = np.array
    expected = model.expected_purchases(39.0, one([2.0]), one([30.43]), one([38.86]))
    assert expected[0] == pytest.approx(1.226, abs=0.01)
    alive = model.probability_alive(one([0.0, 2.0]), one([0.0, 30.43]), one([38.86, 38.86]))
    assert alive[0] == 1.0  # no repeat purchase: the model cannot have seen a drop-out
    assert 0.0 < alive[1] < 1.0


def test_gamma_gamma_shrinks_towards_the_population_mean() -> None:
    model = GammaGamma(p=6.25, q=3.74, gamma=15.44)
    population = 6.25 * 15.44 / (3.74 - 1)
    values = model.expected_value(np.array([0.0, 1.0, 20.0]), np.array([0.0, 100.0, 100.0]))
    assert values[0] == pytest.approx(population)
    assert population < values[1] < values[2] < 100.0
