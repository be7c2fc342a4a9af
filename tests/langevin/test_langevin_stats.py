"""Statistics behind the claims: t intervals, power-law fits with errors, extrapolations."""

import numpy as np
import pytest
from scipy import stats as sps

from paper_code.langevin.stats import convergence_order, fit_power_law, mean_ci, polynomial_intercept


def test_mean_ci_is_the_student_t_interval():
    x = np.array([1.0, 2.0, 4.0, 3.5, 0.5])
    ci = mean_ci(x)
    lo, hi = sps.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=sps.sem(x))
    assert (ci.lo, ci.hi, ci.n) == (pytest.approx(lo), pytest.approx(hi), 5)
    assert ci.as_list() == [ci.lo, ci.mean, ci.hi]
    with pytest.raises(ValueError, match="at least 2 values"):
        mean_ci([1.0])


def test_power_law_fit_recovers_the_exponent_and_covers_it():
    """Noisy y = 3 N^-1 with known errors: the 95% interval covers alpha = 1 in about 95% of fits."""
    rng = np.random.default_rng(0)
    n = np.array([100.0, 200.0, 400.0, 800.0])
    y_true = 3.0 / n
    se = 0.15 * y_true
    covered = []
    for _ in range(400):
        fit = fit_power_law(n, y_true + se * rng.standard_normal(n.size), se)
        covered.append(fit.lo <= 1.0 <= fit.hi)
    assert 0.9 < np.mean(covered) < 0.99
    exact_fit = fit_power_law(n, y_true, 1e-6 * y_true)
    assert exact_fit.alpha == pytest.approx(1.0, abs=1e-6) and exact_fit.c == pytest.approx(3.0, rel=1e-6)
    assert exact_fit(np.array([50.0]))[0] == pytest.approx(0.06, rel=1e-6)


def test_power_law_fit_of_a_gap_that_does_not_shrink_excludes_decay():
    """A bias that stays at 0.01 whatever N: alpha ~ 0, and its interval excludes the mean-field rate 1."""
    n = np.array([100.0, 200.0, 400.0])
    fit = fit_power_law(n, np.full(3, 0.01), np.full(3, 0.001))
    assert abs(fit.alpha) < 0.2 and fit.hi < 1.0


def test_power_law_fit_validates_its_input():
    with pytest.raises(ValueError, match=">= 3 points"):
        fit_power_law([1.0, 2.0], [1.0, 0.5], [0.1, 0.1])
    with pytest.raises(ValueError, match="se > 0"):
        fit_power_law([1.0, 2.0, 3.0], [1.0, 0.5, 0.3], [0.1, 0.0, 0.1])


def test_polynomial_intercept_and_convergence_order():
    x = np.linspace(0.1, 1.0, 10)
    assert polynomial_intercept(x, 2.0 + 3.0 * x - x**2, 2) == pytest.approx(2.0)
    assert (convergence_order(np.array([0.1, 0.05, 0.025]), 7.0 * np.array([0.1, 0.05, 0.025]) ** 2)
            == pytest.approx(2.0))
    assert np.isnan(convergence_order(np.array([0.1, 0.05]), np.array([0.0, 1.0])))
