"""Integration settings, rejection reasons, noise and subsampling (the official code's data generation)."""
from __future__ import annotations

import numpy as np
import pytest

from paper_code.odeformer.integrate import (
    GENERATOR_SOLVER,
    ODEBENCH_SOLVER,
    QUICK_SOLVER,
    add_noise,
    corrupt,
    integrate,
    stationary_reason,
    subsample,
)
from paper_code.odeformer.odebench import parse_system

T = np.linspace(1.0, 10.0, 100)


def test_exponential_decay_matches_closed_form():
    sys = parse_system(["-0.5 * x0"])
    traj = integrate(sys, [2.0], T, ODEBENCH_SOLVER)
    assert traj.ok, traj.reason
    np.testing.assert_allclose(traj.y[:, 0], 2.0 * np.exp(-0.5 * (T - 1.0)), rtol=1e-4)


def test_harmonic_oscillator_default_rk45():
    sys = parse_system(["x1", "-x0"])
    traj = integrate(sys, [1.0, 0.0], T, GENERATOR_SOLVER)
    assert traj.ok and traj.y.shape == (100, 2)
    # RK45 default tolerances (rtol 1e-3): loose agreement only
    np.testing.assert_allclose(traj.y[:, 0], np.cos(T - 1.0), atol=2e-2)


def test_divergence_hits_terminal_event():
    traj = integrate(parse_system(["x0^2"]), [1.0], T, GENERATOR_SOLVER)  # blows up at t = 2
    assert traj.reason == "diverged" and np.isnan(traj.y).all()


def test_nan_rhs_rejected():
    traj = integrate(parse_system(["log(x0 - 5)"]), [1.0], T, QUICK_SOLVER)  # log of negative -> NaN
    assert traj.reason == "nan" and traj.nfev < 10


def test_evaluation_cap_rejects_stiff_system():
    # very stiff: RK45 needs far more than 3000 evaluations
    traj = integrate(parse_system(["-1e5 * (x0 - sin(x1))", "1"]), [0.0, 0.0], T, QUICK_SOLVER)
    assert traj.reason == "max_nfev"


def test_timeout_rejects():
    from dataclasses import replace
    slow = replace(QUICK_SOLVER, max_nfev=None, timeout_s=0.0)
    assert integrate(parse_system(["-x0"]), [1.0], T, slow).reason == "timeout"


def test_bad_inputs_raise():
    with pytest.raises(ValueError):
        integrate(parse_system(["x1"]), [1.0], T)  # 1-D system reading x_1
    with pytest.raises(ValueError):
        integrate(parse_system(["-x0"]), [1.0, 2.0], T)
    with pytest.raises(ValueError):
        integrate(parse_system(["-x0"]), [1.0], T[::-1])


def test_stationary_filter():
    rng = np.random.default_rng(0)
    flat = np.ones((100, 2))
    moving = np.stack([np.sin(T), np.cos(T)], axis=1)
    rejected = sum(stationary_reason(flat, rng) == "stationary" for _ in range(2000))
    assert 0.87 < rejected / 2000 < 0.93  # rejected with probability 0.9
    assert all(stationary_reason(moving, rng) is None for _ in range(100))
    # flat only at the end of one component, moving in the other: kept
    half = np.stack([np.ones(100), np.sin(3 * T)], axis=1)
    assert stationary_reason(half, rng, p_reject=1.0) is None


def test_multiplicative_noise_statistics_and_seed():
    y = np.full((20000, 2), 3.0)
    noisy = add_noise(y, 0.05, np.random.default_rng(1))
    rel = noisy / y - 1
    assert abs(rel.mean()) < 2e-3 and abs(rel.std() - 0.05) < 2e-3
    np.testing.assert_array_equal(noisy, add_noise(y, 0.05, np.random.default_rng(1)))
    np.testing.assert_array_equal(add_noise(y, 0.0, np.random.default_rng(2)), y)
    zeros = np.zeros((10, 1))
    np.testing.assert_array_equal(add_noise(zeros, 0.1, np.random.default_rng(3)), zeros)  # multiplicative
    assert np.any(add_noise(np.c_[np.arange(10.0)], 0.1, np.random.default_rng(3), kind="additive")
                  != np.c_[np.arange(10.0)])


def test_subsample_keeps_order_and_count():
    y = np.stack([T, 2 * T], axis=1)
    t2, y2 = subsample(T, y, 0.375, np.random.default_rng(4))
    assert len(t2) == 100 - 38 and np.all(np.diff(t2) > 0)
    np.testing.assert_array_equal(y2[:, 0], t2)  # rows stay paired with their times
    t3, _ = subsample(T, y, 0.375, np.random.default_rng(4))
    np.testing.assert_array_equal(t2, t3)
    with pytest.raises(ValueError):
        subsample(T, y, 1.0, np.random.default_rng(0))


def test_corrupt_draws_from_paper_grids():
    rng = np.random.default_rng(5)
    y = np.stack([np.sin(T) + 2], axis=1)
    seen = {corrupt(T, y, rng)[2:] for _ in range(200)}
    gammas, rhos = {g for g, _ in seen}, {r for _, r in seen}
    assert gammas == {0.0, 0.025, 0.05, 0.075, 0.1} and rhos == {0.0, 0.125, 0.25, 0.375, 0.5}
