"""A power-law rate with its confidence interval, for "the gap shrinks as D grows" claims.

The theory is the D -> infinity limit of the simulations, so what it predicts at
finite D is a gap g(D) that vanishes as D grows, not a gap inside the error bars:
a check of the latter gets stricter as more seeds shrink the error bars and fails
at any large enough scale. :func:`fit_power_law` fits

    g(D) = A (D / D_0)^(-a)      (D_0 the smallest D)

by weighted least squares (weights 1/se^2) and gives the rate a with a 95 %
profile-likelihood interval: every a whose best chi^2 (over A) is within 3.84 of
the minimum. The interval is read on a grid of exponents; an end that reaches the
grid's edge means "unbounded within the scan". A gap that does shrink has an
interval above 0, and more data narrow it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["PowerLawFit", "fit_power_law", "CHI2_95"]

CHI2_95 = 3.841458820694124  # 95 % quantile of chi^2 with one degree of freedom


@dataclass(frozen=True)
class PowerLawFit:
    """g(x) = amplitude (x / x0)^(-exponent); ci = (low, high) 95 % interval of the exponent."""

    amplitude: float
    exponent: float
    ci: tuple[float, float]
    x0: float
    chi2: float

    def __call__(self, x) -> np.ndarray:
        return self.amplitude * (np.asarray(x, float) / self.x0) ** (-self.exponent)


def fit_power_law(x, y, se, *, exponents: np.ndarray | None = None) -> PowerLawFit:
    """Weighted least-squares fit of y = A (x/x0)^(-a) with a profile-likelihood 95 % interval of a.

    Args:
        x: (K,) positive abscissae (K >= 3); y: (K,) values; se: (K,) their standard errors (> 0).
        exponents: grid of a to scan (default -4..8 in steps of 0.001).
    """
    x, y, se = (np.asarray(v, dtype=float) for v in (x, y, se))
    if not (x.ndim == 1 and x.shape == y.shape == se.shape and x.size >= 3):
        raise ValueError(f"x, y and se must be 1-d of one length >= 3, got shapes {x.shape}, {y.shape}, {se.shape}")
    if np.any(x <= 0) or np.any(~np.isfinite(y)) or np.any(~(se > 0)) or np.any(~np.isfinite(se)):
        raise ValueError("need x > 0, finite y and finite se > 0")
    a = np.round(np.arange(-4000, 8001) * 1e-3, 9) if exponents is None else np.asarray(exponents, float)
    x0 = float(x.min())
    w = 1.0 / se**2
    basis = (x[None, :] / x0) ** (-a[:, None])  # (A, K)
    amp = (basis * (w * y)).sum(1) / (basis**2 * w).sum(1)  # best A for each exponent (linear in A)
    chi2 = ((y - amp[:, None] * basis) ** 2 * w).sum(1)
    best = int(np.argmin(chi2))
    inside = np.flatnonzero(chi2 <= chi2[best] + CHI2_95)
    return PowerLawFit(float(amp[best]), float(a[best]), (float(a[inside.min()]), float(a[inside.max()])), x0,
                       float(chi2[best]))
