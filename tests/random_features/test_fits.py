"""The power-law rate and its 95 % interval (the finite-size claim's statistic)."""
from __future__ import annotations

import numpy as np
import pytest

from paper_code.random_features.fits import fit_power_law

D = np.array([100.0, 200.0, 400.0, 800.0, 1600.0])


def test_recovers_an_exact_power_law():
    fit = fit_power_law(D, 0.8 * (D / 100) ** -1.5, np.full(5, 1e-4))
    assert fit.exponent == pytest.approx(1.5, abs=1e-3)
    assert fit.amplitude == pytest.approx(0.8, rel=1e-3)
    assert fit.ci[0] <= 1.5 <= fit.ci[1] and fit.ci[1] - fit.ci[0] < 0.01
    np.testing.assert_allclose(fit(D), 0.8 * (D / 100) ** -1.5, rtol=1e-3)


def test_a_gap_that_does_not_shrink_has_an_interval_reaching_below_zero():
    rng = np.random.default_rng(0)
    se = np.full(5, 0.05)
    fit = fit_power_law(D, 0.3 + se * rng.standard_normal(5), se)
    assert fit.ci[0] < 0 < fit.ci[1]  # no evidence of shrinking: the claim's check (low end > 0) fails


def test_interval_covers_the_true_rate_about_95_percent_of_the_time():
    rng = np.random.default_rng(1)
    se = 0.3 * (D / 100) ** -0.5  # noisier at small D, like per-seed gaps
    truth = 1.0
    hits = 0
    n = 300
    for _ in range(n):
        y = 1.0 * (D / 100) ** -truth + se * rng.standard_normal(5)
        lo, hi = fit_power_law(D, y, se).ci
        hits += lo <= truth <= hi
    assert 0.90 <= hits / n <= 0.99


def test_rejects_bad_input():
    with pytest.raises(ValueError, match="length >= 3"):
        fit_power_law(D[:2], D[:2], D[:2])
    with pytest.raises(ValueError, match="se > 0"):
        fit_power_law(D, D, np.zeros(5))
    with pytest.raises(ValueError, match="x > 0"):
        fit_power_law(-D, D, np.ones(5))
