"""Buy-till-you-die models, fitted by maximum likelihood (pure functions over numpy arrays).

- BG/NBD (Fader, Hardie and Lee 2005, "Counting your customers the easy way"): repeat
  purchases `x`, time of the last one `t_x` and age `T` (time since the first purchase), all
  in one unit; parameters r, alpha, a, b. Gives the expected number of purchases in the next
  `t` and the probability that the customer is still active.
- Gamma-Gamma (Fader, Hardie and Lee 2005, "RFM and CLV"): the mean value `m` of a repeat
  customer's `x` purchases; parameters p, q, gamma. Gives the expected mean value.

Both take optional `weights`, so identical customers are evaluated once (the caller groups
them in SQL). The log-likelihoods are the published ones; parameters are optimised on their
logarithms with L-BFGS-B, as the `lifetimes` package does with Nelder-Mead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, special

__all__ = [
    "BgNbd",
    "FitError",
    "GammaGamma",
    "fit_bgnbd",
    "fit_gamma_gamma",
]

Array = NDArray[np.float64]


class FitError(ValueError):
    """The optimiser did not converge to finite parameters."""


@dataclass(frozen=True)
class BgNbd:
    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float = float("nan")

    def probability_alive(self, x: Array, t_x: Array, big_t: Array) -> Array:
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        log_ratio = (r + x) * (np.log(alpha + big_t) - np.log(alpha + t_x))
        odds = np.where(x > 0, a / np.maximum(b + x - 1, 1e-12) * np.exp(log_ratio), 0.0)
        result: Array = 1.0 / (1.0 + odds)
        return result

    def expected_purchases(self, t: float, x: Array, t_x: Array, big_t: Array) -> Array:
        """E[purchases in (T, T + t] | x, t_x, T] (equation 10 of the paper)."""
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        z = t / (alpha + big_t + t)
        hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, z)
        first = (a + b + x - 1) / (a - 1)
        second = 1 - np.exp((r + x) * np.log((alpha + big_t) / (alpha + big_t + t))) * hyp
        log_ratio = (r + x) * (np.log(alpha + big_t) - np.log(alpha + t_x))
        odds = np.where(x > 0, a / np.maximum(b + x - 1, 1e-12) * np.exp(log_ratio), 0.0)
        result: Array = first * second / (1.0 + odds)
        return result


def bgnbd_log_likelihood(
    params: Array, x: Array, t_x: Array, big_t: Array, weights: Array
) -> float:
    r, alpha, a, b = params
    a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    a2 = (
        special.gammaln(a + b)
        + special.gammaln(b + x)
        - special.gammaln(b)
        - special.gammaln(a + b + x)
    )
    a3 = -(r + x) * np.log(alpha + big_t)
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(
            x > 0,
            np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
    ll = a1 + a2 + np.logaddexp(a3, a4)
    return float(np.sum(weights * ll))


def _minimise(negative_ll: object, start: Array) -> tuple[Array, float]:
    def f(log_params: Array) -> float:
        value = negative_ll(np.exp(log_params))  # type: ignore[operator]
        return float(value) if np.isfinite(value) else 1e300

    # bounded, so a population without drop-outs (the likelihood rising towards a -> 0 or
    # b -> infinity) ends at a bound instead of wandering off
    bounds = [(np.log(1e-6), np.log(1e8))] * len(start)
    best = optimize.minimize(f, np.log(start), method="L-BFGS-B", bounds=bounds)
    # polish from where L-BFGS-B stopped: Nelder-Mead is slow but exact on flat valleys
    polished = optimize.minimize(
        f,
        best.x,
        method="Nelder-Mead",
        bounds=bounds,
        options={"xatol": 1e-7, "fatol": 1e-9, "maxiter": 1000},
    )
    chosen = polished if polished.fun <= best.fun else best
    params = np.exp(chosen.x)
    if not np.all(np.isfinite(params)) or not np.isfinite(chosen.fun):
        raise FitError(f"no finite maximum found (last parameters {params.tolist()})")
    return params, -float(chosen.fun)


def fit_bgnbd(x: Array, t_x: Array, big_t: Array, weights: Array | None = None) -> BgNbd:
    w = np.ones_like(x) if weights is None else weights
    total = float(np.sum(w))

    def negative(params: Array) -> float:
        return -bgnbd_log_likelihood(params, x, t_x, big_t, w) / total

    scale = float(np.average(big_t, weights=w)) or 1.0
    params, ll = _minimise(negative, np.array([1.0, scale, 1.0, 1.0]))
    r, alpha, a, b = (float(v) for v in params)
    return BgNbd(r, alpha, a, b, log_likelihood=ll * total)


@dataclass(frozen=True)
class GammaGamma:
    p: float
    q: float
    gamma: float
    log_likelihood: float = float("nan")

    def expected_value(self, x: Array, m: Array) -> Array:
        """E[mean purchase value | x, m]; the population mean for customers with x = 0."""
        p, q, g = self.p, self.q, self.gamma
        population = p * g / (q - 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            conditional = p * (g + x * m) / (p * x + q - 1)
        result: Array = np.where(x > 0, conditional, population)
        return result


def gamma_gamma_log_likelihood(params: Array, x: Array, m: Array, weights: Array) -> float:
    p, q, g = params
    ll = (
        special.gammaln(p * x + q)
        - special.gammaln(p * x)
        - special.gammaln(q)
        + q * np.log(g)
        + (p * x - 1) * np.log(m)
        + (p * x) * np.log(x)
        - (p * x + q) * np.log(g + x * m)
    )
    return float(np.sum(weights * ll))


def fit_gamma_gamma(x: Array, m: Array, weights: Array | None = None) -> GammaGamma:
    """Fit on repeat customers only (x > 0, m > 0)."""
    w = np.ones_like(x) if weights is None else weights
    total = float(np.sum(w))

    def negative(params: Array) -> float:
        return -gamma_gamma_log_likelihood(params, x, m, w) / total

    params, ll = _minimise(negative, np.array([1.0, 1.0, float(np.average(m, weights=w))]))
    p, q, gamma = (float(v) for v in params)
    return GammaGamma(p, q, gamma, log_likelihood=ll * total)
