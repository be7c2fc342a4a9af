"""Small statistics used by the claims: seed-mean intervals, power-law fits, extrapolations.

Every function returns plain floats or arrays, so the numbers a claim checks are the
numbers the notebook shows.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

__all__ = ["MeanCI", "mean_ci", "PowerLawFit", "fit_power_law", "polynomial_intercept", "convergence_order"]


@dataclass(frozen=True)
class MeanCI:
    """Mean of n values with its standard error and a two-sided t interval."""

    mean: float
    sem: float
    lo: float
    hi: float
    n: int

    def as_list(self) -> list[float]:
        """[lo, mean, hi], the form the claims check."""
        return [self.lo, self.mean, self.hi]


def mean_ci(values: np.ndarray, level: float = 0.95) -> MeanCI:
    """Mean, standard error and Student-t interval of 1-d ``values`` (n >= 2)."""
    x = np.asarray(values, dtype=float).ravel()
    if x.size < 2:
        raise ValueError(f"mean_ci needs at least 2 values, got {x.size}")
    sem = float(x.std(ddof=1) / math.sqrt(x.size))
    half = float(stats.t.ppf(0.5 + level / 2, x.size - 1)) * sem
    mean = float(x.mean())
    return MeanCI(mean, sem, mean - half, mean + half, int(x.size))


@dataclass(frozen=True)
class PowerLawFit:
    """y = c x^-alpha fitted to points with known standard errors.

    Fields: alpha and its standard error, the 95% interval [lo, hi] (normal), the
    prefactor c, and chi2 / dof of the fit (about 1 when the law and the errors are right).
    """

    alpha: float
    alpha_se: float
    lo: float
    hi: float
    c: float
    chi2_dof: float

    def as_list(self) -> list[float]:
        """[lo, alpha, hi], the form the claims check."""
        return [self.lo, self.alpha, self.hi]

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.c * np.asarray(x, dtype=float) ** (-self.alpha)


def fit_power_law(x: np.ndarray, y: np.ndarray, se: np.ndarray, level: float = 0.95) -> PowerLawFit:
    """Weighted least squares of y = c x^-alpha on the linear scale (y may be noisy around 0).

    The errors ``se`` are taken as absolute, so the interval reflects them and not the
    scatter of the few points; chi2/dof says whether the law fits within them.
    """
    x, y, se = (np.asarray(a, dtype=float) for a in (x, y, se))
    if not (x.shape == y.shape == se.shape and x.size >= 3):
        raise ValueError(f"fit_power_law needs >= 3 points with matching shapes, got {x.shape}, {y.shape}, {se.shape}")
    if np.any(se <= 0) or np.any(x <= 0):
        raise ValueError("fit_power_law needs x > 0 and se > 0")
    x0 = float(np.exp(np.log(x).mean()))  # pivot: c is the value at the geometric-mean x

    def model(xx, c, alpha):
        return c * (xx / x0) ** (-alpha)

    p0 = (float(np.mean(y * x / x0)), 1.0)  # start from a 1/x law
    c, alpha = optimize.least_squares(lambda p: (model(x, *p) - y) / se, p0, method="lm").x
    # covariance from the weighted Jacobian at the optimum (the errors se are absolute)
    u = (x / x0) ** (-alpha)
    jac = np.stack([u, -c * np.log(x / x0) * u], axis=1) / se[:, None]
    cov = np.linalg.pinv(jac.T @ jac)
    alpha_se = float(math.sqrt(cov[1, 1])) if cov[1, 1] > 0 else math.inf
    z = float(stats.norm.ppf(0.5 + level / 2))
    resid = (y - model(x, c, alpha)) / se
    chi2_dof = float(resid @ resid / max(1, x.size - 2))
    return PowerLawFit(float(alpha), alpha_se, float(alpha - z * alpha_se), float(alpha + z * alpha_se),
                       float(c * x0**alpha), chi2_dof)


def polynomial_intercept(x: np.ndarray, y: np.ndarray, degree: int) -> float:
    """Value at x = 0 of the least-squares polynomial of ``degree`` through (x, y)."""
    return float(np.polynomial.polynomial.polyfit(np.asarray(x, float), np.asarray(y, float), degree)[0])


def convergence_order(steps: np.ndarray, errors: np.ndarray) -> float:
    """Order p of errors ~ step^p: least-squares slope of log error vs log step."""
    steps, errors = np.asarray(steps, float), np.abs(np.asarray(errors, float))
    if steps.size < 2 or np.any(errors <= 0):
        return float("nan")
    return float(np.polyfit(np.log(steps), np.log(errors), 1)[0])
